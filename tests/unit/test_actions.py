"""Custom actions with rasa_sdk's Tracker and CollectingDispatcher, on the real
knowledge base (the test database loaded from knowledge/data)."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionEmergency, ActionOutOfScope
from actions.triage import ActionSetTopic


def tracker(text: str, intent: str, confidence: float = 0.95, slots: Optional[Dict[str, Any]] = None,
            active_loop: Optional[str] = None, entities=None) -> Tracker:
    return Tracker(
        "test-sender",
        slots or {},
        {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []},
        [], False, None, {"name": active_loop} if active_loop else {}, "action_listen",
    )


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


@pytest.fixture(autouse=True)
def _kb(kb_url):
    from actions import kb

    kb.clear_cache()


def test_self_harm_names_the_crisis_line_first(db):
    messages, _ = run(ActionEmergency(), tracker("欠薪半年了，我不想活了", "emergency"))
    text = messages[0]["text"]
    lines = [line for line in text.splitlines() if any(ch.isdigit() for ch in line)]
    assert "心理援助" in lines[0], text
    assert "110" in text and "120" in text


def test_violence_names_the_police_first(db):
    messages, _ = run(ActionEmergency(), tracker("包工头拿着钢管要打我们", "emergency"))
    lines = [line for line in messages[0]["text"].splitlines() if any(ch.isdigit() for ch in line)]
    assert "110" in lines[0]


def test_emergency_reply_carries_no_legal_content(db):
    messages, _ = run(ActionEmergency(), tracker("工友从架子上摔下来了流了很多血", "emergency"))
    text = messages[0]["text"]
    assert "《" not in text and "仲裁" not in text
    lines = [line for line in text.splitlines() if any(ch.isdigit() for ch in line)]
    assert "120" in lines[0]


def test_out_of_scope_offers_the_legal_hotline_and_topics(db):
    messages, _ = run(ActionOutOfScope(), tracker("离婚后孩子归谁", "out_of_scope"))
    assert "12348" in messages[0]["text"]
    assert messages[0]["buttons"]


def test_a_short_answer_is_not_taken_for_a_new_topic(db):
    t = tracker("已经离职了", "resignation", 0.93, active_loop="triage_form",
                slots={"topic": "wage_arrears", "requested_slot": "still_employed"})
    messages, events = run(ActionSetTopic(), t)
    assert SlotSet("still_employed", False) in events
    assert not any(e.get("name") == "topic" for e in events)
    assert messages == []


def test_a_real_change_of_subject_switches_topic_and_forgets_old_facts(db):
    t = tracker("对了，我上个月在车间把手压伤了，厂里不给报工伤", "work_injury", 0.95, active_loop="triage_form",
                slots={"topic": "wage_arrears", "requested_slot": "amount_owed", "arrears_months": 3.0,
                       "province": "江苏省"})
    messages, events = run(ActionSetTopic(), t)
    assert SlotSet("topic", "work_injury") in events
    assert SlotSet("arrears_months", None) in events
    assert not any(e.get("name") == "province" and e.get("value") is None for e in events)
    assert messages[0].get("response") == "utter_topic_work_injury"


def test_the_same_topic_again_adds_facts_without_repeating_the_intro(db):
    t = tracker("我在深圳干了三年，被辞退了", "dismissal", 0.9, active_loop="triage_form",
                slots={"topic": "dismissal", "requested_slot": "place"},
                entities=[{"entity": "duration", "value": 36.0, "start": 5, "end": 7}])
    messages, events = run(ActionSetTopic(), t)
    assert messages == []
    assert not any(e.get("name") == "topic" for e in events)


def test_fallback_offers_the_two_likeliest_topics_and_a_human(db):
    from actions.conversation import ActionFallback

    t = tracker("那个钱的事咋整", "nlu_fallback", 0.3)
    t.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45}, {"name": "wage_arrears", "confidence": 0.3},
        {"name": "dismissal", "confidence": 0.2}, {"name": "greet", "confidence": 0.05}]
    messages, events = run(ActionFallback(), t)
    assert "拖欠工资" in messages[0]["text"] and "辞退" in messages[0]["text"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert len([b for b in titles if "人工" not in b]) == 2 and any("人工" in b for b in titles)
    assert SlotSet("misunderstandings", 1.0) in events


def test_a_second_misunderstanding_in_a_row_hands_over_to_a_human(db):
    from rasa_sdk.events import FollowupAction

    from actions.conversation import ActionFallback

    t = tracker("嗯那个就是", "nlu_fallback", 0.3, slots={"misunderstandings": 1.0})
    messages, events = run(ActionFallback(), t)
    assert FollowupAction("action_handoff_start") in events
    assert "工作人员" in messages[0]["text"]


def test_a_month_named_as_the_pay_period_is_not_a_length_of_service():
    from actions.facts import extract

    text = "一个月八千"
    message = {"text": text, "intent": {"name": "inform"}, "entities": [
        {"entity": "duration", "value": 1.0, "start": 0, "end": 3},
        {"entity": "money", "value": 8000.0, "start": 3, "end": 5}]}
    assert extract(message, "dismissal", "monthly_wage") == {"monthly_wage": 8000.0}
    worked = "干了一个月，工资3000"
    message = {"text": worked, "intent": {"name": "inform"}, "entities": [
        {"entity": "duration", "value": 1.0, "start": 2, "end": 5},
        {"entity": "money", "value": 3000.0, "start": 9, "end": 13}]}
    assert extract(message, "dismissal", None) == {"service_months": 1.0, "monthly_wage": 3000.0}


def test_a_question_about_how_long_is_not_a_length_given():
    from actions.facts import extract

    message = {"text": "年假有几天", "intent": {"name": "leave"}, "entities": [
        {"entity": "duration", "value": 0.1, "start": 3, "end": 5}]}
    assert "work_years" not in extract(message, "leave", None)
