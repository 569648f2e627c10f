"""Handing a conversation to a human: a case is written at once (reference shown
to the worker), a callback number is kept only after explicit consent, and the
bot says what happens next and when."""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import kb
from actions.facts import SKIP
from actions.replies import hotline_text
from actions.triage import current_facts
from knowledge import cases
from knowledge.db import session_factory
from knowledge.settings import settings

logger = logging.getLogger(__name__)
HANDOFF_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "handoff.yml"


@lru_cache(maxsize=1)
def service_levels() -> Dict[str, str]:
    return yaml.safe_load(HANDOFF_FILE.read_text(encoding="utf-8"))


def transcript(tracker: Tracker, limit: int = 60) -> List[Dict[str, Any]]:
    """The conversation so far, as the operator will read it."""
    turns = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            turns.append({"who": "worker" if event["event"] == "user" else "bot", "text": event["text"],
                          "at": event.get("timestamp")})
    return turns[-limit:]


def _reason(tracker: Tracker) -> str:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "emergency":
        return "emergency"
    if intent == "request_human":
        return "requested"
    return "misunderstood"


class ActionHandoffStart(Action):
    """Write the case now, so nothing is lost whatever happens next, and give its reference."""

    def name(self) -> Text:
        return "action_handoff_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        facts = {k: v for k, v in current_facts(tracker).items() if v != SKIP}
        place = facts.get("place")
        client_ref = _client_ref(tracker)
        if _too_many_cases(client_ref):
            # One address opening case after case (a script, or a mistake): no new case, the hotlines instead.
            dispatcher.utter_message(text="这一小时里从您这里已经登记了好几个案件，工作人员会逐一处理，暂时不再新建。"
                                          f"着急的话请直接打电话：{_hotlines()}。")
            return [FollowupAction("action_listen")]
        draft = cases.CaseDraft(
            reason=_reason(tracker), sender_id=tracker.sender_id,
            channel=(tracker.get_latest_input_channel() or None), topic=tracker.get_slot("topic"),
            place_adcode=place, facts=facts, deadlines=tracker.get_slot("deadlines") or [],
            transcript=transcript(tracker), client_ref=client_ref,
        )
        reference = cases.record_case(session_factory(), draft)
        levels = service_levels()
        urgent = "（已标记为紧急）" if draft.reason == "emergency" else ""
        dispatcher.utter_message(
            text=f"我已经把您的情况整理成案件，编号 {reference}{urgent}，转给工会/法律援助的工作人员。"
                 f"{levels['queue_note']}请记下这个编号。")
        return [SlotSet("case_reference", reference), SlotSet("callback_consent", None), SlotSet("callback_phone", None)]


def _client_ref(tracker: Tracker) -> Optional[str]:
    """The keyed hash of the worker's address the channel attached to the last message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            value = (event.get("metadata") or {}).get("client_ref")
            return str(value) if value else None
    return None


def _too_many_cases(client_ref: Optional[str]) -> bool:
    try:
        with kb.session() as session:
            return cases.recent_case(session, client_ref, settings().cases_per_hour) is not None
    except kb.KnowledgeUnavailable:
        return False  # the case goes to the spool; better one case too many than a lost one


def _hotlines() -> str:
    # national_hotlines() reads the data file when the database is down: there is always a number.
    return hotline_text(kb.national_hotlines())


class ValidateHandoffForm(FormValidationAction):
    """Ask for a callback number only after the worker agrees to be called."""

    def name(self) -> Text:
        return "validate_handoff_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        if tracker.get_slot("callback_consent") is True:
            return ["callback_consent", "callback_phone"]
        return ["callback_consent"]

    def validate_callback_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        if isinstance(value, bool):
            return {"callback_consent": value}
        if value is None:  # cleared when the case was opened: just ask
            return {"callback_consent": None}
        dispatcher.utter_message(text="请回答“需要”或“不用”。")
        return {"callback_consent": None}

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        if value == SKIP or (isinstance(value, str) and value.isdigit()):
            return {"callback_phone": value}
        if value is None:
            return {"callback_phone": None}
        dispatcher.utter_message(text="号码好像不完整，请输入11位手机号，或带区号的座机号。")
        return {"callback_phone": None}


class ActionHandoffFinish(Action):
    """Record the consent (and number) on the case; say what happens next and when."""

    def name(self) -> Text:
        return "action_handoff_finish"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reference = tracker.get_slot("case_reference")
        consent = tracker.get_slot("callback_consent") is True
        phone = tracker.get_slot("callback_phone")
        phone = phone if consent and phone not in (None, SKIP) else None
        if reference:
            try:
                with kb.session() as session:
                    cases.update_callback(session, reference, phone, consent and bool(phone), tracker.sender_id)
            except kb.KnowledgeUnavailable:
                logger.error("could not record callback consent for %s", reference)
        levels = service_levels()
        if phone:
            masked = f"{phone[:3]}****{phone[-4:]}"
            text = (f"好的，工作人员会在{levels['callback_within']}（{levels['office_hours']}）打 {masked} 联系您，"
                    f"案件编号 {reference}。号码只用于这次回电。")
        else:
            text = f"好的，不留电话。您可以随时拨打热线并报案件编号 {reference}，工作人员能直接看到您的情况。"
        try:
            hotlines = hotline_text(kb.national_hotlines())
        except kb.KnowledgeUnavailable:
            hotlines = ""
        if hotlines:
            text += f"\n热线：{hotlines}。"
        if (tracker.get_slot("topic") is None) and reference:
            text += f"\n{levels['emergency_handling']}" if _is_emergency(tracker) else ""
        dispatcher.utter_message(text=text)
        return [SlotSet("callback_phone", None)]


def _is_emergency(tracker: Tracker) -> bool:
    return any(e.get("event") == "user" and (e.get("parse_data", {}).get("intent") or {}).get("name") == "emergency"
               for e in tracker.events[-20:])
