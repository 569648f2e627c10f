"""End to end through the real Rasa server, action server and knowledge base,
over the REST channel, the way a website or a hotline tool talks to the bot."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def _all_text(messages):
    return "\n".join(m.get("text", "") for m in messages)


def test_greeting_is_answered_in_chinese(servers, sender):
    reply = servers.text(sender, "你好")
    assert "工友" in reply


def test_wage_arrears_conversation_ends_in_a_cited_local_answer(servers, sender):
    first = servers.text(sender, "老板拖欠我三个月工资怎么办")
    assert "拖欠工资" in first
    assert "省" in first or "哪里" in first or "哪个" in first  # asks where the worker is
    messages = servers.say(sender, "江苏淮安")
    # Any remaining question can be skipped; the answer must come within a few turns.
    for _ in range(6):
        if "《" in _all_text(messages):
            break
        messages = servers.say(sender, "跳过")
    text = _all_text(messages)
    assert "《" in text and "》" in text, text  # a citation such as 《中华人民共和国劳动合同法》
    assert "12333" in text or "12348" in text or any(m.get("custom") for m in messages)
    custom = [m["custom"] for m in messages if m.get("custom")]
    assert custom and custom[0]["routes"], messages
    assert {"type", "name", "phone", "why"} <= set(custom[0]["routes"][0])
    tracker = servers.tracker(sender)
    assert tracker["slots"]["province"] == "江苏省"
    assert tracker["slots"]["city"] == "淮安市"


def test_emergency_comes_before_any_legal_answer(servers, sender):
    messages = servers.say(sender, "欠了我半年工资，我现在就想从楼上跳下去")
    text = _all_text(messages)
    assert "12356" in text or "110" in text or "120" in text, text
    first = messages[0].get("text", "")
    assert re.search(r"110|120|12356", first), first


@pytest.mark.parametrize("message", ["", "   ", "😀😀😀", "<script>alert('x')</script>", "x" * 20000,
                                     "'; DROP TABLE cases; --", "老闆拖欠薪資怎麼辦", "asdfghjkl qwerty"])
def test_bad_input_gets_a_reply_never_a_server_error(servers, sender, message):
    try:
        messages = servers.say(sender, message)
    except urllib.error.HTTPError as error:  # pragma: no cover - the failure we guard against
        pytest.fail(f"HTTP {error.code} for {message[:30]!r}")
    assert messages, f"no reply to {message[:30]!r}"
    assert all("<script>" not in m.get("text", "") for m in messages)


def test_out_of_scope_gets_a_polite_answer_and_legal_hotline(servers, sender):
    text = servers.text(sender, "离婚后孩子抚养权归谁")
    assert "12348" in text, text


def test_handoff_creates_a_case_and_stores_a_phone_only_after_consent(servers, sender, db):
    from knowledge.models import Case

    text = servers.text(sender, "我要转人工")
    reference = re.search(r"GY-[0-9A-Z-]+", text)
    assert reference, text
    assert "请回答" not in text  # nothing to correct yet: the bot just asks
    case = db.query(Case).filter_by(reference=reference.group(0)).one()
    assert not case.callback_phone
    servers.text(sender, "需要")
    reply = servers.text(sender, "13912345678")
    db.expire_all()
    case = db.query(Case).filter_by(reference=reference.group(0)).one()
    assert case.consent_at is not None
    # The case keeps the consented number in full; the stored conversation keeps only its last four digits.
    assert case.callback_phone == "13912345678"
    stored = json.dumps(servers.tracker(sender)["events"], ensure_ascii=False)
    assert "13912345678" not in stored and "5678" in stored
    assert any(e.kind == "consent" for e in case.events)
    assert reference.group(0) in reply or "回电" in reply or "联系" in reply


def test_handoff_without_consent_keeps_no_phone(servers, sender, db):
    from knowledge.models import Case

    text = servers.text(sender, "帮我找个工作人员")
    reference = re.search(r"GY-[0-9A-Z-]+", text).group(0)
    servers.text(sender, "不用，我自己打")
    db.expire_all()
    case = db.query(Case).filter_by(reference=reference).one()
    assert case.consent_at is None
    assert not case.callback_phone
    assert any(e.kind == "consent" for e in case.events)


def test_a_story_full_of_facts_goes_straight_to_its_answer(servers, sender):
    messages = servers.say(sender, "我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少")
    text = _all_text(messages)
    assert "48,000" in text, text  # 4 months × 12,000: three and a half years → 4 months' wage
    assert "第四十七条" in text


@pytest.mark.parametrize("wage", ["8000", "一个月八千", "月薪8000元"])
def test_a_bare_wage_answer_inside_the_form_is_used_in_the_calculation(servers, sender, wage):
    before = servers.text(sender, "公司把我辞退了能拿多少补偿") + servers.text(sender, "福建厦门")
    servers.text(sender, "干了三年")
    text = servers.text(sender, wage)
    # Three years at 8,000 a month: N = 3 months' pay, 24,000 yuan (2N 48,000 if unlawful).
    assert "24,000" in text or "48,000" in text, text
    assert "厦门" in before, before  # the answer was given for the place as soon as it was known


def test_asking_how_many_days_of_annual_leave_is_not_read_as_a_length_of_service(servers, sender):
    text = servers.text(sender, "年假有几天")
    text += "\n" + servers.text(sender, "江苏淮安")
    assert "年休假：0天" not in text and "0天" not in text.replace("10天", "").replace("20天", ""), text
    assert "几年" in text or "工作" in text, text  # it asks how long the worker has worked
