"""The answer to a worker's question, from the knowledge base: first what was asked (the
figure or rule the question names, a verdict for a legality question, the calculation the
facts allow), then the topic's rules and figures for the worker's place, the deadlines, and
where to go. No figure is written here: every number comes from :mod:`knowledge`."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy.orm import Session

from knowledge import clock, queries, topics, verdicts
from knowledge.calculators import CalcResult, Rules
from knowledge.queries import Citation, FigureAnswer, ProvisionAnswer
from knowledge.regions import region_index
from knowledge.router import Referral, route_case
from knowledge.search import asks_figure, phrases_in, search
from knowledge.taxonomy import ROUTES, TOPICS

MAX_PROVISIONS = 3
# Search results that answer the question itself (figures and provisions; places come with the routes).
MAX_DIRECT = 3
DIRECT_MIN_SCORE = 1.2
# How much of the question a result's own words must cover to be shown as its answer.
DIRECT_MIN_COVER = {"figure": 0.15, "provision": 0.35}
# A figure the province sets in months (河南's maternity and nursing leave) answers the same question.
IN_MONTHS: Dict[str, Sequence[str]] = {
    "maternity_leave.total_days": ("maternity_leave.extra_months",),
    "paternity_leave.days": ("paternity_leave.months",),
}


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


def fingerprint(message: Dict[str, Any]) -> str:
    """A short hash of a message's text: parts the worker has already seen are not sent again."""
    return hashlib.sha1(str(message.get("text", "")).encode("utf-8")).hexdigest()[:12]


def place_name(adcode: Optional[str]) -> str:
    if not adcode:
        return "全国"
    return region_index().full_name(adcode) if region_index().get(adcode) else "全国"


def _figure_line(answer: Answer, f: FigureAnswer) -> str:
    scope = f"{f.jurisdiction_name}，" if f.jurisdiction != "000000" else "全国，"
    note = f"；{f.note}" if f.note else ""
    return f"• {f.label}：{f.value_text()}（{scope}{f.valid_from.isoformat()}起执行{note}；依据：{answer.cite(f.citation)}）"


def _provision_line(answer: Answer, p: ProvisionAnswer) -> str:
    return f"• {p.summary}（依据：{answer.cite(p.citation)}）"


class Memo:
    """``queries.figures`` asked once per prefix while one answer is composed."""

    def __init__(self, session: Session, adcode: Optional[str], on: date) -> None:
        self.session, self.adcode, self.on = session, adcode, on
        self.cache: Dict[str, List[FigureAnswer]] = {}

    def figures(self, prefix: str) -> List[FigureAnswer]:
        if prefix not in self.cache:
            self.cache[prefix] = queries.figures(self.session, prefix, self.adcode, self.on)
        return self.cache[prefix]


def direct_answer(session: Session, answer: Answer, question: str, adcode: Optional[str], on: date,
                  topic: Optional[str]) -> List[str]:
    """What the question itself asks (the figures and rules the staff look-up finds for it), first."""
    if not question.strip():
        return []
    where = region_index().full_name(adcode) if adcode else ""
    # The place known from the conversation counts even when this message does not name it.
    result = search(session, f"{where} {question}" if where and where not in question else question, on=on, limit=8)
    lines: List[str] = []
    seen: set = set()
    wants_figure = asks_figure(question)
    named = phrases_in(question)
    for item in result.items:
        if item.type == "service_point" or item.score < DIRECT_MIN_SCORE or len(lines) >= MAX_DIRECT or \
                item.cover < DIRECT_MIN_COVER[item.type]:
            continue
        if item.type == "figure" and not wants_figure:
            continue  # a rule question is answered by rules (and a verdict), not by loose numbers
        if item.type == "figure":
            figure = next((f for f in queries.figures(session, item.data["key"], adcode, on)
                           if f.key == item.data["key"] and f.jurisdiction == item.data["jurisdiction"]), None)
            if figure is None or figure.key in seen:
                continue
            seen.add(figure.key)
            lines.append(_figure_line(answer, figure))
        elif item.type == "provision":
            provision = queries.provision(session, item.data["id"])
            if provision is None or provision.id in seen:
                continue
            if topic and provision.topic != topic and not any(w in provision.summary for w in named):
                continue  # another topic's rule only when the worker named it (一函两书 asked about wages)
            seen.add(provision.id)
            lines.append(_provision_line(answer, provision))
    return lines


def compose(session: Session, topic: str, facts: Dict[str, Any], adcode: Optional[str] = None,
            on: Optional[date] = None, question: str = "") -> Answer:
    """All messages answering ``question`` on ``topic`` for the place and facts given."""
    day = on or clock.today()
    answer = Answer()
    where = place_name(adcode)
    label = TOPICS.get(topic, topic)
    spec = topics.topic(topic)
    rules = Rules(session, adcode, day)
    known = {k: v for k, v in facts.items() if topics.known(v)}

    # 1. What was asked: a verdict for a legality question, the figure or rule named, the calculation.
    verdict = verdicts.find(question, topic, complaint=topics.describes_problem(topic, question))
    if verdict is not None:
        cited = "；".join(answer.cite(p.citation) for p in verdicts.provisions_of(session, verdict, adcode, day))
        answer.say(f"结论：{verdict.headline}。\n{verdict.why}" + (f"（依据：{cited}）" if cited else "")
                   + f"\n怎么办：{verdict.then}", custom={"verdict": verdict.verdict})
    direct = direct_answer(session, answer, question, adcode, day, topic)
    result: Optional[CalcResult] = topics.calculate(topic, rules, known)
    if result is not None:
        for c in result.citations:
            answer.cite(c)
        text = result.headline() + "\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(result.steps, 1))
        if result.warnings:
            text += "\n注意：" + "；".join(result.warnings)
        answer.say(text, custom={"calculation": result.as_dict()})
    if direct:
        scope = f"按{where}的规定" if adcode else "按全国的规定（您还没说在哪里工作）"
        answer.say(f"您问的{scope}：\n" + "\n".join(direct))

    # 2. The topic's rules and figures where the worker is (local first, then national).
    named = phrases_in(question)
    provisions = queries.provisions(session, topic, adcode, day, limit=MAX_PROVISIONS + len(direct), mentioning=named)
    if named and not any(w in p.summary or w in p.citation.text() for p in provisions for w in named):
        extra = queries.provisions_naming(session, named, adcode, day, limit=2)
        provisions = extra + [p for p in provisions if p.id not in {e.id for e in extra}]
    shown = {c.text() for c in answer.citations}
    provisions = [p for p in provisions if p.citation.text() not in shown or p.summary not in "".join(direct)]
    provisions = [p for p in provisions if f"• {p.summary}" not in "\n".join(direct)][:MAX_PROVISIONS]
    if provisions:
        answer.say(f"【{label}】按{where}适用的规定：\n" + "\n".join(_provision_line(answer, p) for p in provisions))
    elif not direct and verdict is None:
        answer.say(f"【{label}】知识库里暂时没有这方面的规定摘要，我先把能帮您的地方告诉您。")
        answer.unknown.append("provisions")
    memo = Memo(session, adcode, day)
    figures = [f for prefix in (spec.figures if spec else ()) for f in memo.figures(prefix)]
    figure_lines = [line for line in (_figure_line(answer, f) for f in figures) if line not in direct]
    if figure_lines:
        answer.say("相关标准：\n" + "\n".join(figure_lines))
    for prefix, name in (spec.provincial.items() if spec and adcode else ()):
        alternatives = (prefix, *IN_MONTHS.get(prefix, ()))
        if not [f for p in alternatives for f in memo.figures(p) if f.jurisdiction != "000000"]:
            answer.unknown.append(prefix)
            answer.say(f"{where}的{name}我这里还没有核实过的数据，不能给您一个数字；请以当地人社部门公布的为准，"
                       f"也可以转人工帮您查。")

    # 3. Deadlines that decide whether a claim is still possible.
    for d in topics.deadlines(topic, rules, known):
        for c in d.citations:
            answer.cite(c)
        answer.deadlines.append({"kind": d.title, **d.details})
        answer.say("⏰ " + d.title + "：" + " ".join(d.steps) + ("\n" + "；".join(d.warnings) if d.warnings else ""))

    # 4. Where to go, nearest first, when something was done to the worker.
    if topics.describes_problem(topic, question) or topics.asks_where(question) or result is not None \
            or verdict is not None:
        referrals = route_case(session, topic, known, adcode)
        if referrals:
            answer.routes = [r.route for r in referrals]
            answer.say(_routes_text(referrals, adcode), custom={
                "routes": [card for r in referrals for card in r.cards()],
                "citations": [c.as_dict() for c in answer.citations],
            })
    return answer


def _routes_text(referrals: Sequence[Referral], adcode: Optional[str]) -> str:
    head = "可以找这些地方（离您最近的在前）：" if adcode else "可以找这些地方（告诉我城市，我给您当地的）："
    lines = [head]
    for i, r in enumerate(referrals, 1):
        lines.append(f"{i}. {ROUTES[r.route]}：{r.why}")
        for p in r.points:
            contact = "，".join(x for x in (p.phone and f"电话 {p.phone}", p.address and f"地址 {p.address}",
                                            p.hours) if x)
            lines.append(f"   {p.name}" + (f"（{contact}）" if contact else ""))
    return "\n".join(lines)
