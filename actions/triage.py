"""The topic conversation, answer first: read every fact the worker gives, answer at once with
what the knowledge base says for what is known, then ask — one at a time, skippable — only
a fact that would change the answer (the topic specification in :mod:`knowledge.topics`
decides which), and answer again, with what is new, when it comes.

The triage form asks the questions: its required slot is the one next fact worth asking, and
its ask actions (``action_ask_<fact>``) give the refined answer and then the question. When
no question is left, ``action_answer_topic`` gives the answer.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional, Text, Type

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import kb
from actions.answers import compose, fingerprint
from actions.facts import ALL_FACTS, SKIP, extract, is_other_topic
from actions.replies import hotline_text
from knowledge import clock, topics
from knowledge.documents import available_kinds
from knowledge.privacy import normalise_phone
from knowledge.taxonomy import TOPICS

logger = logging.getLogger(__name__)

# Replies up to this length that answer the question asked are answers, not a new topic.
SHORT_ANSWER_CHARS = 12
NOT_ANSWERS = ("emergency", "out_of_scope", "bot_challenge", "greet", "goodbye", "thank", "request_human")
HANDOFF_SLOTS = ("callback_consent", "callback_phone")
ANYTHING_ELSE = [{"title": "转人工", "payload": "/request_human"}, {"title": "问别的问题", "payload": "/greet"}]
DOCUMENTS = {"title": "生成文书", "payload": "/request_documents"}


def current_facts(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in ALL_FACTS if tracker.get_slot(name) is not None}


def worker_words(tracker: Tracker) -> str:
    """The worker's last message as typed: the NLU reads it with personal numbers masked,
    but a callback number the worker gives must reach the case in full."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str(event.get("text") or "")
    return ""


def _fact_events(tracker: Tracker, found: Dict[str, Any]) -> List[EventType]:
    events: List[EventType] = [SlotSet(name, value) for name, value in found.items() if tracker.get_slot(name) != value]
    given = [name for name in found if name != "place" and found[name] != SKIP]
    if given:
        events.append(SlotSet("last_fact", given[-1]))
    return events


class ActionValidateSlotMappings(Action):
    """Runs after every user message: reads the place and the facts of the current topic.

    A message that confidently asks about another topic is left to ``action_set_topic``,
    which resets the facts before reading it.
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
        found = extract(message, topic, requested, tracker.get_slot("last_fact"), current_facts(tracker))
        return events + _fact_events(tracker, found)


def handoff_answer(requested: str, message: Dict[str, Any], typed: str = "") -> List[EventType]:
    """Read the answer to the callback questions of the handoff form (``typed``: the words as written)."""
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    phone = normalise_phone(typed or text)
    if requested == "callback_consent":
        if phone:
            return [SlotSet("callback_consent", True), SlotSet("callback_phone", phone)]
        answer = topics.yes_no(text, intent)
        if answer is not None:
            return [SlotSet("callback_consent", answer)]
        return []
    if requested == "callback_phone":
        if phone:
            return [SlotSet("callback_phone", phone)]
        if intent == "deny" or topics.is_skip(text) or any(w in text for w in ("不留", "不想", "不用")):
            return [SlotSet("callback_consent", False), SlotSet("callback_phone", SKIP)]
    return []


class ActionSetTopic(Action):
    """Start (or switch to) a topic: keep the place, forget the old topic's facts, read the new ones.

    During the questions, a short reply that answers the question asked is an answer, even if
    the model heard a topic in it ("已经离职了" to "还在这家单位干吗？").
    """

    def name(self) -> Text:
        return "action_set_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if intent not in TOPICS:
            return []
        previous = tracker.get_slot("topic")
        requested = tracker.get_slot("requested_slot")
        text = message.get("text") or ""
        in_questions = tracker.active_loop_name == "triage_form" and requested
        if previous and (in_questions or tracker.get_slot("answered")):
            answer = extract(message, previous, requested if in_questions else None, tracker.get_slot("last_fact"),
                             current_facts(tracker))
            # The same topic again, or a short reply that gives facts ("已经离职了", "不对，是九千"), adds to
            # the topic being answered, whatever topic the model heard in it.
            if answer and len(text) <= SHORT_ANSWER_CHARS:
                return _fact_events(tracker, answer)
            if previous == intent:  # a new question on the same topic: answered afresh, facts kept
                return _fact_events(tracker, answer) + [SlotSet("question", text[:2000]), SlotSet("shown", [])]
        if text.startswith("/"):  # a button ("也说说拖欠工资"): the question is still the story told before
            text = tracker.get_slot("question") or ""
        also = (message.get("second_topic") or {}).get("name")
        events: List[EventType] = [SlotSet("topic", intent), SlotSet("misunderstandings", 0.0),
                                   SlotSet("question", text[:2000]), SlotSet("shown", []), SlotSet("last_fact", None),
                                   SlotSet("also_topic", also if also in TOPICS and also != intent else None)]
        facts = current_facts(tracker)
        if previous and previous != intent:
            for name in ALL_FACTS:
                if name != "place" and facts.get(name) is not None:
                    events.append(SlotSet(name, None))
                    facts.pop(name)
        found = extract(message, intent, None)
        events += [SlotSet(name, value) for name, value in found.items()]
        given = [name for name in found if name != "place"]
        if given:
            events.append(SlotSet("last_fact", given[-1]))
        return events


def _respond(dispatcher: CollectingDispatcher, tracker: Tracker, ask: Optional[str]) -> List[EventType]:
    """The answer for what is known now (only the parts not shown before), then ``ask``'s question."""
    topic = tracker.get_slot("topic")
    if topic not in TOPICS:
        dispatcher.utter_message(response="utter_ask_what_problem")
        return []
    facts = current_facts(tracker)
    place = facts.get("place") if topics.known(facts.get("place")) else None
    shown = list(tracker.get_slot("shown") or [])
    try:
        with kb.session() as session:
            answer = compose(session, topic, facts, place, question=tracker.get_slot("question") or "")
    except kb.KnowledgeUnavailable:
        dispatcher.utter_message(text="抱歉，资料库暂时连不上，我没法查到准确的规定。请稍后再问，或者直接联系工作人员。"
                                      f"热线：{hotline_text(kb.national_hotlines())}。")
        return []
    new = [m for m in answer.messages if fingerprint(m) not in shown]
    for message in new:
        dispatcher.utter_message(text=message["text"], json_message=message.get("custom"))
    shown += [fingerprint(m) for m in new]
    events: List[EventType] = []
    also = tracker.get_slot("also_topic")
    if new and also in TOPICS and also != topic:
        # The worker raised two problems: answer the main one, offer the other rather than drop it.
        dispatcher.utter_message(text=f"您还提到了“{TOPICS[also]}”的问题，点下面我接着说。",
                                 buttons=[{"title": f"说说{TOPICS[also]}", "payload": f"/{also}"}])
        events.append(SlotSet("also_topic", None))
    # With an amount worked out, the paper that claims it is one tap away.
    calculated = any("calculation" in (m.get("custom") or {}) for m in answer.messages)
    then = ([DOCUMENTS] if calculated and available_kinds(topic) else []) + ANYTHING_ELSE
    if ask:
        f = topics.fact(ask)
        dispatcher.utter_message(text=("另外，" if new else "") + f.question, buttons=f.buttons())
    elif new:
        dispatcher.utter_message(response="utter_anything_else", buttons=then)
    else:
        dispatcher.utter_message(text="好的。按您说的情况，上面的回答不变。", buttons=then)
    return events + [SlotSet("shown", shown), SlotSet("answered_topic", topic), SlotSet("answered", True),
                     SlotSet("deadlines", answer.deadlines or None)]


class ActionAnswerTopic(Action):
    """No question is worth asking now: answer with what is known."""

    def name(self) -> Text:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return _respond(dispatcher, tracker, None)


class AskFact(Action):
    """``action_ask_<fact>``: the answer so far, then the one question (with quick replies and 跳过)."""

    fact = ""

    def name(self) -> Text:
        return f"action_ask_{self.fact}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return _respond(dispatcher, tracker, self.fact)


def _ask_action(fact_name: str) -> Type[AskFact]:
    return type(f"AskFact_{fact_name}", (AskFact,), {"fact": fact_name, "__doc__": f"Ask for {fact_name}."})


# One ask action per fact of the specification (their names are listed in domain.yml; a test checks it).
ASK_ACTIONS = [_ask_action(name) for name in topics.all_facts()]


class ValidateTriageForm(FormValidationAction):
    """The form asks the one fact worth asking next, and checks the answer against the fact's bounds."""

    def name(self) -> Text:
        return "validate_triage_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        question = topics.next_question(tracker.get_slot("topic"), current_facts(tracker))
        return [question] if question else []

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """Every fact set this turn is checked by its own rule in the specification."""
        events: List[EventType] = []
        for name, value in tracker.slots_to_validate().items():
            if name not in ALL_FACTS or value is None:
                continue
            checked = self._check(name, value, dispatcher)
            events.append(SlotSet(name, checked))
        return events

    @staticmethod
    def _check(name: str, value: Any, dispatcher: CollectingDispatcher) -> Any:
        f = topics.fact(name)
        if name == "place":
            return _valid_place(value, dispatcher)
        if f.valid(value, today=clock.today()):
            return float(value) if f.kind in ("money", "months", "years", "hours") and value != SKIP else value
        if f.kind == "date" and _is_iso(value):
            dispatcher.utter_message(text="这个日期还没到，请再确认一下。")
        else:
            dispatcher.utter_message(text=f.problem)
        return None


def _is_iso(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
        return True
    except ValueError:
        return False


def _valid_place(value: Any, dispatcher: CollectingDispatcher) -> Optional[str]:
    from knowledge.regions import region_index

    if value == SKIP:
        return SKIP
    region = region_index().get(str(value)) if value else None
    if region is None:
        dispatcher.utter_message(text=topics.fact("place").problem)
        return None
    if not region.mainland:
        dispatcher.utter_message(text=f"{region.name}适用当地自己的劳动法律，我只能按内地的规定回答，请向当地劳工部门咨询。")
    return region.adcode


class ActionReaskFact(Action):
    """The answer did not fit the question: say so briefly; the form asks again (skippable)."""

    def name(self) -> Text:
        return "action_reask_fact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        requested: Optional[str] = tracker.get_slot("requested_slot")
        if not requested:
            return []
        if requested not in ALL_FACTS:  # the hand-off form validates its own answers
            dispatcher.utter_message(text="抱歉，这个回答我没对上。不清楚的话可以说“跳过”。")
            return []
        # A short reply the model took for something else ("跳过" as out of scope) can still answer
        # the question asked: the specification reads it, whatever the intent.
        answer = extract(tracker.latest_message or {}, tracker.get_slot("topic"), requested,
                         tracker.get_slot("last_fact"), current_facts(tracker))
        if requested in answer:
            return _fact_events(tracker, answer)
        dispatcher.utter_message(text="抱歉，这个回答我没对上。不清楚的话可以说“跳过”。")
        return []
