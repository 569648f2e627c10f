"""Make a worker's message uniform before it is read: Simplified characters,
half-width digits and letters, no emoji or control characters, tidy whitespace.

:func:`normalise` also returns, for every output character, the index of the
input character it came from, so annotated entity offsets can be carried over.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Tuple

import opencc

# Ideographic full stop and similar keep their Chinese form; only the ASCII
# range of full-width forms (！ to ～) and the ideographic space are folded.
_FULLWIDTH_START, _FULLWIDTH_END, _FULLWIDTH_OFFSET = 0xFF01, 0xFF5E, 0xFEE0
_KEEP_FULLWIDTH = set("，！？：；（）")  # Chinese punctuation reads better left as is

# Characters that carry no words: emoji, pictographs, variation selectors, joiners.
_DROP_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cf", "Cc"}
_KEEP_SYMBOLS = set("¥￥%‰℃°")
_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _converter() -> "opencc.OpenCC":
    # t2s: Traditional → Simplified, phrase-aware (薪資 → 薪资, 老闆 → 老板).
    return opencc.OpenCC("t2s")


@dataclass(frozen=True)
class Normalised:
    """Normalised text and, per output character, the input index it came from."""

    text: str
    source_index: Tuple[int, ...]

    def map_span(self, start: int, end: int) -> Tuple[int, int]:
        """Map an input span [start, end) to the output span covering the same characters."""
        new_start = next((i for i, s in enumerate(self.source_index) if s >= start), len(self.text))
        new_end = next((i for i in range(len(self.source_index) - 1, -1, -1) if self.source_index[i] < end), -1) + 1
        return new_start, max(new_start, new_end)


def _fold_char(ch: str) -> str:
    code = ord(ch)
    if ch in _KEEP_FULLWIDTH:
        return ch
    if _FULLWIDTH_START <= code <= _FULLWIDTH_END:
        return chr(code - _FULLWIDTH_OFFSET)
    if code == 0x3000:  # ideographic space
        return " "
    return ch


def _is_dropped(ch: str) -> bool:
    if ch in _KEEP_SYMBOLS or ch in "\n\t ":
        return False
    code = ord(ch)
    # Variation selectors and the keycap mark ride on emoji (they are "Mn"/"Me").
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or code == 0x20E3:
        return True
    return unicodedata.category(ch) in _DROP_CATEGORIES


def normalise(text: str, max_chars: int = 0) -> Normalised:
    """Normalise ``text``; if ``max_chars`` > 0, keep at most that many characters
    (the start and the end of a very long message, where the question usually is).
    """
    if not text:
        return Normalised("", ())
    # A lone surrogate (from JSON "\ud83d") cannot be encoded for OpenCC: it becomes U+FFFD, a
    # symbol that is dropped below (one character for one, so the positions stay the same).
    text = _SURROGATE.sub("\ufffd", text)
    # A very long message is only ever kept as its head and tail: convert just those.
    if max_chars and len(text) > 4 * max_chars:
        size = 2 * max_chars
        pieces = [(0, text[:size]), (len(text) - size, text[-size:])]
    else:
        pieces = [(0, text)]
    out: List[str] = []
    index: List[int] = []
    previous_space = True  # also strips leading whitespace
    for offset, piece in pieces:
        previous_space = _fold_piece(piece, offset, out, index, previous_space)
    while out and out[-1] == " ":
        out.pop()
        index.pop()
    if max_chars and len(out) > max_chars:
        head = max_chars // 2
        tail = max_chars - head
        out = out[:head] + out[-tail:]
        index = index[:head] + index[-tail:]
    return Normalised("".join(out), tuple(index))


def _fold_piece(piece: str, offset: int, out: List[str], index: List[int], previous_space: bool) -> bool:
    """Append the normalised characters of ``piece`` (found at ``offset``) to ``out``/``index``."""
    # Traditional → Simplified first: OpenCC keeps one character per character
    # for the conversions we use; if it ever does not, fall back to per-character.
    converted = _converter().convert(piece)
    if len(converted) != len(piece):
        converted = "".join(_converter().convert(c) if len(_converter().convert(c)) == 1 else c for c in piece)
    for i, ch in enumerate(converted):
        ch = _fold_char(ch)
        if _is_dropped(ch):
            continue
        if ch.isspace():
            if previous_space:
                continue
            ch = " "
            previous_space = True
        else:
            previous_space = False
        out.append(ch)
        index.append(offset + i)
    return previous_space


def normalise_text(text: str, max_chars: int = 0) -> str:
    """Just the normalised text (see :func:`normalise`)."""
    return normalise(text, max_chars).text
