"""Chinese and Arabic numerals as workers write them: 五千, 一万二, 1.5万, 两千八, 3k.

Only numbers are read here; what they count (yuan, months, dates) is decided by
:mod:`knowledge.text.quantities`.
"""
from __future__ import annotations

import re
from typing import Optional

DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "仨": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}
# Financial capitals (壹贰叁…) appear on payslips and IOUs.
DIGITS.update({"壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9})

NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + "点"

# A number as it may appear in text: Arabic (with decimals, thousands commas, k/w
# suffixes) or a run of Chinese numeral characters, possibly mixed (2万5, 1.5万).
NUMBER_PATTERN = (
    r"(?:\d+(?:,\d{3})*(?:\.\d+)?(?:[kKwW](?![a-zA-Z]))?"
    r"(?:[" + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + r"][" + NUMERAL_CHARS + r"\d]*)?"
    r"|[" + NUMERAL_CHARS.replace("点", "") + r"][" + NUMERAL_CHARS + r"]*)"
)
NUMBER_RE = re.compile(NUMBER_PATTERN)

_ARABIC_RE = re.compile(r"^(\d+(?:\.\d+)?)([kKwW])?$")


def _parse_section(text: str) -> Optional[float]:
    """Parse a section below 万 (e.g. 三千五百二十, 3千5, 两千八)."""
    if not text:
        return 0.0
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total = 0.0
    current: Optional[float] = None
    last_unit = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit():
            m = re.match(r"\d+(?:\.\d+)?", text[i:])
            assert m
            current = float(m.group(0))
            i += len(m.group(0))
            continue
        if ch in DIGITS:
            follows_digit = text[i - 1] in DIGITS and text[i - 1] not in "零〇○"
            if current is not None and DIGITS[ch] != 0 and last_unit is None and follows_digit:
                # 二三 style digit strings are not supported here (三四千 is a range).
                return None
            current = float(DIGITS[ch])
        elif ch in SMALL_UNITS:
            unit = SMALL_UNITS[ch]
            total += (current if current is not None else 1.0) * unit
            current = None
            last_unit = unit
        else:
            return None
        i += 1
    if current is not None:
        # 两千八 → 2800, 三千五 → 3500: a trailing digit after a unit scales by a tenth of it.
        if last_unit and last_unit >= 100 and text[-2] in SMALL_UNITS:
            total += current * last_unit / 10
        else:
            total += current
    return total


def parse_number(text: str) -> Optional[float]:
    """Return the value of a numeral string, or None if it is not one number.

    >>> parse_number("一万二")
    12000.0
    >>> parse_number("1.5万")
    15000.0
    >>> parse_number("两千八")
    2800.0
    """
    s = text.strip().replace(",", "").replace("，", "")
    if not s:
        return None
    m = _ARABIC_RE.match(s)
    if m:
        value = float(m.group(1))
        suffix = (m.group(2) or "").lower()
        if suffix == "k":
            value *= 1000
        elif suffix == "w":
            value *= 10_000
        return value
    # 一点五万: decimal written in characters.
    if "点" in s:
        head, _, tail = s.partition("点")
        unit = 1
        while tail and tail[-1] in BIG_UNITS:
            unit *= BIG_UNITS[tail[-1]]
            tail = tail[:-1]
        whole = parse_number(head) if head else 0.0
        if whole is None or not tail or not all(c in DIGITS for c in tail):
            return None
        frac = float("0." + "".join(str(DIGITS[c]) for c in tail))
        return (whole + frac) * unit
    # Split on big units (亿, 万) from the left.
    total = 0.0
    rest = s
    for unit_char, unit_value in sorted(BIG_UNITS.items(), key=lambda kv: -kv[1]):
        if unit_char in rest:
            head, _, rest = rest.partition(unit_char)
            head_value = _parse_section(head) if head else 1.0
            if head_value is None:
                return None
            total += head_value * unit_value
            if rest and len(rest) == 1 and (rest in DIGITS or rest.isdigit()) and rest not in "零〇○":
                # 一万二 → 12000, 2万5 → 25000: a lone digit after 万 means thousands.
                return total + float(DIGITS.get(rest, rest) if not rest.isdigit() else rest) * unit_value / 10
            rest = rest.lstrip("零〇○")
    tail_value = _parse_section(rest)
    if tail_value is None:
        return None
    return total + tail_value
