"""The scale-out cluster (bot/cluster.py), started once for `make test-scale`:
PostgreSQL, Redis, two action servers, two Rasa servers, a web server and nginx."""
from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Dict, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "scale"
# Filled by the tests, printed at the end and written to test-artifacts/scale/report.json.
REPORT: Dict[str, object] = {}


@pytest.fixture(scope="session")
def cluster() -> Iterator["LocalCluster"]:  # noqa: F821 - imported below
    from bot.cluster import LocalCluster
    from knowledge.settings import MODEL_PATH

    if not MODEL_PATH.exists():
        pytest.fail("no trained model: run `make test-scale` (its set-up trains the model first)")

    def _terminate(signum, frame):  # noqa: ARG001 - a CI time-out (SIGTERM) still stops everything
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    cluster = LocalCluster(ARTIFACTS / "logs")
    try:
        cluster.start()
        REPORT["start-up (s)"] = {k: round(v, 1) for k, v in cluster.timings.items()}
        yield cluster
    finally:
        cluster.stop()
        signal.signal(signal.SIGTERM, previous)


def pytest_terminal_summary(terminalreporter) -> None:
    if not REPORT:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.json").write_text(json.dumps(REPORT, ensure_ascii=False, indent=1), encoding="utf-8")
    terminalreporter.section("scale-out")
    for key, value in REPORT.items():
        terminalreporter.write_line(f"{key}: {value}")
