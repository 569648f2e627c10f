"""What channels do around the dialogue: rate limit, hotline notice, case spool."""
from __future__ import annotations

import asyncio

import sqlalchemy as sa
import yaml

from bot.channels.guard import ActionServerWatch, DialogueGuard, RateLimiter, service_notice
from knowledge.hotlines import NATIONAL_FILE, national_hotlines


def test_a_sender_gets_a_burst_then_one_message_per_interval():
    limiter = RateLimiter(per_minute=20, burst=5)
    assert all(limiter.allow("a", now=100.0) for _ in range(5))
    assert not limiter.allow("a", now=100.0)
    assert limiter.allow("b", now=100.0), "another sender is not affected"
    assert not limiter.allow("a", now=101.0)
    assert limiter.allow("a", now=103.1), "one message comes back after 3 s at 20/min"
    assert not limiter.allow("a", now=103.2)


def test_the_limiter_forgets_the_oldest_senders_beyond_its_size():
    limiter = RateLimiter(per_minute=1, burst=1, max_senders=3)
    for sender in "abcd":
        limiter.allow(sender, now=0.0)
    assert list(limiter.buckets) == ["b", "c", "d"]


def test_the_hotline_notice_names_the_numbers_in_the_data_file():
    rows = yaml.safe_load(NATIONAL_FILE.read_text(encoding="utf-8"))["service_points"]
    phones = {r["route"]: r["phone"] for r in reversed(rows) if r["jurisdiction"] == "000000" and r.get("phone")}
    notice = service_notice()
    for line in national_hotlines():
        assert line.phone in notice
    assert phones["legal_aid"] in notice and phones["union"] in notice
    assert [h.route for h in national_hotlines()] == ["labour_inspection", "legal_aid", "union"]


def test_an_action_server_that_does_not_answer_is_seen_as_down():
    watch = ActionServerWatch("http://127.0.0.1:9/webhook", ttl=0)
    assert watch.url == "http://127.0.0.1:9/health"
    assert asyncio.run(watch.healthy()) is False


def _guard() -> DialogueGuard:
    return DialogueGuard(RateLimiter(), ActionServerWatch(None))


def test_a_failing_dialogue_still_answers_with_the_hotlines():
    async def broken(message):
        raise RuntimeError("tracker store down")

    messages = asyncio.run(_guard().run(broken, "老板欠薪", "w1", "rest"))
    assert len(messages) == 1 and service_notice() == messages[0]["text"]


def test_an_empty_answer_gets_the_notice_and_a_normal_one_does_not():
    async def silent(message):
        return None

    async def normal(message):
        await message.output_channel.send_text_message(message.sender_id, "您好")

    assert asyncio.run(_guard().run(silent, "x", "w2", "rest"))[0]["text"] == service_notice()
    assert [m["text"] for m in asyncio.run(_guard().run(normal, "你好", "w3", "rest"))] == ["您好"]


def test_a_case_is_spooled_when_the_database_is_unreachable_and_written_later(tmp_path, monkeypatch, kb_url):
    from knowledge import cases, models
    from knowledge.db import session_factory

    monkeypatch.setenv("GONGYOU_VAR_DIR", str(tmp_path))
    unreachable = session_factory(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    draft = cases.CaseDraft(reason="requested", sender_id="spool-test", topic="wage_arrears",
                            transcript=[{"who": "worker", "text": "我电话13912345678，老板欠我三个月工资"}])
    reference = cases.record_case(unreachable, draft)
    assert reference == draft.reference and cases.spooled() == 1
    spooled = cases.spool_path().read_text(encoding="utf-8")
    assert "13912345678" not in spooled and reference in spooled
    # The database is back: the case is written once, the spool empties.
    assert cases.flush_spool(session_factory(kb_url)) == 1
    assert cases.spooled() == 0
    with session_factory(kb_url)() as session:
        case = session.execute(sa.select(models.Case).where(models.Case.reference == reference)).scalar_one()
        assert case.topic == "wage_arrears" and case.status == "new"
