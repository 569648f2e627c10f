"""Which facts each topic needs, and reading them from what the worker says.

The facts are slots. They are read from the NLU entities (already normalised
to yuan, months, ISO dates and adcodes by the EntityResolver) and, for the
question just asked, from the bare answer ("3", "还在", "不知道"). What an
entity means depends on the topic: "三个月" is arrears for unpaid wages but
length of service for a dismissal.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

from knowledge.text.normalise import normalise_text
from knowledge.text.numbers import parse_number
from knowledge.text.quantities import parse_date, parse_duration_months, parse_money

SKIP = "skip"

# Facts asked per topic, in order. `place` first: most answers depend on it.
TOPIC_FACTS: Dict[str, Sequence[str]] = {
    "wage_arrears": ("place", "arrears_months", "amount_owed", "still_employed", "left_date"),
    "overtime": ("place", "monthly_wage", "workday_overtime_hours", "rest_day_overtime_hours"),
    "minimum_wage": ("place", "monthly_wage"),
    "labor_contract": ("place", "contract_status", "start_date", "monthly_wage"),
    "probation": ("place",),
    "dismissal": ("place", "service_months", "monthly_wage", "how_ended", "end_date"),
    "resignation": ("place", "how_ended", "service_months", "monthly_wage"),
    "social_insurance": ("place", "still_employed"),
    "work_injury": ("place", "injury_date", "employer_applied"),
    "maternity_protection": ("place", "birth_date"),
    "leave": ("place", "work_years"),
}
DEFAULT_FACTS: Sequence[str] = ("place",)

ALL_FACTS = (
    "place", "service_months", "monthly_wage", "how_ended", "end_date", "arrears_months", "amount_owed",
    "still_employed", "left_date", "contract_status", "start_date", "workday_overtime_hours",
    "rest_day_overtime_hours", "injury_date", "employer_applied", "birth_date", "work_years",
)
BOOL_FACTS = ("still_employed", "employer_applied")
DATE_FACTS = ("end_date", "left_date", "start_date", "injury_date", "birth_date")
MONEY_FACTS = ("monthly_wage", "amount_owed")
MONTH_FACTS = ("service_months", "arrears_months")
HOUR_FACTS = ("workday_overtime_hours", "rest_day_overtime_hours")

# How a job ended, from the worker's words (longest phrases first).
HOW_ENDED_WORDS = (
    ("unlawful", ("违法辞退", "违法解除", "无故辞退", "没有理由", "没理由", "无缘无故", "怀孕", "工伤期间", "医疗期", "突然辞退",
                  "突然不要", "口头辞退")),
    ("negotiated", ("协商解除", "协商", "双方同意", "谈好")),
    ("expired", ("到期不续", "不续签", "合同到期", "到期")),
    ("closed", ("倒闭", "关门", "破产", "搬迁", "注销", "停产")),
    ("forced", ("被迫", "逼我走", "逼走", "不发工资我走", "没交社保我走", "单位过错")),
    ("quit", ("自己辞职", "我辞职", "主动辞职", "不想干", "不干了", "辞职")),
    ("employer_terminated", ("辞退", "开除", "裁员", "解雇", "炒鱿鱼", "不要我", "让我走", "劝退", "被解除")),
)
HOW_ENDED_CHOICES = {
    "employer_terminated": "单位以不胜任、经营困难等理由解除",
    "unlawful": "单位没有合法理由解除（违法辞退）",
    "negotiated": "单位提出、双方协商解除",
    "expired": "合同到期单位不续签",
    "closed": "公司倒闭、关停或搬迁",
    "forced": "单位欠薪、不缴社保等，我被迫辞职",
    "quit": "我自己主动辞职",
}
CONTRACT_WORDS = (("unsigned", ("没签", "没有签", "未签", "没合同", "没有合同", "不签", "没有")),
                  ("expired", ("到期", "过期")), ("signed", ("签了", "签过", "有合同", "签订", "有", "签")))
SURE_YES = ("没错", "是的", "对的", "还在", "申请了", "已经申请", "在职", "在干")
YES = ("是", "对", "嗯", "在", "有", "好", "可以")
NO = ("不是", "没有", "没", "不在", "离开", "离职", "走了", "不", "否", "没申请")
SKIP_WORDS = ("不知道", "不清楚", "不记得", "记不清", "忘了", "跳过", "不想说", "算了", "不确定", "说不清")
TOPIC_CONFIDENCE = 0.6


def facts_for(topic: Optional[str], current: Dict[str, Any]) -> List[str]:
    """The facts still to ask for ``topic``, given what is known."""
    wanted = list(TOPIC_FACTS.get(topic or "", DEFAULT_FACTS))
    if topic == "wage_arrears" and current.get("still_employed") is not False:
        wanted.remove("left_date")
    if topic == "labor_contract" and current.get("contract_status") == "signed":
        wanted = [f for f in wanted if f not in ("start_date", "monthly_wage")]
    if topic == "resignation" and current.get("how_ended") not in ("forced", "negotiated"):
        wanted = [f for f in wanted if f not in ("service_months", "monthly_wage")]
    return [f for f in wanted if current.get(f) is None]


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
    return best["adcode"]


def _how_ended(text: str) -> Optional[str]:
    for value, words in HOW_ENDED_WORDS:
        if any(w in text for w in words):
            return value
    return None


def _contract(text: str) -> Optional[str]:
    for value, words in CONTRACT_WORDS:
        if any(w in text for w in words):
            return value
    return None


def _yes_no(text: str, intent: Optional[str]) -> Optional[bool]:
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    if any(w in text for w in SURE_YES):
        return True
    if any(text.startswith(w) or w in text for w in NO):
        return False
    if any(text.startswith(w) for w in YES):
        return True
    return None


def _money_slot(topic: Optional[str], text: str, requested: Optional[str]) -> str:
    if requested in MONEY_FACTS:
        return requested
    if topic == "wage_arrears" and re.search(r"欠|拖欠|一共|总共|共计|合计|没给|没发", text):
        return "amount_owed"
    return "monthly_wage"


# "一个月八千", "每月5000": a month named as the pay period, followed by the pay, is not a length of time.
_PAY_AFTER = re.compile(r"^\s*(?:工资|收入|能拿|拿|有|是|挣|赚|发|才)?\s*[\d０-９一二两三四五六七八九十百千万.]+")


def _is_pay_period(entity: Dict[str, Any], raw: str) -> bool:
    start, end = entity.get("start"), entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return False
    span = raw[start:end]
    return bool(re.fullmatch(r"(?:每|一)个?月", span.strip())) and bool(_PAY_AFTER.match(raw[end:]))


def _is_question(entity: Dict[str, Any], raw: str) -> bool:
    """"年假有几天", "干了多久": a question about a length of time, not a length given."""
    start, end = entity.get("start"), entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return False
    return bool(re.search(r"几|多少|多久|多长", raw[start:end]))


def _months_slot(topic: Optional[str], text: str, requested: Optional[str]) -> Optional[str]:
    if requested in MONTH_FACTS:
        return requested
    if requested == "work_years":
        return "work_years"
    if topic == "wage_arrears":
        return "service_months" if re.search(r"干了|工作了|做了|入职", text) else "arrears_months"
    if topic == "leave":
        return "work_years"
    if topic in ("dismissal", "resignation", "labor_contract", "probation", "overtime", "social_insurance",
                 "non_compete", "minimum_wage"):
        return "service_months"
    return None


def _date_slot(topic: Optional[str], text: str, requested: Optional[str]) -> Optional[str]:
    if requested in DATE_FACTS:
        return requested
    by_topic = {"work_injury": "injury_date", "maternity_protection": "birth_date", "dismissal": "end_date",
                "resignation": "end_date"}
    if topic == "labor_contract" or re.search(r"入职|进厂|开始干|上班的", text):
        return "start_date"
    if topic == "wage_arrears":
        return "left_date" if re.search(r"离职|离开|走的|辞职", text) else None
    return by_topic.get(topic or "")


def extract(message: Dict[str, Any], topic: Optional[str], requested: Optional[str]) -> Dict[str, Any]:
    """Facts in ``message`` for ``topic``; ``requested`` is the fact the bot just asked for."""
    text = normalise_text(message.get("text") or "")
    intent = (message.get("intent") or {}).get("name")
    found: Dict[str, Any] = {}
    place = place_from(message)
    if place:
        found["place"] = place
    for e in _entities(message, "money"):
        if isinstance(e.get("value"), (int, float)):
            found[_money_slot(topic, text, requested)] = float(e["value"])
    raw = message.get("text") or ""
    for e in _entities(message, "duration"):
        if _is_pay_period(e, raw) or _is_question(e, raw):
            continue
        if isinstance(e.get("value"), (int, float)):
            slot = _months_slot(topic, text, requested)
            if slot == "work_years":
                found[slot] = round(float(e["value"]) / 12, 2)
            elif slot:
                found[slot] = float(e["value"])
    for e in _entities(message, "date"):
        slot = _date_slot(topic, text, requested)
        if slot and isinstance(e.get("value"), str):
            found[slot] = e["value"]
    for e in _entities(message, "contract_status"):
        if e.get("value") in ("signed", "unsigned", "expired"):
            found["contract_status"] = e["value"]
    for e in _entities(message, "worker_group"):
        found["worker_group"] = e.get("value")
    if topic in ("dismissal", "resignation") or requested == "how_ended":
        how = _how_ended(text)
        if how:
            found["how_ended"] = how
    if requested and requested not in found:
        answer = _answer_to(requested, text, intent, topic)
        if answer is not None:
            found[requested] = answer
    return found


def _answer_to(requested: str, text: str, intent: Optional[str], topic: Optional[str]) -> Any:
    """Read a bare answer to the question just asked."""
    if any(w in text for w in SKIP_WORDS):
        return SKIP
    if requested in BOOL_FACTS:
        return _yes_no(text, intent)
    if requested == "contract_status":
        return _contract(text)
    if requested == "how_ended":
        return _how_ended(text)
    if requested in MONEY_FACTS:
        q = parse_money(text)
        return q.value if q else None
    if requested in MONTH_FACTS:
        q = parse_duration_months(text)
        if q:
            return q.value
        n = parse_number(re.sub(r"[^\d.一二两三四五六七八九十百千万]", "", text))
        return n if n is not None and 0 < n < 600 else None
    if requested == "work_years":
        q = parse_duration_months(text)
        if q:
            return round(q.value / 12, 2)
        n = parse_number(re.sub(r"[^\d.一二两三四五六七八九十]", "", text))
        return n if n is not None and 0 <= n < 60 else None
    if requested in HOUR_FACTS:
        if intent == "deny" or text in ("没有", "不加班", "没加班", "0"):
            return 0.0
        n = parse_number(re.sub(r"[^\d.一二两三四五六七八九十百]", "", text))
        return n if n is not None and 0 <= n < 400 else None
    if requested in DATE_FACTS:
        d = parse_date(text)
        return d.iso if d else None
    return None


def is_other_topic(message: Dict[str, Any], topic: Optional[str]) -> bool:
    """True if the message confidently asks about a different topic (the worker changes subject)."""
    from knowledge.taxonomy import TOPICS

    intent = message.get("intent") or {}
    return (intent.get("name") in TOPICS and intent.get("name") != topic
            and (intent.get("confidence") or 0) >= TOPIC_CONFIDENCE)
