"""`rasa test core` on tests/test_stories.yml: for every topic the start, an answer,
a change of topic mid-form and the final answer; emergencies (also mid-form),
handoff, fallback and scope. Every predicted action must match."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import MODEL_PATH

ROOT = Path(__file__).resolve().parents[2]


def test_dialogue_policies_predict_every_story_step(tmp_path):
    assert MODEL_PATH.exists(), "no trained model: run `make test`"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--stories", str(ROOT / "tests" / "test_stories.yml"),
         "--model", str(MODEL_PATH), "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    report = json.loads((tmp_path / "story_report.json").read_text()) if (tmp_path / "story_report.json").exists() else {}
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8") \
        if (tmp_path / "failed_test_stories.yml").exists() else ""
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:], failed[:3000])
    assert report.get("conversation_accuracy", {}).get("accuracy", 0) == 1.0, report.get("conversation_accuracy")
