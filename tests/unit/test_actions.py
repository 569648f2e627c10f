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
    assert messages == []  # the answer comes next, from the form's ask action or action_answer_topic


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
    from knowledge.text.quantities import find_durations, is_length_given

    assert find_durations("一个月八千") == [] and not is_length_given("一个月八千", 0, 3)
    # What the NLU hands over for "一个月八千": the amount only (the resolver drops the month).
    message = {"text": "一个月八千", "intent": {"name": "inform"}, "entities": [
        {"entity": "money", "value": 8000.0, "start": 3, "end": 5}]}
    assert extract(message, "dismissal", "monthly_wage") == {"monthly_wage": 8000.0}
    worked = "干了一个月，工资3000"
    message = {"text": worked, "intent": {"name": "inform"}, "entities": [
        {"entity": "duration", "value": 1.0, "start": 2, "end": 5},
        {"entity": "money", "value": 3000.0, "start": 9, "end": 13}]}
    assert extract(message, "dismissal", None) == {"service_months": 1.0, "monthly_wage": 3000.0}


def test_a_question_about_how_long_is_not_a_length_given():
    from knowledge.text.quantities import find_durations, is_length_given

    assert find_durations("年假有几天") == [] and not is_length_given("年假有几天", 3, 5)
    assert [q.value for q in find_durations("工作12年有几天年假")] == [144.0]


def test_a_monthly_amount_where_a_total_was_asked_is_the_monthly_wage():
    from actions.facts import extract

    message = {"text": "每个月八千", "intent": {"name": "inform"}, "entities": [
        {"entity": "money", "value": 8000.0, "start": 3, "end": 5}]}
    assert extract(message, "wage_arrears", "amount_owed", known={"arrears_months": 3.0}) == {"monthly_wage": 8000.0}


def test_a_correction_replaces_the_fact_it_corrects():
    from actions.facts import extract

    message = {"text": "不对，是九千", "intent": {"name": "deny"}, "entities": [
        {"entity": "money", "value": 9000.0, "start": 4, "end": 6}]}
    known = {"arrears_months": 3.0, "monthly_wage": 8000.0}
    assert extract(message, "wage_arrears", "still_employed", "arrears_months", known) == {"monthly_wage": 9000.0}


def test_how_far_along_a_pregnancy_is_not_a_length_of_service():
    from actions.facts import extract

    text = "我在广州上班，怀孕四个月了公司要辞退我"
    message = {"text": text, "intent": {"name": "maternity_protection"}, "entities": [
        {"entity": "duration", "value": 4.0, "start": 9, "end": 12}]}
    found = extract(message, "dismissal", None)
    assert "service_months" not in found and found["pregnant"] is True and found["how_ended"] == "unlawful"


def test_a_minimum_wage_question_with_its_place_is_answered_without_a_question(db):
    from actions.triage import ActionAnswerTopic

    t = tracker("上海最低工资是多少", "minimum_wage",
                slots={"topic": "minimum_wage", "place": "310000", "question": "上海最低工资是多少"})
    messages, events = run(ActionAnswerTopic(), t)
    text = "\n".join(m.get("text") or "" for m in messages)
    assert "2740" in text and "沪人社规〔2025〕10号" in text
    assert SlotSet("answered", True) in events
