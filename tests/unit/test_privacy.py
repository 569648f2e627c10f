"""Personal numbers are masked in logs and in stored conversations; old conversations are purged."""
from __future__ import annotations

import asyncio
import io
import logging
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator, Tuple

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.retention import parse_age, purge_conversations
from bot.tracker_store import MaskingSQLTrackerStore
from knowledge import clock
from knowledge.privacy import PiiLogFilter, mask_pii

MOBILE, ID_CARD, BANK = "13912345678", "11010519491231002X", "6222 0212 3456 7890 123"


@pytest.mark.parametrize("text, hidden, kept", [
    (f"我的电话是{MOBILE}", MOBILE, "5678"),
    ("电话 +86 139-1234-5678 打我", "1234-5678", "5678"),
    (f"身份证{ID_CARD}", ID_CARD, "002X"),
    (f"工资卡{BANK}", "0212 3456", "0123"),
    ("座机 0517-83661234", "83661234", "1234"),
])
def test_personal_numbers_keep_only_their_last_four_digits(text, hidden, kept):
    masked = mask_pii(text)
    assert hidden not in masked
    assert masked.endswith(kept) or kept in masked


@pytest.mark.parametrize("text", ["月薪12000元", "2024年3月15日入职", "干了3年半", "拨打12333或12348", "欠了36500块"])
def test_money_dates_and_hotlines_are_left_alone(text):
    assert mask_pii(text) == text


@contextmanager
def filtered_log(name: str) -> Iterator[Tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler writes to a string through the PII filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PiiLogFilter())
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def test_the_log_filter_masks_what_is_logged():
    with filtered_log("gongyou-test-privacy") as (logger, stream):
        logger.warning("user said %s", f"打我电话{MOBILE}，身份证{ID_CARD}")
    assert MOBILE not in stream.getvalue() and ID_CARD not in stream.getvalue()
    assert "5678" in stream.getvalue()


DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  callback_phone:
    type: text
    mappings: [{type: custom}]
""")


def _tracker_store(tmp_path):
    return MaskingSQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}")


def test_stored_conversation_events_are_masked_but_the_running_turn_is_not(tmp_path):
    store = _tracker_store(tmp_path)
    tracker = DialogueStateTracker("worker-1", DOMAIN.slots)
    text = f"请打{MOBILE}回电，我身份证{ID_CARD}"
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 0.9},
                               [{"entity": "phone", "value": MOBILE, "start": 2, "end": 13},
                                # the same number misread as an amount of money
                                {"entity": "money", "value": float(MOBILE), "start": 2, "end": 13}]))
    tracker.update(SlotSet("callback_phone", MOBILE))
    tracker.update(BotUttered(f"好的，我们会打 {MOBILE}"))
    asyncio.run(store.save(tracker))
    # The turn in memory still has the number (the case record is written from it) …
    assert tracker.get_slot("callback_phone") == MOBILE
    # … but nothing stored has it.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(sa.text("select data from events"))]
    assert len(stored) == 3
    assert all(MOBILE not in row and ID_CARD not in row for row in stored), stored
    restored = asyncio.run(store.retrieve("worker-1"))
    assert restored.get_slot("callback_phone").endswith("5678")
    assert restored.latest_message.text.startswith("请打")


def test_purge_deletes_whole_old_conversations_and_keeps_recent_ones(tmp_path):
    store = _tracker_store(tmp_path)
    old, recent = DialogueStateTracker("old-worker", []), DialogueStateTracker("recent-worker", [])
    long_ago = clock.timestamp() - 100 * 86400
    old.update(UserUttered("老板拖欠工资", timestamp=long_ago))
    old.update(BotUttered("请问您在哪个省？", timestamp=long_ago + 1))
    recent.update(UserUttered("老板拖欠工资", timestamp=clock.timestamp()))
    asyncio.run(store.save(old))
    asyncio.run(store.save(recent))
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    assert purge_conversations(timedelta(days=90), url, dry_run=True) == (1, 2)
    assert purge_conversations(timedelta(days=90), url) == (1, 2)
    with sa.create_engine(url).connect() as conn:
        senders = {row[0] for row in conn.execute(sa.text("select sender_id from events"))}
    assert senders == {"recent-worker"}
    assert asyncio.run(store.retrieve("recent-worker")).latest_message.text == "老板拖欠工资"
    assert purge_conversations(timedelta(days=90), url) == (0, 0)


@pytest.mark.parametrize("text, days", [("90d", 90), ("12w", 84), ("3m", 90), ("30", 30)])
def test_retention_ages(text, days):
    assert parse_age(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["", "0d", "-5d", "ninety", "90y"])
def test_bad_retention_ages_are_refused(text):
    with pytest.raises(ValueError):
        parse_age(text)


def test_closed_cases_lose_their_callback_number_after_the_retention_period(db):
    from knowledge import cases, models

    draft = cases.CaseDraft(reason="requested", sender_id="purge-test", callback_phone=MOBILE, consent=True)
    cases._insert(db, draft)
    db.flush()
    case = db.execute(sa.select(models.Case).where(models.Case.reference == draft.reference)).scalar_one()
    cases.change_status(db, case, "closed", "tester")
    db.flush()
    assert cases.forget_callback_numbers(db, clock.utcnow() - timedelta(days=90)) == 0
    assert case.callback_phone == MOBILE
    assert cases.forget_callback_numbers(db, clock.utcnow() + timedelta(seconds=5)) >= 1
    assert case.callback_phone is None
    assert case.reference == draft.reference and any("保存期限" in (e.note or "") for e in case.events)


@pytest.mark.parametrize("written", ["138 1234 5678", "138－1234－5678", "138.1234.5678", "138\u30001234\u30005678",
                                     "138\u200b1234\u200b5678", "+86 138 1234 5678", "１３８１２３４５６７８"])
def test_a_phone_written_any_way_is_masked(written):
    masked = mask_pii(f"我的电话{written}，月薪8000")
    assert "1234" not in masked and "5678" in masked and "8000" in masked


def test_a_phone_next_to_a_wage_masks_only_the_phone():
    assert mask_pii("13812345678 8000") == "*******5678 8000"
    assert mask_pii("工资卡 6222 0212 3456 7890 123 月薪 9000").endswith("0123 月薪 9000")


@pytest.mark.parametrize("text", ["8000 8000 8000 8000", "2024-05-01 到 2025-05-01", "5000 6000 7000", "36500"])
def test_amounts_and_dates_in_groups_are_not_taken_for_numbers_to_mask(text):
    assert mask_pii(text) == text


def test_secrets_in_logged_urls_are_hidden():
    with filtered_log("gongyou-test-urls") as (logger, stream):
        logger.error("Exception occurred while handling uri: 'http://x/conversations/a/tracker?token=s3cr3t-value'")
    assert "s3cr3t" not in stream.getvalue() and "token=***" in stream.getvalue()


def test_masking_holds_for_loggers_with_their_own_handlers():
    """Sanic configures its loggers' handlers after ours: masking where records are made still holds."""
    from knowledge.privacy import install_log_masking

    install_log_masking()
    stream = io.StringIO()
    logger = logging.getLogger("sanic.error.gongyou-test")
    logger.addHandler(logging.StreamHandler(stream))
    logger.propagate = False
    try:
        logger.error("uri: 'http://x/version?token=abc123' from 138 1234 5678")
    finally:
        logger.handlers.clear()
    assert "abc123" not in stream.getvalue() and "1234 5678" not in stream.getvalue()
