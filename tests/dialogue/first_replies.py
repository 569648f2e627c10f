"""The first-reply answer rate: for each single question of ``first_replies.yml``, does the
bot's first reply already say what was asked? Used by the e2e test and by ``make eval``."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import yaml

QUESTIONS_FILE = Path(__file__).parent / "first_replies.yml"


def questions() -> List[Dict]:
    """The question set: ``{"q": question, "expect": [strings the first reply must contain]}``."""
    return list(yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))["questions"])


def said(expected: str, reply: str) -> bool:
    """``expected`` is in ``reply`` (30日 and 30天 say the same)."""
    return any(form in reply for form in {expected, expected.replace("日", "天"), expected.replace("天", "日")})


def first_reply_rate(say: Callable[[str, str], str]) -> Tuple[float, List[Dict]]:
    """Ask every question in a new conversation; the share answered, and the misses with their replies."""
    misses = []
    items = questions()
    for item in items:
        reply = say("first-" + uuid.uuid4().hex[:12], item["q"])
        missing = [e for e in item["expect"] if not said(e, reply)]
        if missing:
            misses.append({"q": item["q"], "missing": missing, "reply": reply[:600]})
    return 1 - len(misses) / len(items), misses
