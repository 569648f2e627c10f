"""Masking personal numbers in what is logged, stored or read by the NLU: ID-card,
bank-card and phone numbers keep only their last four digits.

People write numbers in many ways: ``138 1234 5678``, ``138－1234－5678``,
``138.1234.5678``, with an ideographic space (U+3000) or a zero-width space
inside, a card in groups of four. :func:`pii_spans` finds runs of digits joined
by such separators and tests every stretch of whole groups in them, longest
first, so "13812345678 8000" masks the phone and keeps the wage.

The message a worker is typing for a callback keeps its number in the running
turn (the case record needs it); the NLU reads the masked text, so a phone
number is never mistaken for a wage (see :mod:`bot.nlu.normaliser`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

# Characters that may stand between the digits of one number: spaces of any width,
# hyphens and dashes, dots, the middle dot, and invisible formatting characters.
_SEPARATOR = "\\s\\-.\u00b7\u2010-\u2015\u2212\uff0d\uff0e\u3000\u200b-\u200d\u2060\ufeff"
_DIGIT = "0-9\uff10-\uff19"
_RUN = re.compile(rf"(?<![{_DIGIT}])\+?[{_DIGIT}](?:[{_SEPARATOR}]{{0,3}}[{_DIGIT}Xx])*(?![{_DIGIT}])")
_GROUP = re.compile(rf"[{_DIGIT}Xx]+")

_MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")
_ID_18 = re.compile(r"\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")
_LANDLINE = re.compile(r"0\d{9,11}")
# Bank cards: 16-19 digits starting as card numbers do (3 Amex/JCB, 4 Visa, 5 Mastercard, 6 UnionPay).
_CARD = re.compile(r"[3-6]\d{15,18}")

MOBILE, ID_CARD, BANK_CARD, LANDLINE = "mobile", "id_card", "bank_card", "landline"


@dataclass(frozen=True)
class PiiSpan:
    """A personal number in a text: where it is, what kind, and its digits."""

    start: int
    end: int
    kind: str
    digits: str

    @property
    def mask(self) -> str:
        """The number with all but its last four characters replaced by ``*``."""
        return "*" * max(len(self.digits) - 4, 0) + self.digits[-4:]


def _digits(text: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if "\uff10" <= c <= "\uff19" else c for c in text)


def _kind(digits: str, grouped: bool) -> Optional[str]:
    """What a number is, from its digits alone (``grouped``: written with separators inside)."""
    if "X" in digits.upper():
        return ID_CARD if _ID_18.fullmatch(digits) else None
    if _MOBILE.fullmatch(digits):
        return MOBILE
    if _ID_18.fullmatch(digits) or (len(digits) == 15 and not grouped):
        return ID_CARD
    if _CARD.fullmatch(digits):
        return BANK_CARD
    if _LANDLINE.fullmatch(digits):
        return LANDLINE
    return None


def pii_spans(text: str) -> List[PiiSpan]:
    """Every personal number in ``text``, in order."""
    found: List[PiiSpan] = []
    if not text:
        return found
    for run in _RUN.finditer(text):
        groups: List[Tuple[int, int]] = [(m.start() + run.start(), m.end() + run.start())
                                         for m in _GROUP.finditer(run.group(0))]
        i = 0
        while i < len(groups):
            for j in range(len(groups), i, -1):  # longest stretch of whole groups first
                digits = _digits("".join(text[s:e] for s, e in groups[i:j]))
                kind = _kind(digits, grouped=j - i > 1)
                if kind:
                    start = groups[i][0]
                    if kind == MOBILE and start > 0 and text[start - 1] == "+":
                        start -= 1  # +86 138…: the plus sign goes with the number
                    found.append(PiiSpan(start, groups[j - 1][1], kind, digits))
                    i = j
                    break
            else:
                i += 1
    return found


def mask_pii(text: str) -> str:
    """Replace ID-card, bank-card and phone numbers in ``text`` by masks (last four digits kept)."""
    spans = pii_spans(text)
    for span in reversed(spans):
        text = text[:span.start] + span.mask + text[span.end:]
    return text


def normalise_phone(text: str) -> str:
    """A callback number as digits only (mobile or landline), or '' if it is not one."""
    for span in pii_spans(text or ""):
        if span.kind == MOBILE:
            return span.digits[-11:]
        if span.kind == LANDLINE:
            return span.digits
    return ""


# Secrets in URLs that an exception message may carry (Rasa logs request URLs).
_URL_SECRET = re.compile(r"((?:token|access_token|secret|signature|password)=)[^&\s'\"]+", re.I)


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken record is left to logging's own error handling
        return
    masked = _URL_SECRET.sub(r"\1***", mask_pii(message))
    if masked != message:
        record.msg, record.args = masked, None


class PiiLogFilter(logging.Filter):
    """A logging filter that masks personal numbers and URL secrets in every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def install_log_masking() -> None:
    """Mask personal numbers and URL secrets in every log record this process creates.

    Done where records are made (the record factory), so it holds for every logger and
    handler, including those a library configures after this call (Sanic's own).
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_gongyou_masking", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _mask_record(record)
        return record

    factory._gongyou_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
