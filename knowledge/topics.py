"""Topics as data: one specification per topic (``knowledge/data/topics.yml``) drives the
conversation — which facts a topic reads from the worker's words, which one is worth asking
next, the figures it shows, its calculation and its deadlines.

Facts are plain values (money in yuan, lengths in months, ISO dates, adcodes, booleans,
choice codes) or :data:`SKIP` when the worker chose not to say. Reading them from text
(:func:`read_answer`) and from resolved NLU entities (:func:`assign`) lives here so that
the action server, the tests and anyone else read them the same way. Plain Python: no Rasa.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from knowledge.calculators import CALCULATORS, CalcResult, CalculationError, Rules
from knowledge.calculators.deadlines import deadline
from knowledge.taxonomy import TOPICS
from knowledge.text.numbers import parse_number
from knowledge.text.quantities import parse_date, parse_duration_months, parse_money

SPEC_FILE = Path(__file__).parent / "data" / "topics.yml"
SKIP = "skip"
KINDS = ("place", "money", "months", "years", "hours", "date", "bool", "choice", "count")
ENTITY_KINDS = ("money", "duration", "date")
# What each kind of quantity read from text can fill.
FILLS = {"money": ("money",), "duration": ("months", "years"), "date": ("date",), "hours": ("hours",)}


@dataclass(frozen=True)
class Fact:
    """One fact the conversation can hold: how to read it, check it, ask for it and show it."""

    name: str
    kind: str
    label: str
    question: str
    problem: str
    bounds: Optional[Tuple[float, float]] = None
    choices: Tuple[Tuple[str, str], ...] = ()
    yes: str = "是"
    no: str = "不是"
    future_ok: bool = False

    def buttons(self) -> List[Dict[str, str]]:
        """Quick replies for the question (the answers a tap can give), always ending with 跳过."""
        if self.kind == "bool":
            options = [(self.yes, self.yes), (self.no, self.no)]
        elif self.kind == "choice":
            options = [(label, label) for _, label in self.choices]
        else:
            options = []
        return [{"title": title, "payload": payload} for title, payload in options] + \
            [{"title": "跳过", "payload": "跳过"}]

    def valid(self, value: Any, today: Optional[date] = None) -> bool:
        """True when ``value`` is a sensible value of this fact (or SKIP)."""
        if value == SKIP:
            return True
        if self.kind in ("money", "months", "years", "hours", "count"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return False
            low, high = self.bounds or (0, float("inf"))
            return bool(low <= float(value) <= high)
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "choice":
            return value in dict(self.choices)
        if self.kind == "date":
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                return False
            return self.future_ok or today is None or day <= today
        if self.kind == "place":
            return isinstance(value, str) and bool(value)
        return False

    def show(self, value: Any) -> str:
        """The value as an operator reads it in a case summary."""
        if self.kind == "money":
            return f"{float(value):g}元"
        if self.kind == "months":
            return f"{float(value):g}个月"
        if self.kind == "years":
            return f"{float(value):g}年"
        if self.kind == "hours":
            return f"{float(value):g}小时"
        if self.kind == "bool":
            return self.yes if value else self.no
        if self.kind == "choice":
            return dict(self.choices).get(str(value), str(value))
        return str(value)


@dataclass(frozen=True)
class Ask:
    """A fact worth asking for a topic, and when."""

    fact: str
    when: Mapping[str, Tuple[Any, ...]] = field(default_factory=dict)
    unless: Tuple[str, ...] = ()

    def due(self, facts: Mapping[str, Any]) -> bool:
        if facts.get(self.fact) is not None:
            return False
        if any(known(facts.get(name)) for name in self.unless):
            return False
        return all(facts.get(name) in values for name, values in self.when.items())


@dataclass(frozen=True)
class Reading:
    """Which fact an amount, a length of time or a date is (``near``: words in the same clause)."""

    fact: str
    near: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Calculation:
    calculator: str
    args: Mapping[str, str]
    needs: Tuple[Tuple[str, ...], ...]
    when: Mapping[str, Tuple[Any, ...]] = field(default_factory=dict)
    unless: Mapping[str, Tuple[Any, ...]] = field(default_factory=dict)
    choose: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadlineSpec:
    kind: str
    event: Optional[str] = None
    ended: Optional[str] = None
    employed: bool = False
    when: Mapping[str, Tuple[Any, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Topic:
    """Everything the conversation needs to know about one topic."""

    name: str
    label: str
    problem: bool
    reads: Mapping[str, Tuple[Reading, ...]]
    ask: Tuple[Ask, ...]
    figures: Tuple[str, ...]
    provincial: Mapping[str, str]
    calculation: Optional[Calculation]
    deadlines: Tuple[DeadlineSpec, ...]

    @property
    def facts(self) -> Tuple[str, ...]:
        """Every fact this topic reads or asks."""
        names = [a.fact for a in self.ask] + [r.fact for readings in self.reads.values() for r in readings]
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Spec:
    facts: Mapping[str, Fact]
    words: Mapping[str, Any]
    topics: Mapping[str, Topic]


def known(value: Any) -> bool:
    """A fact that holds a value (not missing, not skipped)."""
    return value not in (None, "", SKIP)


def _values(raw: Mapping[str, Any]) -> Dict[str, Tuple[Any, ...]]:
    return {k: tuple(v) for k, v in (raw or {}).items()}


def _topic(name: str, raw: Mapping[str, Any], words: Mapping[str, Any]) -> Topic:
    def near(value: Any) -> Tuple[str, ...]:
        if isinstance(value, str):  # the name of a word list
            return tuple(words[value])
        return tuple(value or ())

    reads = {kind: tuple(Reading(r["fact"], near(r.get("near"))) for r in items)
             for kind, items in (raw.get("reads") or {}).items()}
    asks = tuple(Ask(a) if isinstance(a, str) else Ask(a["fact"], _values(a.get("when") or {}), tuple(a.get("unless") or ()))
                 for a in raw.get("ask") or ())
    calc = raw.get("calculation")
    calculation = Calculation(calc["calculator"], dict(calc.get("args") or {}), tuple(tuple(g) for g in calc["needs"]),
                              _values(calc.get("when") or {}), _values(calc.get("unless") or {}),
                              dict(calc.get("choose") or {})) if calc else None
    deadlines = tuple(DeadlineSpec(d["kind"], d.get("event"), d.get("ended"), bool(d.get("employed")),
                                   _values(d.get("when") or {})) for d in raw.get("deadlines") or ())
    return Topic(name, TOPICS[name], bool(raw.get("problem")), reads, asks, tuple(raw.get("figures") or ()),
                 dict(raw.get("provincial") or {}), calculation, deadlines)


@lru_cache(maxsize=1)
def spec() -> Spec:
    """The topic specification (read once per process)."""
    raw = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    facts = {}
    for name, f in raw["facts"].items():
        facts[name] = Fact(name, f["kind"], f["label"], f["question"], f["problem"],
                           tuple(f["bounds"]) if f.get("bounds") else None,
                           tuple((str(k), str(v)) for k, v in (f.get("choices") or {}).items()),
                           str(f.get("yes", "是")), str(f.get("no", "不是")), bool(f.get("future_ok")))
    words = raw["words"]
    topics = {name: _topic(name, t or {}, words) for name, t in raw["topics"].items()}
    return Spec(facts, words, topics)


def topic(name: Optional[str]) -> Optional[Topic]:
    """The specification of topic ``name`` (None for anything that is not a topic)."""
    return spec().topics.get(name or "")


def fact(name: str) -> Fact:
    """The fact called ``name``."""
    return spec().facts[name]


def all_facts() -> Tuple[str, ...]:
    """Every fact name, in the order of the specification."""
    return tuple(spec().facts)


# -- the conversation ---------------------------------------------------------------------

def next_question(name: Optional[str], facts: Mapping[str, Any]) -> Optional[str]:
    """The one fact worth asking next for topic ``name`` (None when nothing would change the answer).

    Once the worker has skipped a question of this topic, nothing more is asked: the bot
    answers with what it has.
    """
    spec_ = topic(name)
    if spec_ is None:
        return None
    if any(facts.get(f) == SKIP for f in spec_.facts):
        return None
    for ask in spec_.ask:
        if ask.due(facts):
            return ask.fact
    return None


def describes_problem(name: Optional[str], text: str) -> bool:
    """True when the worker reports something done to them (the reply then says where to go)."""
    spec_ = topic(name)
    if spec_ is None:
        return False
    return spec_.problem or any(w in (text or "") for w in spec().words["complaint"])


def asks_where(text: str) -> bool:
    """True when the worker asks where to go or whom to call."""
    return any(w in (text or "") for w in spec().words["where"])


def calculate(name: Optional[str], rules: Rules, facts: Mapping[str, Any]) -> Optional[CalcResult]:
    """The calculation the topic's facts allow, or None (a refused calculation is None too)."""
    spec_ = topic(name)
    calc = spec_.calculation if spec_ else None
    if calc is None:
        return None
    f = {k: v for k, v in facts.items() if known(v)}
    if not all(f.get(k) in v for k, v in calc.when.items()) or any(f.get(k) in v for k, v in calc.unless.items()):
        return None
    if not any(all(n in f for n in group) for group in calc.needs):
        return None
    kwargs: Dict[str, Any] = {}
    for param, fact_name in calc.args.items():
        if fact_name in f:
            kwargs[param] = date.fromisoformat(f[fact_name]) if fact(fact_name).kind == "date" else f[fact_name]
    for param, rule in calc.choose.items():
        kwargs[param] = dict(rule.get("map") or {}).get(f.get(rule["fact"]), rule.get("default"))
    try:
        return CALCULATORS[calc.calculator].function(rules, **kwargs)
    except CalculationError:
        return None


def deadlines(name: Optional[str], rules: Rules, facts: Mapping[str, Any]) -> List[CalcResult]:
    """The deadlines that decide whether a claim is still possible, from the facts known."""
    spec_ = topic(name)
    out: List[CalcResult] = []
    for d in spec_.deadlines if spec_ else ():
        if not all(facts.get(k) in v for k, v in d.when.items()):
            continue
        try:
            if d.employed:
                out.append(deadline(rules, d.kind, rules.on, None))
                continue
            event = facts.get(d.event or "")
            if not known(event):
                continue
            day = date.fromisoformat(str(event))
            ended = date.fromisoformat(str(facts[d.ended])) if d.ended and known(facts.get(d.ended)) else None
            out.append(deadline(rules, d.kind, day, ended))
        except (CalculationError, ValueError):
            continue
    return out


# -- reading facts from the worker's words ----------------------------------------------------

def _has(text: str, words: Sequence[str]) -> bool:
    return any(w in text for w in words)


def is_skip(text: str) -> bool:
    """The worker declines to answer ("不知道", "跳过" …)."""
    return _has(text, spec().words["skip"])


def is_correction(text: str) -> bool:
    """The worker corrects something said before ("不对，是九千")."""
    return _has(text, spec().words["correction"])


def yes_no(text: str, intent: Optional[str] = None) -> Optional[bool]:
    """A yes or a no, from the intent or the words."""
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    words = spec().words
    if _has(text, words["yes_sure"]):
        return True
    if any(text.startswith(w) or w in text for w in words["no"]):
        return False
    if any(text.startswith(w) for w in words["yes"]):
        return True
    return None


def labelled(text: str, table: str) -> Optional[str]:
    """The first label of word table ``table`` (how_ended, contract_status) whose words occur in ``text``."""
    for value, words in spec().words[table].items():
        if _has(text, words):
            return str(value)
    return None


def mentions(text: str, word_list: str) -> bool:
    """True when one of the words of list ``word_list`` (pregnant, migrant_worker …) occurs."""
    return _has(text, spec().words[word_list])


def clause_around(text: str, start: int, end: int) -> str:
    """The clause (between punctuation) that holds ``text[start:end]``."""
    left = max((text.rfind(p, 0, start) for p in "，,。；;！!？?\n"), default=-1)
    rights = [i for i in (text.find(p, end) for p in "，,。；;！!？?\n") if i != -1]
    return text[left + 1:min(rights) if rights else len(text)]


def assign(name: Optional[str], kind: str, text: str, start: int, end: int, requested: Optional[str]) -> Optional[str]:
    """Which fact an entity of ``kind`` (money, duration, date) at text[start:end] fills.

    A word in its clause that names the fact wins (每个月 → monthly wage, 怀孕 → not service);
    then the fact the bot just asked, if it is of this kind; then the topic's default.
    """
    clause = clause_around(text, start, end)
    before = text[max(0, start - 4):start]
    if kind == "duration" and _has(before, spec().words["pregnancy"]):
        return None  # 怀孕四个月: how far along, not a length of service
    if kind == "money" and _has(clause, spec().words["monthly"]):
        return "monthly_wage"
    spec_ = topic(name)
    readings = spec_.reads.get(kind, ()) if spec_ else ()
    for reading in readings:
        if reading.near and _has(clause, reading.near):
            return reading.fact
    if requested and requested in spec().facts and fact(requested).kind in FILLS[kind]:
        return requested
    for reading in readings:
        if not reading.near:
            return reading.fact
    return None


def from_duration(fact_name: str, months: float) -> float:
    """A length of time in months as the fact holds it (years for years-kind facts)."""
    return round(months / 12, 2) if fact(fact_name).kind == "years" else float(months)


def read_answer(fact_name: str, text: str, intent: Optional[str] = None) -> Any:
    """A bare answer to the question about ``fact_name`` ("3", "还在", "不知道" → SKIP), or None."""
    if is_skip(text):
        return SKIP
    f = fact(fact_name)
    if f.kind == "bool":
        if text.strip() == f.yes:
            return True
        if text.strip() == f.no:
            return False
        return yes_no(text, intent)
    if f.kind == "choice":
        for value, label in f.choices:
            if text.strip() == label:
                return value
        return labelled(text, fact_name) if fact_name in spec().words else None
    if f.kind == "money":
        q = parse_money(text)
        return q.value if q else None
    if f.kind in ("months", "years"):
        q = parse_duration_months(text)
        if q:
            return from_duration(fact_name, q.value)
        n = parse_number(re.sub(r"[^\d.一二两三四五六七八九十百千万]", "", text))
        low, high = f.bounds or (0, 600)
        return n if n is not None and low <= n <= high else None
    if f.kind == "hours":
        if intent == "deny" or text.strip() in ("没有", "不加班", "没加班", "0", "无"):
            return 0.0
        n = parse_number(re.sub(r"[^\d.一二两三四五六七八九十百]", "", text))
        return n if n is not None and 0 <= n < 400 else None
    if f.kind == "date":
        d = parse_date(text)
        return d.iso if d else None
    return None


def summary_lines(facts: Mapping[str, Any]) -> List[str]:
    """'月工资：8000元' lines for the facts known (case summaries)."""
    out = []
    for name, value in facts.items():
        if name in spec().facts and name != "place" and known(value):
            try:
                out.append(f"{fact(name).label}：{fact(name).show(value)}")
            except (TypeError, ValueError):
                out.append(f"{fact(name).label}：{value}")
    return out
