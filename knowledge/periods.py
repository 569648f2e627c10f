"""When a legal period ends, counted as the Civil Code says (民法典第二百零一条至第二百零三条).

- The day of the event is not counted; the period starts the next day (第二百零一条).
- A period in years or months ends on the corresponding day of the last month; without one
  (29 February), on the last day of that month (第二百零二条).
- A last day that is a statutory holiday or rest day moves to the next working day (第二百零三条).
  Holidays and the State Council's working-weekend swaps (调休) come from the ``chinese_calendar``
  package; for a year it does not cover yet, only weekends are known and the answer says so.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

import chinese_calendar

CITATION = "民法典第二百零一条至第二百零三条"


@dataclass(frozen=True)
class PeriodEnd:
    """The last day to act; ``moved_from`` is the nominal last day when it fell on a day off."""

    last: date
    moved_from: Optional[date] = None
    calendar_known: bool = True


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_working_day(day: date) -> Optional[bool]:
    """True/False from the official holiday calendar; None for a year it does not cover yet."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def period_end(event: date, years: int = 0, months: int = 0, days: int = 0) -> PeriodEnd:
    """The last day of a period of ``years``/``months``/``days`` counted from ``event``."""
    nominal = _add_months(event, 12 * years + months) + timedelta(days=days)
    last, known = nominal, True
    for _ in range(60):  # the longest run of days off (Spring Festival plus weekends) is far shorter
        working = is_working_day(last)
        if working is None:
            known = False
            working = last.weekday() < 5
        if working:
            break
        last += timedelta(days=1)
    return PeriodEnd(last, nominal if last != nominal else None, known)


def describe(end: PeriodEnd) -> str:
    """"最后一天是 2026年10月8日（10月1日是节假日，顺延到节后第一个工作日）" in plain words."""
    text = f"最后一天是 {end.last.isoformat()}"
    if end.moved_from:
        text += f"（{end.moved_from.isoformat()} 是法定节假日或休息日，顺延到之后第一个工作日）"
    if not end.calendar_known:
        text += f"（{end.last.year}年的放假调休安排还没收录，以国务院公布的为准）"
    return text
