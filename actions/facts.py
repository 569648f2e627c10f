"""Reading facts from a parsed message: the NLU's resolved entities (places as adcodes, money
in yuan, lengths in months, ISO dates) and, for the question just asked, the bare answer.

Which fact an amount or a date fills, and how a bare answer is read, is decided by the topic
specification (:mod:`knowledge.topics`); this module only adapts Rasa's message format.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from knowledge import topics
from knowledge.text.normalise import normalise_text
from knowledge.text.quantities import find_hours

SKIP = topics.SKIP
ALL_FACTS = topics.all_facts()
# A message this confident about another topic changes the subject.
TOPIC_CONFIDENCE = 0.6


def _entities(message: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
    return [e for e in message.get("entities") or [] if e.get("entity") == kind]


def place_from(message: Dict[str, Any]) -> Optional[str]:
    """The adcode of the most specific place in the message (resolved by the NLU)."""
    places = [e for e in message.get("entities") or []
              if e.get("entity") in ("province", "city", "district") and e.get("adcode")]
    if not places:
        return None
    order = {"province": 0, "city": 1, "district": 2}
    # The last, most specific mention wins ("江苏人，在深圳南山打工" → 南山区).
    best = places[-1]
    for e in places:
        if order[e["entity"]] > order[best["entity"]] and (
                e.get("province") in (None, best.get("value"), best.get("province"))):
            best = e
    return str(best["adcode"])


def extract(message: Dict[str, Any], topic: Optional[str], requested: Optional[str],
            last_fact: Optional[str] = None, known: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Facts in ``message`` for ``topic``; ``requested`` is the fact the bot just asked for.

    A correction ("不对，是九千") replaces a fact already ``known`` of the same kind — the one the
    worker gave last (``last_fact``) if it is of that kind.
    """
    text = message.get("text") or ""
    plain = normalise_text(text)
    intent = (message.get("intent") or {}).get("name")
    found: Dict[str, Any] = {}
    place = place_from(message)
    if place:
        found["place"] = place
    correcting = topics.is_correction(plain)
    for kind in topics.ENTITY_KINDS:
        for e in _entities(message, kind):
            value, start, end = e.get("value"), e.get("start"), e.get("end")
            if not isinstance(start, int) or not isinstance(end, int) or value is None:
                continue
            corrected = _corrected(kind, last_fact, known or {}) if correcting else None
            target = corrected or topics.assign(topic, kind, text, start, end, requested)
            if target is None:
                continue
            if kind == "duration" and isinstance(value, (int, float)):
                found[target] = topics.from_duration(target, float(value))
            elif kind == "money" and isinstance(value, (int, float)):
                found[target] = float(value)
            elif kind == "date" and isinstance(value, str):
                found[target] = value
    spec = topics.topic(topic)
    if spec is not None and "hours" in spec.reads:
        for q in find_hours(text):  # the NLU has no hours entity: read them here
            corrected = _corrected("hours", last_fact, known or {}) if correcting else None
            target = corrected or topics.assign(topic, "hours", text, q.start, q.end, requested)
            if target:
                found[target] = q.value
    for e in _entities(message, "contract_status"):
        if e.get("value") in ("signed", "unsigned", "expired"):
            found["contract_status"] = e["value"]
    how = topics.labelled(plain, "how_ended")
    if how and (requested == "how_ended" or (spec is not None and "how_ended" in spec.facts)):
        found["how_ended"] = how
    if topics.mentions(plain, "pregnant"):
        found["pregnant"] = True
    if topics.mentions(plain, "migrant_worker") or any(e.get("value") == "农民工" for e in _entities(message, "worker_group")):
        found["migrant_worker"] = True
    if requested and requested not in found and not (correcting and found):
        answer = topics.read_answer(requested, plain, intent)
        if answer is not None:
            found[requested] = answer
    return found


def _corrected(kind: str, last_fact: Optional[str], known: Dict[str, Any]) -> Optional[str]:
    """The known fact a correction of ``kind`` replaces: the last one given, else the first of that kind."""
    fills = topics.FILLS[kind]
    if last_fact and last_fact in known and topics.fact(last_fact).kind in fills:
        return last_fact
    return next((name for name in known if name in topics.spec().facts and topics.fact(name).kind in fills
                 and topics.known(known[name])), None)


def is_other_topic(message: Dict[str, Any], topic: Optional[str]) -> bool:
    """True if the message confidently asks about a different topic (the worker changes subject)."""
    from knowledge.taxonomy import TOPICS

    intent = message.get("intent") or {}
    return (intent.get("name") in TOPICS and intent.get("name") != topic
            and (intent.get("confidence") or 0) >= TOPIC_CONFIDENCE)
