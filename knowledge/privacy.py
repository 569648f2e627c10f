"""Masking personal numbers in what is logged or stored: ID-card, bank-card and
phone numbers keep only their last four digits."""
from __future__ import annotations

import logging
import re
from typing import Optional

# 18-digit resident ID (last character may be X), or the old 15-digit form.
_ID_CARD = re.compile(r"(?<!\d)(\d{6})(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)")
# Bank cards: 16–19 digits, possibly grouped with single spaces or hyphens.
_BANK_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){15,18}(?!\d)")
# Mobile numbers (with optional +86) and landlines with area codes.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)")


def _keep_last4(match: "re.Match[str]") -> str:
    digits = re.sub(r"[^\dXx]", "", match.group(0))
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_pii(text: str) -> str:
    """Replace ID-card, bank-card and phone numbers in ``text`` by masks (last four digits kept)."""
    if not text:
        return text
    for pattern in (_ID_CARD, _BANK_CARD, _MOBILE, _LANDLINE):
        text = pattern.sub(_keep_last4, text)
    return text


def normalise_phone(text: str) -> str:
    """A callback number as digits only (mobile or landline), or '' if it is not one."""
    digits = re.sub(r"[^\d]", "", text or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if re.fullmatch(r"1[3-9]\d{9}", digits) or re.fullmatch(r"0\d{9,11}", digits):
        return digits
    return ""


class PiiLogFilter(logging.Filter):
    """A logging filter that masks personal numbers in every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is left to logging's own error handling
            return True
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_masking(logger: Optional[logging.Logger] = None) -> None:
    """Mask personal numbers in everything written by the handlers of ``logger`` (default: root)."""
    target = logger or logging.getLogger()
    handlers = target.handlers or [h for h in logging.getLogger().handlers]
    for handler in handlers:
        if not any(isinstance(f, PiiLogFilter) for f in handler.filters):
            handler.addFilter(PiiLogFilter())
    if not any(isinstance(f, PiiLogFilter) for f in target.filters):
        target.addFilter(PiiLogFilter())
