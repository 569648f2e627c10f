"""Parts failing under a running conversation: the action server down, the database
unreachable, the Rasa server restarted. The worker always gets a reply naming the
national hotlines, a case once recorded is never lost, and conversations resume."""
from __future__ import annotations

import json
import re
import signal
import socket
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa

from bot import serve
from knowledge.hotlines import national_hotlines
from knowledge.settings import settings

pytestmark = pytest.mark.e2e


def _service(servers, name: str) -> serve.Service:
    return next(s for s in servers.items if s.name == name)


def _swap(servers, name: str, **env) -> serve.Service:
    """Stop a running service and start it again with its usual environment plus ``env``."""
    old = _service(servers, name)
    serve.stop([old])
    usual = next(s for s in serve.services(settings()) if s.name == name)
    new = replace(old, env={**usual.env, **env}, process=None, log=None)
    serve.start(new, settings(), log_dir=str(servers.log_dir))
    serve.wait_ready([new], timeout=300)
    servers.items[servers.items.index(old)] = new
    return new


def _hotline_numbers():
    return [h.phone for h in national_hotlines()]


def test_with_the_action_server_down_the_worker_gets_the_hotlines_and_it_recovers(servers, sender):
    actions = _service(servers, "actions")
    serve.stop([actions])
    try:
        text = servers.text(sender, "老板拖欠我三个月工资怎么办")
        assert all(phone in text for phone in _hotline_numbers()), text
        assert "系统暂时出了点问题" in text
    finally:
        _swap(servers, "actions")
    time.sleep(6)  # the channel re-checks the action server's health every 5 s
    text = servers.text("test-" + uuid.uuid4().hex[:12], "老板拖欠我三个月工资怎么办")
    assert "系统暂时出了点问题" not in text
    assert "省" in text or "哪" in text, text  # back to normal: it asks where the worker is


def test_a_hung_action_server_still_gets_the_worker_the_hotlines(servers, sender):
    """SIGSTOP: the process is there, accepts connections and never answers (a hang, not a crash)."""
    actions = _service(servers, "actions")
    actions.process.send_signal(signal.SIGSTOP)
    try:
        # Without the short action timeout this call would wait for minutes: it must come back.
        text = servers.text(sender, "老板拖欠我三个月工资怎么办", timeout=30)
    finally:
        actions.process.send_signal(signal.SIGCONT)
    assert all(phone in text for phone in _hotline_numbers()), text
    assert text.count("系统暂时出了点问题") == 1, text
    time.sleep(6)  # the channel re-checks the action server's health every 5 s
    assert "系统暂时出了点问题" not in servers.text("test-" + uuid.uuid4().hex[:12], "你好")


def test_a_hung_database_still_gets_the_worker_an_answer_and_the_case_is_kept(servers, sender, db):
    """A database that accepts connections and never answers (a listening socket nobody serves)."""
    from knowledge.models import Case

    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)
        port = hole.getsockname()[1]
        _swap(servers, "actions", DATABASE_URL=f"postgresql+psycopg2://gongyou:x@127.0.0.1:{port}/gongyou")
        try:
            text = servers.text(sender, "我要转人工", timeout=30)
            assert all(phone in text for phone in _hotline_numbers()), text
        finally:
            _swap(servers, "actions")  # the database is back: spooled cases are written at start-up
    db.expire_all()
    case = db.execute(sa.select(Case).where(Case.sender_id == sender)).scalars().one()
    assert case.reason == "requested"


def test_with_the_database_unreachable_a_handoff_case_is_kept_and_written_after_restart(servers, sender, db):
    from knowledge.models import Case

    _swap(servers, "actions", DATABASE_URL="sqlite:////nonexistent-gongyou-dir/gongyou.db")
    try:
        text = servers.text(sender, "我要转人工")
        reference = re.search(r"GY-[0-9A-Z-]+", text)
        assert reference, text
        reply = servers.text(sender, "不用")
        assert any(phone in reply for phone in _hotline_numbers()), reply
        assert db.query(Case).filter_by(reference=reference.group(0)).one_or_none() is None
    finally:
        _swap(servers, "actions")  # the database is back: spooled cases are written at start-up
    db.expire_all()
    case = db.query(Case).filter_by(reference=reference.group(0)).one()
    assert case.reason == "requested" and case.status == "new"
    assert any(turn["text"] == "我要转人工" for turn in case.transcript)


def test_a_conversation_continues_after_the_rasa_server_restarts(servers, sender):
    first = servers.text(sender, "老板拖欠我三个月工资怎么办")
    assert "省" in first or "哪" in first, first
    _swap(servers, "rasa")
    # The place answers the question asked before the restart: the form state came back from the tracker store.
    text = servers.text(sender, "江苏淮安")
    assert "系统暂时出了点问题" not in text
    tracker = servers.tracker(sender)
    users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert users == ["老板拖欠我三个月工资怎么办", "江苏淮安"]
    assert tracker["slots"].get("topic") == "wage_arrears"
    assert str(tracker["slots"].get("place") or "").startswith("3208"), tracker["slots"]  # 淮安市


def test_the_rasa_http_api_needs_the_token(servers, sender):
    servers.text(sender, "你好")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{servers.rasa}/conversations/{sender}/tracker", timeout=10)
    assert error.value.code in (401, 403)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{servers.rasa}/conversations/{sender}/tracker?token=wrong", timeout=10)
    assert error.value.code in (401, 403)
    assert servers.tracker(sender)["sender_id"] == sender


def test_personal_numbers_never_reach_the_stored_conversation(servers, sender):
    servers.text(sender, "我身份证号11010519491231002X，电话13912345678，工资卡6222021234567890123，老板欠我工资")
    stored = json.dumps(servers.tracker(sender)["events"], ensure_ascii=False)
    for number in ("11010519491231002X", "13912345678", "6222021234567890123"):
        assert number not in stored
    assert "002X" in stored and "5678" in stored
