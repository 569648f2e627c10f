"""Money, durations and dates in workers' words, resolved to numbers and ISO dates.

``parse_*`` read one expression (an entity span or a form answer);
``find_*`` scan a whole message, as a safety net for what the model misses.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import List, Optional

from knowledge import clock
from knowledge.text.numbers import NUMBER_PATTERN, parse_number


@dataclass(frozen=True)
class Quantity:
    """A value read from text: where it was, what it says, and whether it is approximate."""

    start: int
    end: int
    text: str
    value: float
    approximate: bool = False


@dataclass(frozen=True)
class DateValue:
    """A date read from text, with the precision the worker gave (day, month or year)."""

    start: int
    end: int
    text: str
    value: date
    precision: str = "day"

    @property
    def iso(self) -> str:
        return self.value.isoformat()


# ---------------------------------------------------------------- money
_APPROX_SUFFIX = r"(?:多|来|余|左右|上下|出头|把)?"
_MONEY_UNIT = r"(?:块钱|块|元|圆|rmb|RMB)"
_RANGE_RE = re.compile(r"^([一二两三四五六七八九])([一二两三四五六七八九])([十百千万])$")

_MONEY_RE = re.compile(
    r"(?P<num>" + NUMBER_PATTERN + r")(?P<approx>多|来|余|把)?\s*(?P<unit>" + _MONEY_UNIT + r")"
    r"|(?:月薪|工资|底薪|薪水|薪资|收入|欠(?:了我|我|了)?|拖欠(?:了我|我|了)?|差(?:我)?|扣(?:了我|我|了)?|罚(?:了我|我|了)?|每月|一个月|月入|补偿|赔)"
    r"(?:是|为|有|才|只有|大概|大约|差不多|约)?(?P<num2>" + NUMBER_PATTERN + r")(?P<approx2>多|来|余|把)?"
    # "欠了三个月" counts months, not yuan; a digit next means the regex backtracked into "50%".
    r"(?![多来余]?\s*(?:个|年|月|天|周|日|号|岁|小时|次|人|倍|成|%|％|点|星期)|[\d.,])"
)


def parse_money(text: str) -> Optional[Quantity]:
    """Read one amount of money in yuan (五千 → 5000, 1.5万 → 15000, ５０００元 → 5000).

    Returns None when the text holds no amount.
    """
    s = text.strip()
    if not s:
        return None
    approx = False
    core = re.sub(r"^(?:月薪|工资|底薪|薪水|大概|大约|差不多|约|每月|一个月|人民币|共|一共|总共)+", "", s)
    core = re.sub(_MONEY_UNIT + r"$", "", core)
    core = re.sub(r"(?:左右|上下|出头)$", "", core)
    if re.search(r"(?:多|来|余|把)$", core):
        approx = True
        core = core[:-1]
    if core.endswith("万") and core[:-1] in ("", "一"):
        # 万把 / 一万: about ten thousand
        value = 10_000.0
    else:
        m = _RANGE_RE.match(core)
        if m:
            # 三四千 → a range; keep the lower figure and say it is approximate.
            lower = parse_number(m.group(1) + m.group(3))
            return Quantity(0, len(text), text, float(lower or 0), True) if lower else None
        parsed = parse_number(core)
        if parsed is None:
            return None
        value = parsed
    if value <= 0:
        return None
    return Quantity(0, len(text), text, float(value), approx)


def find_money(text: str) -> List[Quantity]:
    """All amounts of money in a message that are marked as money by a unit or by context."""
    found: List[Quantity] = []
    for m in _MONEY_RE.finditer(text):
        group = "num" if m.group("num") else "num2"
        approx_group = "approx" if group == "num" else "approx2"
        start, end = m.span(group)
        if m.group(approx_group):
            end = m.end(approx_group)
        span = text[start:end]
        if group == "num2" and len(span) == 1 and not span.isdigit():
            continue  # "工资一分不发", "差一半", "工资一直": a lone numeral after a money word is not an amount
        q = parse_money(span)
        if q is not None:
            found.append(Quantity(start, end, span, q.value, q.approximate))
    return found


# ---------------------------------------------------------------- durations
_DURATION_RE = re.compile(
    r"(?P<num>" + NUMBER_PATTERN + r"|半|几|十几|好几)(?P<more>多)?\s*"
    r"(?P<unit>个多月|个半月|个月|周年|年|月|个星期|星期|周|天|日)(?P<tail>半|多|左右|出头)?"
    r"|(?P<half>半年|半个月)"
)
_COMPOUND_DURATION_RE = re.compile(
    r"(?P<years>" + NUMBER_PATTERN + r")年(?:零|又)?(?P<months>" + NUMBER_PATTERN + r")个?月"
)
_UNIT_MONTHS = {"年": 12.0, "周年": 12.0, "月": 1.0, "个月": 1.0, "个多月": 1.0, "个半月": 1.0,
                "周": 12 / 52, "星期": 12 / 52, "个星期": 12 / 52, "天": 12 / 365, "日": 12 / 365}


def parse_duration_months(text: str) -> Optional[Quantity]:
    """Read a length of time as months (三年半 → 42, 两年多 → 24 approximately, 18个月 → 18)."""
    s = text.strip()
    for prefix in ("干了", "做了", "工作了", "上了", "大概", "大约", "差不多", "将近", "快", "有", "了"):
        if s.startswith(prefix) and len(s) > len(prefix):
            s = s[len(prefix):]
    m = _COMPOUND_DURATION_RE.fullmatch(s)
    if m:
        years = parse_number(m.group("years"))
        months = parse_number(m.group("months"))
        if years is not None and months is not None:
            return Quantity(0, len(text), text, years * 12 + months)
    m = _DURATION_RE.match(s)
    if not m:
        return None
    if m.group("half"):
        value = 6.0 if m.group("half") == "半年" else 0.5
        return Quantity(0, len(text), text, value)
    num_text = m.group("num")
    approx = bool(m.group("more")) or m.group("tail") in ("多", "左右", "出头") or "几" in num_text
    if num_text == "半":
        number = 0.5
    elif num_text in ("几", "好几"):
        number = 3.0
    elif num_text == "十几":
        number = 10.0
    else:
        parsed = parse_number(num_text)
        if parsed is None:
            return None
        number = parsed
    unit = m.group("unit")
    months = number * _UNIT_MONTHS[unit]
    if m.group("tail") == "半" or unit == "个半月":
        months += 6.0 if unit in ("年", "周年") else 0.5 * _UNIT_MONTHS[unit]
    if unit == "个多月":
        approx = True
    return Quantity(0, len(text), text, round(months, 2), approx)


# "一个月八千", "每月5000": a month named as the pay period, followed by the pay.
_PAY_PERIOD = re.compile(r"(?:每|一)个?月")
_PAY_AFTER = re.compile(r"\s*(?:工资|收入|能拿|拿|有|是|挣|赚|发|才)?\s*[\d０-９一二两三四五六七八九十百千万.]+")


def _is_pay_period(text: str, m: "re.Match[str]") -> bool:
    return bool(_PAY_PERIOD.fullmatch(m.group(0).strip())) and bool(_PAY_AFTER.match(text, m.end()))


def is_length_given(text: str, start: int, end: int) -> bool:
    """True when text[start:end] gives a length of time (and is not "有几天", "一个月八千", "第一个月")."""
    return any(q.start <= start < q.end or start <= q.start < end for q in find_durations(text)) or \
        not _DURATION_RE.search(text[start:end])


_YEAR_POINT_AFTER = re.compile(
    r"(?:入职|进厂|进公司|进去|开始|底|初|中旬|上半年|下半年|那年|的时候|\d|[一二三四五六七八九十]+月)")


_YEAR_SPAN_BEFORE = re.compile(r"\d{2,4}年(?:\d{1,2}月(?:份)?)?\s*(?:到|至|-|~|—)\s*$")


def _is_calendar_year(text: str, m: "re.Match[str]") -> bool:
    digits = m.group("num")
    if not digits.isdigit() or m.group("more") or m.group("tail"):
        return False
    if len(digits) == 4:
        return 1900 <= int(digits) <= 2100
    if len(digits) != 2:
        return False
    # "06年": nobody writes a length of service with a leading zero, "93年" is no working life;
    # "06年到16年": the end of a span of years.
    return (digits[0] == "0" or int(digits) > 50 or bool(_YEAR_POINT_AFTER.match(text, m.end()))
            or bool(_YEAR_SPAN_BEFORE.search(text[:m.start()])))


def find_durations(text: str) -> List[Quantity]:
    """All lengths of time a message gives (as months).

    Not a length: a calendar month ("3月"), "3天前" (a date), a pay period ("一个月八千"),
    or a question about a length ("年假有几天", "干了多久").
    """
    found: List[Quantity] = []
    for m in _DURATION_RE.finditer(text):
        # "3月" after a year or as a calendar month is a date, not a duration.
        if m.group("unit") == "月" and not m.group("more"):
            continue
        if m.group("unit") in ("日", "天") and re.match(r"[前后]", text[m.end():m.end() + 1] or " "):
            continue
        if m.group("num") == "几" and (text[m.start() - 1:m.start()] in ("有", "多", "哪") or
                                      re.match(r"了?\s*(?:[？?吗呢]|$)", text[m.end():])):
            continue  # "有几天", "干了几年了？": a question, not a length given
        if m.group("unit") == "年" and _is_calendar_year(text, m):
            continue  # "2018年入职", "18年底": a year on the calendar, not eighteen years of work
        if text[m.start() - 1:m.start()] == "第" or _is_pay_period(text, m):
            continue  # "第一个月" is an ordinal; "一个月八千" a pay period
        q = parse_duration_months(m.group(0))
        if q is not None:
            found.append(Quantity(m.start(), m.end(), m.group(0), q.value, q.approximate))
    return found


# ---------------------------------------------------------------- hours
_HOURS_RE = re.compile(r"(?P<num>" + NUMBER_PATTERN + r"|半)\s*(?:多)?\s*个?(?:小时|钟头|钟)")


def find_hours(text: str) -> List[Quantity]:
    """Numbers of hours in a message ("加班20小时", "三个钟头")."""
    found: List[Quantity] = []
    for m in _HOURS_RE.finditer(text):
        value = 0.5 if m.group("num") == "半" else parse_number(m.group("num"))
        if value is not None and value >= 0:
            found.append(Quantity(m.start(), m.end(), m.group(0), float(value)))
    return found


# ---------------------------------------------------------------- dates
_YMD_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2}|[零〇一二三四五六七八九]{4})\s*(?:年|[.\-/])\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:月|[.\-/])?"
    r"(?:\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:日|号)?)?"
)
_REL_YEAR = {"今年": 0, "去年": -1, "前年": -2, "大前年": -3, "明年": 1}
_REL_MONTH = {"这个月": 0, "本月": 0, "上个月": -1, "上月": -1, "上上个月": -2, "下个月": 1, "下月": 1}
_REL_DAY = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3, "明天": 1, "后天": 2}
_REL_DATE_RE = re.compile(
    r"(?P<ry>大前年|前年|去年|今年|明年)(?:的)?(?:(?P<rym>\d{1,2}|[一二三四五六七八九十]{1,3})月(?:份)?(?:(?P<ryd>\d{1,2}|[一二三四五六七八九十]{1,3})(?:日|号))?|(?P<ryseason>年初|年底|年末|年中))?"
    r"|(?P<rm>上上个月|上个月|上月|这个月|本月|下个月|下月)(?:(?P<rmd>\d{1,2}|[一二三四五六七八九十]{1,3})(?:日|号))?"
    r"|(?P<rd>大前天|前天|昨天|昨日|今天|今日|明天|后天)"
    r"|(?P<ago>" + NUMBER_PATTERN + r"|半|几)(?P<ago_unit>个多月|个月|年|周|个星期|天)(?:以前|之前|前)"
    r"|(?P<md>\d{1,2}|[一二三四五六七八九十]{1,3})月(?:份)?(?:(?P<mdd>\d{1,2}|[一二三四五六七八九十]{1,3})(?:日|号))?"
)


def _small_int(text: Optional[str]) -> Optional[int]:
    if not text:
        return None
    value = parse_number(text)
    return int(value) if value is not None else None


def _safe_date(year: int, month: int, day: int) -> Optional[date]:
    if not (1 <= month <= 12):
        return None
    last = calendar.monthrange(year, month)[1]
    if not (1 <= day <= last):
        return None
    return date(year, month, day)


def _shift_months(d: date, months: int) -> date:
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def parse_date(text: str, today: Optional[date] = None) -> Optional[DateValue]:
    """Read one date (去年3月 → the 1st of March last year, precision month; 2023年5月1号 → 2023-05-01)."""
    found = find_dates(text, today)
    if not found:
        return None
    first = found[0]
    return DateValue(0, len(text), text, first.value, first.precision)


def find_dates(text: str, today: Optional[date] = None) -> List[DateValue]:
    """All dates in a message, resolved against today's date in China."""
    today = today or clock.today()
    found: List[DateValue] = []
    taken: List[range] = []
    for m in _YMD_RE.finditer(text):
        y_text = m.group("y")
        year = int(y_text) if y_text.isdigit() else int("".join(str(int(parse_number(c) or 0)) for c in y_text))
        month = _small_int(m.group("m"))
        day = _small_int(m.group("d"))
        if month is None:
            continue
        d = _safe_date(year, month, day or 1)
        if d is None:
            continue
        found.append(DateValue(m.start(), m.end(), m.group(0), d, "day" if day else "month"))
        taken.append(range(m.start(), m.end()))
    for m in _REL_DATE_RE.finditer(text):
        if any(m.start() in r for r in taken):
            continue
        value: Optional[date] = None
        precision = "day"
        if m.group("ry"):
            year = today.year + _REL_YEAR[m.group("ry")]
            month = _small_int(m.group("rym"))
            day = _small_int(m.group("ryd"))
            season = m.group("ryseason")
            if month:
                value = _safe_date(year, month, day or 1)
                precision = "day" if day else "month"
            elif season:
                value = date(year, {"年初": 1, "年中": 6}.get(season, 12), 1)
                precision = "month"
            else:
                value = date(year, 1, 1)
                precision = "year"
        elif m.group("rm"):
            shifted = _shift_months(today.replace(day=1), _REL_MONTH[m.group("rm")])
            day = _small_int(m.group("rmd"))
            value = _safe_date(shifted.year, shifted.month, day or 1)
            precision = "day" if day else "month"
        elif m.group("rd"):
            value = today + timedelta(days=_REL_DAY[m.group("rd")])
        elif m.group("ago"):
            amount = 0.5 if m.group("ago") == "半" else 3.0 if m.group("ago") == "几" else parse_number(m.group("ago"))
            if amount is None:
                continue
            unit = m.group("ago_unit")
            if unit == "天":
                value = today - timedelta(days=int(amount))
            elif unit in ("周", "个星期"):
                value = today - timedelta(days=int(amount * 7))
            else:
                months = int(round(amount * (12 if unit == "年" else 1)))
                value = _shift_months(today, -months)
                precision = "month"
        elif m.group("md"):
            month = _small_int(m.group("md"))
            day = _small_int(m.group("mdd"))
            if month is None:
                continue
            value = _safe_date(today.year, month, day or 1)
            # A month later than now, said without a year, is last year's.
            if value is not None and value > today:
                value = _safe_date(today.year - 1, month, day or 1)
            precision = "day" if day else "month"
        if value is None:
            continue
        found.append(DateValue(m.start(), m.end(), m.group(0), value, precision))
        taken.append(range(m.start(), m.end()))
    found.sort(key=lambda d: d.start)
    return found
