"""Documents from the conversation: links at once (answer first), names only if the worker wants.

``action_documents`` gives the links to the documents that fit the topic, filled from what the
worker said; unknown lines stay blank. It then offers to fill in the worker's name and the
employer's full name (``document_form``, each skippable). The ID number is never asked: the
assistant masks it anyway, and the worker writes it by hand.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.facts import SKIP
from actions.triage import current_facts
from knowledge import clock, topics
from knowledge.documents import CaseFacts, Parties, available_kinds
from knowledge.documents.links import links_for
from knowledge.settings import settings
from knowledge.taxonomy import TOPICS

# Longest name kept from a free-text answer (a company's registered name is rarely longer).
MAX_NAME_CHARS = 40
FILL = [{"title": "填上姓名和单位", "payload": "/fill_documents"}, {"title": "不用了", "payload": "/deny"}]


def _given(value: Any) -> str:
    return "" if value in (None, SKIP) else str(value)


class ActionDocuments(Action):
    """Links to the topic's documents (Word to edit, PDF to print), valid for 24 hours."""

    def name(self) -> Text:
        return "action_documents"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        topic = tracker.get_slot("answered_topic") or tracker.get_slot("topic")
        if topic not in TOPICS or not available_kinds(topic):
            dispatcher.utter_message(text="先说说您遇到了什么问题（比如欠薪、被辞退、没签合同），我按您的情况起草文书。")
            return []
        facts = current_facts(tracker)
        place = facts.pop("place", None)
        case = CaseFacts(topic, place if topics.known(place) else None, facts, clock.today(),
                         Parties(name=_given(tracker.get_slot("doc_name")),
                                 employer=_given(tracker.get_slot("doc_employer"))))
        links = links_for(case, settings().public_url)
        names = "\n".join(f"· {d['title']}" for d in links["documents"])
        filled = bool(case.parties.name or case.parties.employer)
        dispatcher.utter_message(
            text=(f"文书按您说的情况{'和姓名、单位' if filled else ''}填好了：\n{names}\n"
                  f"打开这个链接下载（PDF可以直接打印，Word可以修改；24小时内有效，服务器不保存）：\n{links['page']}\n"
                  "不知道的地方留了空线，打印后手写；身份证号码请自己填写。递交前请核对事实和金额。"),
            json_message={"documents": links["documents"], "documents_page": links["page"]})
        if not filled:
            dispatcher.utter_message(text="要把您的姓名和单位全称直接填进去吗？不填也可以，打印后手写。", buttons=FILL)
        return [SlotSet("doc_name", None), SlotSet("doc_employer", None)]


class ValidateDocumentForm(FormValidationAction):
    """The two names the documents need; "跳过" or "不想说" leaves the line blank."""

    def name(self) -> Text:
        return "validate_document_form"

    @staticmethod
    def _name(value: Any, prefixes: Tuple[str, ...]) -> Any:
        """The name typed, without "我叫" / "单位是" in front; SKIP for "跳过", "不想说" or nothing."""
        text = " ".join(str(value or "").split())
        if not text or topics.is_skip(text) or any(w in text for w in ("不想", "不说", "不用", "算了")):
            return SKIP
        for prefix in prefixes:
            if text.startswith(prefix):
                text = text[len(prefix):].strip("：: ，,")
                break
        return text[:MAX_NAME_CHARS] or SKIP

    def validate_doc_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> Dict[Text, Any]:
        return {"doc_name": self._name(value, ("我叫", "我是", "姓名", "名字是", "名字叫"))}

    def validate_doc_employer(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[Text, Any]:
        return {"doc_employer": self._name(value, ("单位是", "公司是", "单位叫", "公司叫", "是"))}
