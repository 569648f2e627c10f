"""Composing the answer to a topic from the knowledge base: the rules that apply
at the worker's place (cited and dated), the local figures, the calculation
with its working, the deadline, and where to go. No figure is written here;
every number comes from :mod:`knowledge`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy.orm import Session

from actions.facts import SKIP
from knowledge import clock, queries
from knowledge.calculators import CalcResult, CalculationError, Rules
from knowledge.calculators.annual_leave import annual_leave
from knowledge.calculators.compensation import compensation
from knowledge.calculators.deadlines import deadline
from knowledge.calculators.double_wage import double_wage
from knowledge.calculators.maternity import maternity_leave
from knowledge.calculators.overtime import overtime_pay
from knowledge.calculators.wage_arrears import wage_arrears
from knowledge.queries import Citation, FigureAnswer
from knowledge.regions import region_index
from knowledge.router import Referral, route_case
from knowledge.search import phrases_in
from knowledge.taxonomy import ROUTES, TOPICS

# Figures shown with each topic (key prefixes).
TOPIC_FIGURES: Dict[str, Sequence[str]] = {
    "minimum_wage": ("min_wage.monthly", "min_wage.hourly"),
    "maternity_protection": ("maternity_leave.total_days", "maternity_leave.extra_days", "maternity_leave.extra_months",
                             "paternity_leave.days", "paternity_leave.months", "nursing.break_minutes_per_day"),
    "leave": ("annual_leave.days", "marriage_leave.days", "childcare_leave.days_per_year", "paternity_leave",
              "holidays.public.days", "medical_period"),
    "occupational_safety": ("high_temp_allowance",),
    "overtime": ("work_hours", "overtime.monthly_cap_hours", "overtime.rate"),
    "probation": ("probation",),
    "labor_contract": ("contract.written_deadline_months", "double_wage.max_months"),
    "dismissal": ("average_wage.monthly",),
    "resignation": ("resignation",),
    "wage_arrears": ("wage_payment",),
    "work_injury": ("injury.employer_application_days", "injury.worker_application_years"),
    "retirement": ("retirement",),
    "non_compete": ("non_compete",),
    "non_standard_employment": ("dispatch.max_ratio", "part_time"),
    "dispute_resolution": ("arbitration.limitation_years", "arbitration.decision_days"),
}
# Figures every province sets itself: when the worker's province has none, say so.
PROVINCIAL: Dict[str, str] = {
    "min_wage.monthly": "月最低工资标准",
    "maternity_leave.total_days": "产假天数",
    "marriage_leave.days": "婚假天数",
    "childcare_leave.days_per_year": "育儿假天数",
    "paternity_leave.days": "陪产假天数",
    "high_temp_allowance": "高温津贴标准",
}
# A figure the province sets in months (河南's maternity and nursing leave) answers the same question.
IN_MONTHS: Dict[str, Sequence[str]] = {
    "maternity_leave.total_days": ("maternity_leave.extra_months",),
    "paternity_leave.days": ("paternity_leave.months",),
}
MAX_PROVISIONS = 3


@dataclass
class Answer:
    """The messages of one answer, and what a case record keeps of it."""

    messages: List[Dict[str, Any]] = field(default_factory=list)
    citations: List[Citation] = field(default_factory=list)
    deadlines: List[Dict[str, Any]] = field(default_factory=list)
    unknown: List[str] = field(default_factory=list)
    routes: List[str] = field(default_factory=list)

    def say(self, text: str, **extra: Any) -> None:
        self.messages.append({"text": text, **extra})

    def cite(self, citation: Citation) -> str:
        if citation not in self.citations:
            self.citations.append(citation)
        return citation.text()


def place_name(adcode: Optional[str]) -> str:
    if not adcode:
        return "全国"
    return region_index().full_name(adcode) if region_index().get(adcode) else "全国"


def _known(value: Any) -> bool:
    return value not in (None, "", SKIP)


def _as_date(value: Any) -> Optional[date]:
    if not _known(value):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def topic_figures(session: Session, topic: str, adcode: Optional[str], on: date,
                  memo: Optional[Dict[str, List[FigureAnswer]]] = None) -> List[FigureAnswer]:
    out: List[FigureAnswer] = []
    for prefix in TOPIC_FIGURES.get(topic, ()):
        out.extend(_figures(session, prefix, adcode, on, memo))
    return out


def _figures(session: Session, prefix: str, adcode: Optional[str], on: date,
             memo: Optional[Dict[str, List[FigureAnswer]]]) -> List[FigureAnswer]:
    """``queries.figures``, asked once per prefix while one answer is composed."""
    if memo is None:
        return queries.figures(session, prefix, adcode, on)
    if prefix not in memo:
        memo[prefix] = queries.figures(session, prefix, adcode, on)
    return memo[prefix]


def calculation(session: Session, topic: str, facts: Dict[str, Any], adcode: Optional[str],
                on: date) -> Optional[CalcResult]:
    """The calculation the topic's facts allow, or None."""
    rules = Rules(session, adcode, on)
    f = {k: v for k, v in facts.items() if _known(v)}
    try:
        if topic == "dismissal" and "service_months" in f and "monthly_wage" in f:
            how = f.get("how_ended")
            if how == "quit":
                return None
            kind = "2N" if how == "unlawful" else "N"
            return compensation(rules, f["service_months"], f["monthly_wage"], kind)
        if topic == "resignation" and f.get("how_ended") in ("forced", "negotiated") and \
                "service_months" in f and "monthly_wage" in f:
            return compensation(rules, f["service_months"], f["monthly_wage"], "N")
        if topic == "wage_arrears" and ("amount_owed" in f or ("monthly_wage" in f and "arrears_months" in f)):
            return wage_arrears(rules, f.get("amount_owed"), f.get("monthly_wage"), f.get("arrears_months"))
        if topic == "overtime" and "monthly_wage" in f and (f.get("workday_overtime_hours") or f.get("rest_day_overtime_hours")):
            return overtime_pay(rules, f["monthly_wage"], f.get("workday_overtime_hours") or 0,
                                f.get("rest_day_overtime_hours") or 0)
        start = _as_date(f.get("start_date"))
        if topic == "labor_contract" and f.get("contract_status") in ("unsigned", "expired") and \
                start and "monthly_wage" in f:
            return double_wage(rules, start, f["monthly_wage"], today=on)
        if topic == "maternity_protection" and adcode:
            return maternity_leave(rules)
        if topic == "leave" and "work_years" in f:
            return annual_leave(rules, f["work_years"])
    except CalculationError:
        return None
    return None


def deadlines(session: Session, topic: str, facts: Dict[str, Any], adcode: Optional[str], on: date) -> List[CalcResult]:
    rules = Rules(session, adcode, on)
    out = []
    try:
        injury = _as_date(facts.get("injury_date"))
        if topic == "work_injury" and injury:
            out.append(deadline(rules, "injury", injury, today=on))
        ended = _as_date(facts.get("end_date"))
        if topic in ("dismissal", "resignation") and ended:
            out.append(deadline(rules, "arbitration", ended, today=on))
        if topic == "wage_arrears" and facts.get("still_employed") is not None:
            left = _as_date(facts.get("left_date"))
            if facts.get("still_employed") is True:
                out.append(deadline(rules, "wage_arbitration", on, None, today=on))
            elif left:
                out.append(deadline(rules, "wage_arbitration", left, left, today=on))
    except CalculationError:
        pass
    return out


def compose(session: Session, topic: str, facts: Dict[str, Any], adcode: Optional[str] = None,
            on: Optional[date] = None, question: str = "") -> Answer:
    """All messages answering ``topic`` for the place and facts given (``question``: what the worker asked)."""
    day = on or clock.today()
    answer = Answer()
    where = place_name(adcode)
    label = TOPICS.get(topic, topic)

    # 1. The rules that apply: those on what the worker named (一函两书, 诉调对接 …) first, then local ones.
    named = phrases_in(question)
    provisions = queries.provisions(session, topic, adcode, day, limit=MAX_PROVISIONS, mentioning=named)
    if named and not any(w in p.summary or w in p.citation.text() for p in provisions for w in named):
        # The worker named a rule kept under another topic (一函两书 asked about unpaid wages): show it too.
        extra = queries.provisions_naming(session, named, adcode, day, limit=2)
        provisions = extra + [p for p in provisions if p.id not in {e.id for e in extra}][:MAX_PROVISIONS]
    lines = [f"【{label}】按{where}适用的规定："]
    for p in provisions:
        lines.append(f"• {p.summary}（依据：{answer.cite(p.citation)}）")
    if not provisions:
        lines.append("知识库里暂时没有这方面的规定摘要，我先把能帮您的地方告诉您。")
        answer.unknown.append("provisions")
    answer.say("\n".join(lines))

    # 2. Local figures; say plainly when the province's own figure is not known.
    memo: Dict[str, List[FigureAnswer]] = {}  # the province check below asks for some prefixes again
    figures = topic_figures(session, topic, adcode, day, memo)
    if figures:
        fig_lines = ["相关标准："]
        for f in figures:
            scope = f"{f.jurisdiction_name}，" if f.jurisdiction != "000000" else ""
            note = f"；{f.note}" if f.note else ""
            fig_lines.append(f"• {f.label}：{f.value_text()}（{scope}{f.valid_from.isoformat()}起执行{note}；"
                             f"依据：{answer.cite(f.citation)}）")
        answer.say("\n".join(fig_lines))
    for prefix, name in PROVINCIAL.items():
        if not any(prefix.startswith(p) or p.startswith(prefix) for p in TOPIC_FIGURES.get(topic, ())):
            continue
        if not adcode:
            continue
        alternatives = (prefix, *IN_MONTHS.get(prefix, ()))
        local = [f for p in alternatives for f in _figures(session, p, adcode, day, memo) if f.jurisdiction != "000000"]
        if not local:
            answer.unknown.append(prefix)
            answer.say(f"{where}的{name}我这里还没有核实过的数据，不能给您一个数字；请以当地人社部门公布的为准，"
                       f"也可以转人工帮您查。")

    # 3. What the worker can claim, with the working.
    result = calculation(session, topic, facts, adcode, day)
    if result is not None:
        for c in result.citations:
            answer.cite(c)
        text = result.headline() + "\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(result.steps, 1))
        if result.warnings:
            text += "\n注意：" + "；".join(result.warnings)
        answer.say(text, custom={"calculation": result.as_dict()})

    # 4. Deadlines that decide whether a claim is still possible.
    for d in deadlines(session, topic, facts, adcode, day):
        for c in d.citations:
            answer.cite(c)
        info = {"kind": d.title, **d.details}
        answer.deadlines.append(info)
        answer.say("⏰ " + d.title + "：" + " ".join(d.steps) + ("\n" + "；".join(d.warnings) if d.warnings else ""))

    # 5. Where to go, nearest first.
    referrals = route_case(session, topic, facts, adcode)
    if referrals:
        answer.routes = [r.route for r in referrals]
        answer.say(_routes_text(referrals), custom={
            "routes": [card for r in referrals for card in r.cards()],
            "citations": [c.as_dict() for c in answer.citations],
        })
    return answer


def _routes_text(referrals: Sequence[Referral]) -> str:
    lines = ["建议您这样做："]
    for i, r in enumerate(referrals, 1):
        lines.append(f"{i}. {ROUTES[r.route]}：{r.why}")
        for p in r.points:
            contact = "，".join(x for x in (p.phone and f"电话 {p.phone}", p.address and f"地址 {p.address}",
                                            p.hours) if x)
            lines.append(f"   {p.name}" + (f"（{contact}）" if contact else ""))
    return "\n".join(lines)
