"""Actions for the conversation around the topics: fallback, out of scope, emergencies."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import kb
from actions.replies import contact_line, hotline_text, topic_buttons
from knowledge.safety import detect_emergency, first_contact
from knowledge.scope import legal_area
from knowledge.taxonomy import TOPICS
from knowledge.text.normalise import normalise_text

logger = logging.getLogger(__name__)

NO_KNOWLEDGE = "（暂时查不到热线号码，请稍后再试，或向当地人社部门、工会、法律援助中心求助。）"


def _hotlines_sentence() -> str:
    try:
        points = kb.national_hotlines()
    except kb.KnowledgeUnavailable:
        return NO_KNOWLEDGE
    return f"也可以直接打电话咨询：{hotline_text(points)}。" if points else NO_KNOWLEDGE


class ActionFallback(Action):
    """The bot did not understand: offer the likeliest topics (or the common ones) and the hotlines."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        misunderstood = (tracker.get_slot("misunderstandings") or 0) + 1
        if misunderstood >= 2:
            dispatcher.utter_message(text="抱歉，我连着两次没理解您的意思。我帮您转给工作人员，他们会看到我们的对话。")
            return [SlotSet("misunderstandings", 0.0), FollowupAction("action_handoff_start")]
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in TOPICS][:2]
        if likely and (ranking[0].get("confidence") or 0) > 0.15:
            names = "还是".join(f"“{TOPICS[t]}”" for t in likely)
            text = f"抱歉，我没完全听明白。您是想问{names}方面的问题吗？"
            buttons = topic_buttons(likely) + [{"title": "都不是，转人工", "payload": "/request_human"}]
        else:
            text = "抱歉，我没听明白。您可以换个说法，或者点下面的常见问题。"
            buttons = topic_buttons() + [{"title": "转人工", "payload": "/request_human"}]
        dispatcher.utter_message(text=f"{text}{_hotlines_sentence()}", buttons=buttons)
        return [SlotSet("misunderstandings", float(misunderstood))]


class ActionOutOfScope(Action):
    """Not a labour question: say so politely and name the public legal-service hotline."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        try:
            legal = kb.contacts("legal_aid", None, limit=1)
        except kb.KnowledgeUnavailable:
            legal = []
        text = normalise_text((tracker.latest_message or {}).get("text") or "", 1000)
        area = legal_area(text)
        said = f"您问的是{area}方面的问题，" if area else "您问的这个问题"
        if legal and legal[0].phone:
            where = (f"这类法律问题可以打{legal[0].name} {legal[0].phone}免费咨询，"
                     "也可以去当地的公共法律服务中心当面问。")
        else:
            where = "这类法律问题可以去当地的公共法律服务中心或法律援助中心免费咨询。"
        dispatcher.utter_message(
            text=f"{said}不属于劳动和工作方面，我答不准，怕说错耽误您的事。{where}"
                 "如果您还有工资、合同、工伤、社保、休假这些工作上的问题，随时问我。",
            buttons=topic_buttons(),
        )
        return []


class ActionEmergency(Action):
    """Danger right now: emergency numbers first, nothing legal, then a human."""

    def name(self) -> Text:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        try:
            points = kb.contacts("emergency", None, limit=5)
        except kb.KnowledgeUnavailable:
            points = []
        message = tracker.latest_message or {}
        # The safety net says what kind of danger it is; the model alone does not, so ask the patterns.
        category = (message.get("safety_net") or {}).get("category")
        if category is None:
            signal = detect_emergency(message.get("text"))
            category = signal.category if signal else None
        first = first_contact(category)
        if first:
            points = sorted(points, key=lambda p: 0 if first in (p.name or "") else 1)
        if points:
            numbers = "\n".join(contact_line(p) for p in points)
            text = f"您的安全最要紧。如果您或身边的人正处在危险中，请马上拨打：\n{numbers}"
        else:
            text = "您的安全最要紧。如果您或身边的人正处在危险中，请马上报警或拨打急救电话。"
        dispatcher.utter_message(text=text)
        return []
