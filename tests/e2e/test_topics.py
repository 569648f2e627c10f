"""Every topic, through the real servers: asked plainly and answered for the
worker's place with citations; asked with the place up front; and changed for
another topic in the middle of the questions."""
from __future__ import annotations

import pytest

from knowledge import topics
from knowledge.taxonomy import TOPICS

pytestmark = pytest.mark.e2e

FIRST_MESSAGES = {
    "wage_arrears": "老板拖欠我工资怎么办",
    "overtime": "加班费怎么算",
    "minimum_wage": "最低工资是多少",
    "labor_contract": "公司一直不跟我签劳动合同怎么办",
    "probation": "试用期最长能约定多久",
    "dismissal": "公司把我辞退了能拿多少补偿",
    "resignation": "我想辞职要提前多久说",
    "social_insurance": "公司不给交社保怎么办",
    "work_injury": "上班时受伤了怎么认定工伤",
    "maternity_protection": "产假有多少天",
    "leave": "年假有几天",
    "non_standard_employment": "劳务派遣工和正式工待遇一样吗",
    "non_compete": "竞业限制补偿怎么算",
    "collective_bargaining": "怎么开展工资集体协商",
    "union_services": "怎么加入工会",
    "dispute_resolution": "劳动仲裁怎么申请",
    "legal_aid": "怎么申请法律援助",
    "discrimination": "招聘时因为我是女的不要我，算歧视吗",
    "occupational_safety": "高温津贴有多少",
    "retirement": "我什么时候能退休",
    "employment_services": "哪里有招聘会",
}


def _text(messages):
    return "\n".join(m.get("text", "") for m in messages)


def _until_answer(servers, sender, messages, turns=7):
    """Skip any remaining question until the cited answer arrives."""
    for _ in range(turns):
        if "【" in _text(messages) and "《" in _text(messages):
            return _text(messages), messages
        messages = servers.say(sender, "跳过")
    return _text(messages), messages


def test_every_topic_has_a_first_message():
    assert set(FIRST_MESSAGES) == set(TOPICS)


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_topic_asked_plainly_is_answered_first_then_for_the_place(servers, sender, topic):
    first = servers.say(sender, FIRST_MESSAGES[topic])
    text = _text(first)
    # Answered at once, cited with effective dates, before any question.
    assert "《" in text and "起施行" in text, text
    assert text.index("《") < text.rindex("告诉我您在哪个城市") if "告诉我您在哪个城市" in text else True
    later = servers.say(sender, "江苏淮安")
    everything = text + "\n" + _text(later)
    assert "江苏" in everything or "淮安" in everything or "上面的回答不变" in everything, everything
    if topics.describes_problem(topic, FIRST_MESSAGES[topic]):
        # Something was done to the worker: where to go comes with the answer, as cards too.
        assert any(m.get("custom", {}).get("routes") for m in first + later), "no route payload"


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_topic_with_the_place_up_front_skips_the_place_question(servers, sender, topic):
    messages = servers.say(sender, "我在广东深圳，" + FIRST_MESSAGES[topic])
    assert "最好说到区县" not in _text(messages)  # the place question is not asked
    text, _ = _until_answer(servers, sender, messages)
    assert f"【{TOPICS[topic]}】" in text
    assert "深圳" in text


@pytest.mark.parametrize("topic", [t for t in sorted(TOPICS) if t != "wage_arrears"])
def test_changing_topic_mid_questions_answers_the_new_topic(servers, sender, topic):
    servers.say(sender, "老板拖欠我工资怎么办")
    servers.say(sender, "江苏淮安")
    messages = servers.say(sender, "对了，还想问一下：" + FIRST_MESSAGES[topic])
    text, _ = _until_answer(servers, sender, messages)
    assert f"【{TOPICS[topic]}】" in text, text
    tracker = servers.tracker(sender)
    assert tracker["slots"]["topic"] == topic
    assert tracker["slots"]["city"] == "淮安市"  # the place is kept across topics


@pytest.mark.parametrize("question, expected", [
    ("单位老是拖欠工资，工会能不能给老板发一函两书", "一函两书"),
    ("听说法院和工会有诉调对接，劳动纠纷能先找工会调解吗", "多元化解"),
    ("我家里生病欠了债，工会对困难职工有什么帮扶", "困难职工"),
])
def test_union_matters_are_answered_from_their_own_rules_and_routed_to_the_union(servers, sender, question, expected):
    messages = servers.say(sender, question)
    if "《" not in _text(messages):
        messages = servers.say(sender, "江苏淮安")
    text, messages = _until_answer(servers, sender, messages)
    assert expected in text, text
    routes = [r["type"] for m in messages if m.get("custom") for r in m["custom"].get("routes", [])]
    assert "union" in routes or "mediation" in routes, routes
