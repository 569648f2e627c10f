"""How the bot's replies are turned into WeChat text (no Rasa, no network here).

WeChat shows plain text only: buttons become numbered choices the worker can
answer with a digit, and long answers are cut into pieces under WeChat's limit
(2048 bytes per text message; we cut at paragraph ends well below it).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

# WeChat refuses text over 2048 bytes; 600 Chinese characters stay safely below.
MAX_CHARS = 600


def render(messages: List[Dict[str, Any]]) -> Tuple[str, List[Dict[str, str]]]:
    """Join the bot's messages into one text; return it with the buttons offered last."""
    parts: List[str] = []
    buttons: List[Dict[str, str]] = []
    for message in messages:
        text = (message.get("text") or "").strip()
        if text:
            parts.append(text)
        if message.get("buttons"):
            buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in message["buttons"]]
    if buttons:
        choices = "\n".join(f"{i}. {b['title']}" for i, b in enumerate(buttons, start=1))
        parts.append(f"回复数字选择：\n{choices}")
    return "\n\n".join(parts), buttons


def split(text: str, limit: int = MAX_CHARS) -> List[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at line ends where possible."""
    pieces: List[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p.strip("\n") for p in pieces if p.strip()]


def choice(text: str, buttons: Optional[List[Dict[str, str]]]) -> Optional[str]:
    """The payload of the numbered choice ``text`` picks ("2", "２"), if any."""
    if not buttons:
        return None
    digits = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if digits.isdigit() and 1 <= int(digits) <= len(buttons):
        return buttons[int(digits) - 1]["payload"] or buttons[int(digits) - 1]["title"]
    return None
