"""How actions turn knowledge into messages: plain text that every channel can
show, plus a custom payload (``routes``, ``citations``) for rich channels."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence

from knowledge.queries import Citation, ServicePointAnswer
from knowledge.taxonomy import TOPICS

# The topics offered as buttons when the bot did not understand, most asked first.
MENU_TOPICS = ("wage_arrears", "dismissal", "work_injury", "labor_contract", "overtime", "social_insurance",
               "maternity_protection", "leave")


def contact_line(point: ServicePointAnswer) -> str:
    """'公共法律服务热线：12348' (with hours or a note when known)."""
    extra = "，".join(x for x in (point.hours, point.note) if x)
    return f"{point.name}：{point.phone or point.address or point.url}" + (f"（{extra}）" if extra else "")


def hotline_text(points: Iterable[ServicePointAnswer]) -> str:
    """One line naming the hotlines with their numbers."""
    parts = [f"{p.name} {p.phone}" for p in points if p.phone]
    return "、".join(parts)


def topic_buttons(topics: Sequence[str] = MENU_TOPICS) -> List[Dict[str, str]]:
    """Quick-reply buttons that start a topic (payload is the intent)."""
    return [{"title": TOPICS[t], "payload": f"/{t}"} for t in topics]


def citations_payload(citations: Iterable[Citation]) -> List[Dict[str, Any]]:
    seen = []
    for c in citations:
        d = c.as_dict()
        if d not in seen:
            seen.append(d)
    return seen


def route_payload(cards: List[Dict[str, Any]], citations: Optional[Iterable[Citation]] = None) -> Dict[str, Any]:
    """The custom payload rich channels draw as cards: {"routes": [...], "citations": [...]}."""
    return {"routes": cards, "citations": citations_payload(citations or [])}
