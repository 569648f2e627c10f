"""How long personal data is kept, and the purge that enforces it.

- Conversations (Rasa's tracker store, table ``events``): a conversation whose
  last message is older than the retention period is deleted whole.
- Cases stay (they are the union's records), but the callback number of a case
  closed longer ago than the retention period is removed, with a case event
  saying so: it was given for one call-back only.

``gongyou privacy purge --older-than 90d`` runs it; every start of ``gongyou serve``
runs it, and the action server runs it every ``GONGYOU_PURGE_EVERY_HOURS`` (default 24)
for as long as it is up — in ``make run``, docker-compose and Kubernetes alike — with
``GONGYOU_RETENTION_DAYS`` (default 90). Only counts are logged.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import sqlalchemy as sa

from knowledge import cases, clock
from knowledge.db import session_scope
from knowledge.settings import settings

logger = logging.getLogger(__name__)


def parse_age(text: str) -> timedelta:
    """'90d', '12w', '6m' (30-day months) or a bare number of days → a timedelta."""
    match = re.fullmatch(r"\s*(\d+)\s*([dwm]?)\s*", text or "")
    if not match:
        raise ValueError(f"not an age: {text!r} (use e.g. 90d, 12w or 3m)")
    number, unit = int(match.group(1)), match.group(2) or "d"
    if number <= 0:
        raise ValueError("the age must be at least one day")
    return timedelta(days=number * {"d": 1, "w": 7, "m": 30}[unit])


def retention_days() -> int:
    """``GONGYOU_RETENTION_DAYS``, default 90."""
    return settings().retention_days


@dataclass
class PurgeReport:
    conversations: int
    events: int
    callback_numbers: int


def purge_conversations(older_than: timedelta, tracker_url: Optional[str] = None, dry_run: bool = False) -> tuple:
    """Delete every conversation whose newest event is older than ``older_than``; (conversations, events)."""
    engine = sa.create_engine(tracker_url or settings().tracker_database_url, future=True)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0, 0
        events = sa.Table("events", sa.MetaData(), autoload_with=engine)
        cutoff = clock.timestamp() - older_than.total_seconds()
        stale = (sa.select(events.c.sender_id).group_by(events.c.sender_id)
                 .having(sa.func.max(events.c.timestamp) < cutoff))
        with engine.begin() as conn:
            senders = [row[0] for row in conn.execute(stale)]
            count = 0
            for start in range(0, len(senders), 500):
                chunk = senders[start:start + 500]
                if dry_run:
                    count += conn.execute(sa.select(sa.func.count()).select_from(events)
                                          .where(events.c.sender_id.in_(chunk))).scalar_one()
                else:
                    count += conn.execute(events.delete().where(events.c.sender_id.in_(chunk))).rowcount or 0
        return len(senders), count
    finally:
        engine.dispose()


def purge(older_than: timedelta, tracker_url: Optional[str] = None, dry_run: bool = False) -> PurgeReport:
    """Apply the retention period to conversations and to closed cases' callback numbers."""
    conversations, events = purge_conversations(older_than, tracker_url, dry_run)
    with session_scope() as session:
        numbers = cases.forget_callback_numbers(session, clock.utcnow() - older_than, dry_run=dry_run)
    return PurgeReport(conversations, events, numbers)


def scheduled_purge() -> Optional[PurgeReport]:
    """One purge with the configured retention period; logs the counts, never the data."""
    try:
        from bot.shared_state import purge_expired

        purge_expired()  # expired WeChat MsgIds and choices (no personal data, but they pile up)
        report = purge(timedelta(days=retention_days()))
    except Exception:  # noqa: BLE001 - a failed purge is retried next time; the server stays up
        logger.exception("retention purge failed; it will be tried again")
        return None
    logger.info("retention purge (%d days): %d conversations (%d events) deleted, %d callback numbers removed",
                retention_days(), report.conversations, report.events, report.callback_numbers)
    return report


async def purge_periodically(every: timedelta) -> None:
    """Run :func:`scheduled_purge` now and then every ``every``, off the event loop, until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        await loop.run_in_executor(None, scheduled_purge)
        await asyncio.sleep(every.total_seconds())
