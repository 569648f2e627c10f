"""The retention period is applied by the running action server, not only when `gongyou serve`
starts: a long-running deployment (docker-compose, Kubernetes, a `make run` left up) purges too.
The clock is moved forward with GONGYOU_NOW instead of waiting 90 days."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import MaskingSQLTrackerStore
from knowledge import clock

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _senders(url: str) -> set:
    with sa.create_engine(url).connect() as conn:
        return {row[0] for row in conn.execute(sa.text("select sender_id from events"))}


def test_the_action_server_purges_old_conversations_while_it_runs(tmp_path, kb_url):
    from rasa.shared.core.domain import Domain

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = MaskingSQLTrackerStore(Domain.from_path(str(ROOT / "domain.yml")), host=url)
    old = DialogueStateTracker("worker-from-november", [])
    now = clock.timestamp()  # the test clock: 2026-11-28
    old.update(UserUttered("老板拖欠我三个月工资", timestamp=now))
    old.update(BotUttered("请问您在哪个城市？", timestamp=now + 1))
    asyncio.run(store.save(old))
    assert _senders(url) == {"worker-from-november"}

    port = _free_port()
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "DATABASE_URL": kb_url,
           "GONGYOU_NOW": "2027-06-01T10:00:00+08:00",  # six months later: past the 90 days
           "GONGYOU_RETENTION_DAYS": "90", "GONGYOU_PURGE_EVERY_HOURS": "24", "PYTHONPATH": str(ROOT)}
    log = tmp_path / "actions.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "bot.action_server", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "retention purge" not in log.read_text(errors="replace"):
            assert server.poll() is None, log.read_text(errors="replace")
            time.sleep(0.5)
        text = log.read_text(errors="replace")
        assert "retention purge (90 days): 1 conversations (2 events) deleted" in text, text
        assert "拖欠" not in text  # counts only, never what was said
        assert _senders(url) == set()
    finally:
        server.terminate()
        server.wait(timeout=30)
