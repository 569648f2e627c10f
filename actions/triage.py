"""The triage conversation: remember the topic, read facts from every message,
ask only for the facts the topic still needs (one form for all topics), and
answer from the knowledge base."""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import kb
from actions.answers import compose
from actions.facts import (
    ALL_FACTS,
    BOOL_FACTS,
    DATE_FACTS,
    HOUR_FACTS,
    MONEY_FACTS,
    MONTH_FACTS,
    SKIP,
    extract,
    facts_for,
    is_other_topic,
)
from actions.replies import hotline_text
from knowledge import clock
from knowledge.privacy import normalise_phone
from knowledge.taxonomy import TOPICS

logger = logging.getLogger(__name__)
Validator = Callable[[Any, CollectingDispatcher, Tracker, DomainDict], Dict[Text, Any]]

# Conversation intents whose words are not answers to a fact question.
# Replies up to this length that answer the question asked are answers, not a new topic.
SHORT_ANSWER_CHARS = 12
NOT_ANSWERS = ("emergency", "out_of_scope", "bot_challenge", "greet", "goodbye", "thank", "request_human")
HANDOFF_SLOTS = ("callback_consent", "callback_phone")


def current_facts(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in ALL_FACTS if tracker.get_slot(name) is not None}


class ActionValidateSlotMappings(Action):
    """Runs after every user message: reads place and facts for the current topic.

    A message that confidently asks about another topic is left to
    ``action_set_topic``, which resets the facts before reading it.
    """

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        events: List[EventType] = []
        if intent != "nlu_fallback" and (tracker.get_slot("misunderstandings") or 0):
            events.append(SlotSet("misunderstandings", 0.0))
        requested = tracker.get_slot("requested_slot")
        if requested in HANDOFF_SLOTS:
            return events + handoff_answer(requested, message, worker_words(tracker))
        topic = tracker.get_slot("topic")
        if is_other_topic(message, topic) or intent in ("emergency", "out_of_scope"):
            return events
        if intent in NOT_ANSWERS:
            requested = None
        found = extract(message, topic, requested)
        for name, value in found.items():
            if tracker.get_slot(name) != value:
                events.append(SlotSet(name, value))
        return events


def worker_words(tracker: Tracker) -> str:
    """The worker's last message as typed: the NLU reads it with personal numbers masked,
    but a callback number the worker gives must reach the case in full."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str(event.get("text") or "")
    return ""


def handoff_answer(requested: str, message: Dict[str, Any], typed: str = "") -> List[EventType]:
    """Read the answer to the callback questions of the handoff form (``typed``: the words as written)."""
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    phone = normalise_phone(typed or text)
    if requested == "callback_consent":
        if phone:
            return [SlotSet("callback_consent", True), SlotSet("callback_phone", phone)]
        if intent == "affirm" or any(w in text for w in ("需要", "要", "好", "可以", "是")) and "不" not in text:
            return [SlotSet("callback_consent", True)]
        if intent == "deny" or any(w in text for w in ("不", "没", "算了")):
            return [SlotSet("callback_consent", False)]
        return []
    if requested == "callback_phone":
        if phone:
            return [SlotSet("callback_phone", phone)]
        if intent == "deny" or any(w in text for w in ("不留", "不想", "算了", "不用")):
            return [SlotSet("callback_consent", False), SlotSet("callback_phone", SKIP)]
    return []


class ActionSetTopic(Action):
    """Start (or switch to) a topic: keep the place, forget the old topic's facts, read the new ones."""

    def name(self) -> Text:
        return "action_set_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if intent not in TOPICS:
            return []
        previous = tracker.get_slot("topic")
        requested = tracker.get_slot("requested_slot")
        if tracker.active_loop_name == "triage_form" and previous and requested:
            # A short reply that answers the question asked ("已经离职了" to "还在这家单位干吗？")
            # is an answer, even if the model heard a topic in it; the same topic again just adds facts.
            text = message.get("text") or ""
            answer = extract(message, previous, requested)
            if previous == intent or (requested in answer and len(text) <= SHORT_ANSWER_CHARS):
                return [SlotSet(name, value) for name, value in answer.items()]
        events: List[EventType] = [SlotSet("topic", intent), SlotSet("misunderstandings", 0.0)]
        facts = current_facts(tracker)
        if previous and previous != intent:
            for name in ALL_FACTS:
                if name != "place" and facts.get(name) is not None:
                    events.append(SlotSet(name, None))
                    facts.pop(name)
        found = extract(message, intent, None)
        for name, value in found.items():
            events.append(SlotSet(name, value))
            facts[name] = value
        missing = facts_for(intent, facts)
        if missing:
            dispatcher.utter_message(response=f"utter_topic_{intent}")
        else:
            dispatcher.utter_message(text=f"明白，关于“{TOPICS[intent]}”的情况我记下了，马上为您查。")
        return events


class ValidateTriageForm(FormValidationAction):
    """Which facts the form asks, per topic, and checks that the answers make sense."""

    def name(self) -> Text:
        return "validate_triage_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        facts = current_facts(tracker)
        asked = facts_for(tracker.get_slot("topic"), {})
        missing = set(facts_for(tracker.get_slot("topic"), facts))
        # Keep the topic's order; already-known facts stay listed so the form sees them as filled.
        return [f for f in asked if f in missing or f in facts]

    def _check(self, name: str, value: Any, dispatcher: CollectingDispatcher, valid: bool, problem: str) -> Dict[Text, Any]:
        if value == SKIP or valid:
            return {name: value}
        dispatcher.utter_message(text=problem)
        return {name: None}

    def validate_place(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> Dict[Text, Any]:
        from knowledge.regions import region_index

        region = region_index().get(str(value)) if value and value != SKIP else None
        if value == SKIP:
            return {"place": SKIP}
        if region is None:
            dispatcher.utter_message(text="这个地方我没认出来，请写省和市的名字，比如“江苏淮安”或“深圳南山区”。")
            return {"place": None}
        if not region.mainland:
            dispatcher.utter_message(text=f"{region.name}适用当地自己的劳动法律，我只能按内地的规定回答，请向当地劳工部门咨询。")
        return {"place": region.adcode}

    def _number(self, name: str, low: float, high: float, problem: str) -> Validator:
        def validate(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
            ok = isinstance(value, (int, float)) and low <= float(value) <= high
            return self._check(name, float(value) if ok else value, dispatcher, ok, problem)
        return validate

    def __getattr__(self, attr: str) -> Validator:
        # validate_<fact> for the numeric, boolean and date facts, generated from their kind.
        if not attr.startswith("validate_"):
            raise AttributeError(attr)
        name = attr[len("validate_"):]
        if name in MONEY_FACTS:
            return self._number(name, 1, 10_000_000, "金额好像不对，请写一个数字，比如“6000”或“一万二”。")
        if name in MONTH_FACTS:
            return self._number(name, 0.1, 600, "时间长度好像不对，请写成“三年半”“8个月”这样。")
        if name in HOUR_FACTS:
            return self._number(name, 0, 400, "请写每月加班的小时数，比如“40”；没有就说“没有”。")
        if name == "work_years":
            return self._number(name, 0, 60, "请写一共工作了多少年，比如“12年”。")
        if name in BOOL_FACTS:
            return lambda value, dispatcher, tracker, domain: self._check(
                name, value, dispatcher, isinstance(value, bool), "请回答“是”或“不是”。")
        if name in DATE_FACTS:
            def validate_date(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[Text, Any]:
                from datetime import date

                try:
                    day = date.fromisoformat(str(value))
                except ValueError:
                    return self._check(name, value, dispatcher, False, "日期没看懂，请写成“2024年5月1日”或“去年3月”。")
                future_ok = name == "birth_date"
                ok = future_ok or day <= clock.today()
                return self._check(name, value, dispatcher, ok, "这个日期还没到，请再确认一下。")
            return validate_date
        if name in ("how_ended", "contract_status"):
            return lambda value, dispatcher, tracker, domain: {name: value}
        raise AttributeError(attr)


class ActionAnswerTopic(Action):
    """The facts are in (or skipped): answer from the knowledge base for the worker's place."""

    def name(self) -> Text:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        topic = tracker.get_slot("topic")
        if topic not in TOPICS:
            dispatcher.utter_message(response="utter_ask_what_problem")
            return []
        facts = current_facts(tracker)
        place = facts.get("place") if facts.get("place") not in (None, SKIP) else None
        try:
            with kb.session() as session:
                answer = compose(session, topic, facts, place, question=_question(tracker, topic))
        except kb.KnowledgeUnavailable:
            dispatcher.utter_message(text="抱歉，资料库暂时连不上，我没法查到准确的规定。"
                                          "请稍后再问，或者直接联系工作人员。" + _hotlines())
            return []
        for message in answer.messages:
            dispatcher.utter_message(text=message["text"], json_message=message.get("custom"))
        dispatcher.utter_message(
            response="utter_anything_else",
            buttons=[{"title": "转人工", "payload": "/request_human"}, {"title": "问别的问题", "payload": "/greet"}],
        )
        return [SlotSet("answered_topic", topic), SlotSet("deadlines", answer.deadlines or None)]


def _question(tracker: Tracker, topic: str) -> str:
    """The worker's message that raised ``topic`` (the newest one classified as it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and ((event.get("parse_data") or {}).get("intent") or {}).get("name") == topic:
            return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


def _hotlines() -> str:
    try:
        points = kb.national_hotlines()
    except kb.KnowledgeUnavailable:
        return ""
    return f"热线：{hotline_text(points)}。" if points else ""


class ActionReaskFact(Action):
    """The answer did not fit the question: say so, show an example, and allow skipping."""

    def name(self) -> Text:
        return "action_reask_fact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        requested: Optional[str] = tracker.get_slot("requested_slot")
        if requested:
            dispatcher.utter_message(text="抱歉，这个回答我没对上。不清楚的话可以说“跳过”。")
        return []
