"""The one clock of Gongyou: every "today" and "now" in the code is read here.

Workers are in China, so *today* is the date in Asia/Shanghai even when the
server runs in UTC. Timestamps stored in the database are naive UTC.

The clock can be set, so that answers about deadlines ("还剩 N 天"), double
wages or the current minimum wage can be checked on any date:

- in tests, :func:`frozen` (a context manager) or :func:`set_now`;
- in a running server, the setting ``GONGYOU_NOW`` (an ISO date or date-time),
  read once at start-up by :mod:`knowledge.settings`.

Nothing else in the project may call ``date.today()``, ``datetime.now()``,
``datetime.utcnow()`` or ``time.time()``; ruff's banned-API rule enforces it.
"""
from __future__ import annotations

import time as _time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Iterator, Optional, Union
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")

Moment = Union[datetime, date, str]

# A fixed moment (aware, UTC) and the monotonic reading when it was set: a set clock keeps
# ticking from there, so timeouts and expiries behave as on a real clock.
_fixed: Optional[datetime] = None
_fixed_at: float = 0.0


def parse_moment(value: Moment) -> datetime:
    """An aware UTC datetime from a date (noon in China), a datetime (naive = China) or ISO text."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO date or date-time: {value!r}") from None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
        return aware.astimezone(timezone.utc)
    # A bare date: noon in China, far from either midnight.
    return datetime(value.year, value.month, value.day, 12, tzinfo=CHINA_TZ).astimezone(timezone.utc)


def now() -> datetime:
    """The current moment, aware, in UTC."""
    if _fixed is not None:
        return _fixed + timedelta(seconds=_time.monotonic() - _fixed_at)
    return datetime.now(timezone.utc)


def utcnow() -> datetime:
    """The current moment as naive UTC (how the database stores timestamps)."""
    return now().replace(tzinfo=None)


def china_now() -> datetime:
    """The current moment in China (aware)."""
    return now().astimezone(CHINA_TZ)


def today() -> date:
    """Today's date in China."""
    return china_now().date()


def timestamp() -> float:
    """Seconds since the epoch (for protocol timestamps and expiry times)."""
    return now().timestamp()


def set_now(moment: Optional[Moment]) -> None:
    """Set the clock to ``moment`` (it keeps ticking from there); ``None`` returns to the system clock."""
    global _fixed, _fixed_at
    _fixed = parse_moment(moment) if moment is not None else None
    _fixed_at = _time.monotonic()


def is_set() -> bool:
    """True while the clock is set (tests, or ``GONGYOU_NOW``)."""
    return _fixed is not None


@contextmanager
def frozen(moment: Moment) -> Iterator[None]:
    """Run a block with the clock set to ``moment``; the previous setting comes back afterwards."""
    global _fixed, _fixed_at
    previous = (_fixed, _fixed_at)
    set_now(moment)
    try:
        yield
    finally:
        _fixed, _fixed_at = previous
