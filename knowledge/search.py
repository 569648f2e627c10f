"""Free-text look-up for hotline staff: "江苏 产假", "深圳最低工资", "淮安 仲裁委 电话".

The place is read with :mod:`knowledge.places`; the rest is matched against the
operator vocabulary in ``knowledge/data/search_terms.yml`` (figures, topics,
routes). Results come best first: the figures that answer the question at that
place, then the nearest contacts, then the provisions, local before national.
When no term matches, provision summaries and titles are searched for the words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session, joinedload

from knowledge import clock, models, queries
from knowledge.places import find_places, most_specific
from knowledge.regions import region_index
from knowledge.taxonomy import ROUTES, TOPICS
from knowledge.text.normalise import normalise_text

TERMS_FILE = Path(__file__).parent / "data" / "search_terms.yml"


@dataclass(frozen=True)
class Term:
    words: Sequence[str]
    figures: Sequence[str]
    topics: Sequence[str]
    routes: Sequence[str]
    want_contacts: bool = False


@lru_cache(maxsize=1)
def terms() -> List[Term]:
    raw = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))["terms"]
    return [Term(tuple(str(w) for w in t["words"]), tuple(t.get("figures") or ()), tuple(t.get("topics") or ()),
                 tuple(t.get("routes") or ()), bool(t.get("want_contacts"))) for t in raw]


@dataclass
class SearchItem:
    """One result: a figure, a provision or a service point, with its score."""

    type: str
    score: float
    title: str
    text: str
    data: Dict[str, Any]
    cover: float = 0.0  # the share of the question's words the item's own words cover

    def as_dict(self) -> Dict[str, Any]:
        return {"type": self.type, "score": round(self.score, 3), "title": self.title, "text": self.text, **self.data}


@dataclass
class SearchResult:
    query: str
    place: Optional[str]
    place_name: Optional[str]
    on: date
    matched: List[str]
    items: List[SearchItem] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {"query": self.query, "place": self.place, "place_name": self.place_name, "date": self.on.isoformat(),
                "matched_terms": self.matched, "results": [i.as_dict() for i in self.items]}


def phrases_in(text: str, min_length: int = 3) -> List[str]:
    """The specific search-term phrases (一函两书, 诉调对接, 困难职工 …) that occur in ``text``."""
    text = normalise_text(text or "")
    return [w for term in _match_terms(text) for w in term.words if len(w) >= min_length and w in text]


def _match_terms(text: str) -> List[Term]:
    """Terms whose words occur in ``text``; a word inside a longer matched word does not count
    (合同 inside 集体合同 is not a question about labour contracts)."""
    spans = []
    for term in terms():
        for word in term.words:
            start = text.find(word)
            while start != -1:
                spans.append((start, start + len(word), term))
                start = text.find(word, start + 1)
    found: List[Term] = []
    for start, end, term in spans:
        covered = any(s <= start and end <= e and (e - s) > (end - start) and t is not term for s, e, t in spans)
        if not covered and term not in found:
            found.append(term)
    return found


def search(session: Session, query: str, on: Optional[date] = None, limit: int = 12) -> SearchResult:
    """Answer a staff query: figures, contacts and provisions for the place it names."""
    day = on or clock.today()
    text = normalise_text(query)
    mentions = find_places(text)
    region = most_specific(mentions)
    adcode = region.adcode if region else None
    rest = text
    for m in sorted(mentions, key=lambda m: -m.start):
        rest = rest[:m.start] + " " + rest[m.end:]
    matched = _match_terms(rest)
    # A topic or route name typed as such ("工伤", "仲裁") also counts.
    topics: List[str] = [t for term in matched for t in term.topics]
    routes: List[str] = [r for term in matched for r in term.routes]
    prefixes: List[str] = [f for term in matched for f in term.figures]
    want_contacts = any(term.want_contacts for term in matched)
    for name, label in TOPICS.items():
        if label in rest and name not in topics:
            topics.append(name)
    for name, label in ROUTES.items():
        if label in rest and name not in routes:
            routes.append(name)
    result = SearchResult(query, adcode, region_index().full_name(adcode) if adcode else None, day,
                          [w for term in matched for w in term.words if w in rest])
    items: List[SearchItem] = []
    seen_figures: Set[int] = set()
    for rank, prefix in enumerate(dict.fromkeys(prefixes)):
        for answer in queries.figures(session, prefix, adcode, day):
            key = hash((answer.key, answer.jurisdiction, answer.valid_from))
            if key in seen_figures:
                continue
            seen_figures.add(key)
            local = 0.2 if answer.jurisdiction != "000000" else 0.0
            # A figure named by two of the typed words (工伤认定 + 时限) beats one named by only one.
            agreement = sum(1 for term in matched if any(answer.key.startswith(f) for f in term.figures))
            # Words typed that appear in the figure's own label (流产, 缴费年限, 起诉) point at it.
            in_label = min(1.0, 0.15 * sum(len(w) for w in result.matched if w in answer.label))
            items.append(SearchItem(
                "figure", 2.0 - rank * 0.05 + local + 0.5 * max(0, agreement - 1) + in_label,
                f"{answer.jurisdiction_name} · {answer.label}",
                f"{answer.value_text()}（{answer.valid_from.isoformat()}起）" + (f"；{answer.note}" if answer.note else ""),
                answer.as_dict(),
            ))
    contact_boost = 1.5 if want_contacts else 0.0
    if want_contacts and not routes:
        routes = [r for t in topics for r in _routes_for_topic(t)] or ["labour_inspection", "legal_aid", "union"]
    for rank, route in enumerate(dict.fromkeys(routes)):
        for point in queries.service_points(session, route, adcode, limit=3):
            items.append(SearchItem(
                "service_point", 2.0 + contact_boost - rank * 0.05 + (0.2 if point.jurisdiction != "000000" else 0),
                f"{ROUTES[route]} · {point.name}",
                "；".join(x for x in (point.phone, point.address, point.hours) if x),
                point.as_dict(),
            ))
    for rank, topic in enumerate(dict.fromkeys(topics)):
        for i, prov in enumerate(queries.provisions(session, topic, adcode, day, limit=20)):
            local = 0.3 if prov.citation.jurisdiction != "000000" else 0.0
            items.append(SearchItem("provision", 1.6 - rank * 0.1 - i * 0.01 + local,
                                    prov.citation.text(), prov.summary, prov.as_dict()))
    # A specific phrase typed as such (一函两书, 诉调对接, 困难职工) finds the provisions that use it,
    # ahead of the topic's general ones.
    phrases = dict.fromkeys(w for w in [*rest.split(), *result.matched] if len(w) >= 3)
    for phrase in phrases:
        for item in _full_text(session, phrase, adcode, day):
            item.score = 1.8
            items.append(item)
    # Every provision in force here is a candidate too, scored by how much of the question its
    # summary covers: a question in the worker's own words ("领导强令我冒险作业我能拒绝吗") names
    # no operator term but shares its words with the rule that answers it.
    items += _by_words(session, rest, adcode, day)
    if not items:
        items = _full_text(session, rest.strip() or text, adcode, day)
    _rerank(items, rest)
    items.sort(key=lambda i: -i.score)
    result.items = _dedupe(items)[:limit]
    return result


# Two-character pieces that say nothing about which rule is meant.
_STOP_GRAMS = {"怎么", "多少", "可以", "公司", "单位", "我们", "一个", "什么", "的话", "这个", "那个", "现在", "请问",
               "能不", "不能", "是不", "不是", "有没", "没有", "怎样", "如何", "还是", "就是", "的是", "了吗", "吗？", "么办",
               "用人", "人单",
               "老板", "我的", "我是", "我在", "上班", "工作", "规定", "法律", "办法", "一下", "应该", "需要", "时候"}
# The question asks for a number (a figure answers it) or for a rule (a provision does).
_ASKS_FIGURE = ("多少", "几", "多久", "多长", "多大", "标准", "怎么算", "倍", "比例", "期限", "时效", "上限", "最长", "最多",
                "最低", "最高", "封顶", "什么时候", "哪天")


# How workers say it → how the rules say it (the question is matched in both wordings).
_PLAIN_TO_LEGAL = {"辞退": "解除", "开除": "解除", "解雇": "解除", "炒鱿鱼": "解除", "不要我": "解除", "怀孕": "孕期",
                   "生病": "患病", "住院": "医疗期", "病假": "医疗期", "工资条": "工资", "押金": "财物", "身份证": "证件",
                   "周末": "休息日", "双休": "休息日", "国庆": "法定休假日", "春节": "法定休假日", "过年": "法定休假日",
                   "节假日": "法定休假日", "欠薪": "拖欠工资", "打官司": "诉讼", "起诉": "人民法院",
                   "律师": "法律援助", "没签合同": "未订立书面劳动合同", "不签合同": "未订立书面劳动合同",
                   "交社保": "缴纳社会保险", "社保": "社会保险", "到手": "应得", "工伤保险": "工伤保险",
                   "结工资": "支付劳动报酬", "欠工资": "拖欠劳动报酬", "加班费": "加班工资", "几倍": "倍",
                   "封顶": "月平均工资的倍数", "工资很高": "月平均工资三倍", "死亡": "工亡 因工死亡"}


def _with_legal_words(query: str) -> str:
    """The question with the words the rules use for the worker's words added."""
    return query + " " + " ".join(legal for plain, legal in _PLAIN_TO_LEGAL.items() if plain in query)


_ASKS_RULE = ("吗", "怎么办", "能不能", "可不可以", "可以", "合法", "违法", "规定", "怎么", "是否", "算不算", "要不要", "谁")


def _grams(text: str) -> Set[str]:
    """Character bigrams of the Chinese and alphanumeric runs of ``text``, without the empty ones."""
    runs = re.findall(r"[\u4e00-\u9fff0-9a-zA-Z%]+", text)
    return {run[i:i + 2] for run in runs for i in range(len(run) - 1)} - _STOP_GRAMS


def asks_figure(query: str) -> bool:
    """True when the question asks for a number (多少, 几天, 多久, 标准 …)."""
    return any(w in query for w in _ASKS_FIGURE)


def _rerank(items: List[SearchItem], query: str) -> None:
    """Add to each item's score how much of the question its own words cover (a question names
    its answer: "试用期工资最低多少" → the provision on probation wages), and favour figures for
    questions that ask for a number, provisions for the others."""
    asked = _grams(_with_legal_words(query))
    if not asked:
        return
    wants_figure = asks_figure(query)
    wants_rule = not wants_figure and any(w in query for w in _ASKS_RULE)
    for item in items:
        own = _grams(f"{item.title} {item.text} {item.data.get('summary', '')}")
        cover = len(asked & own) / len(asked)
        # An operator's keywords ("伤残等级 补助金") ask neither way: no preference then.
        kind_fit = 0.5 if (item.type == "figure" and wants_figure) or (item.type == "provision" and wants_rule) else 0.0
        item.score += 4.0 * cover + kind_fit
        item.cover = cover


def _routes_for_topic(topic: str) -> List[str]:
    from knowledge.router import TOPIC_ROUTES

    return [r for r, _ in TOPIC_ROUTES.get(topic, ())]


def _dedupe(items: List[SearchItem]) -> List[SearchItem]:
    seen: Set[tuple] = set()
    out = []
    for item in items:
        key = (item.type, item.title, item.text)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _by_words(session: Session, text: str, adcode: Optional[str], day: date) -> List[SearchItem]:
    """Provisions in force at the place whose summary covers at least a fifth of the question's words."""
    asked = _grams(_with_legal_words(text))
    if len(asked) < 2:
        return []
    P, R = models.Provision, models.Regulation
    chain = region_index().lookup_chain(adcode)
    rows = session.execute(
        sa.select(P).join(R).options(joinedload(P.regulation))
        .where(R.jurisdiction.in_(chain), R.effective <= day)
    ).scalars().unique().all()
    out = []
    for p in rows:
        if len(asked & _grams(p.summary)) / len(asked) >= 0.2:
            citation = queries.citation_of(p)
            local = 0.3 if citation.jurisdiction != "000000" else 0.0
            out.append(SearchItem("provision", 1.0 + local, citation.text(), p.summary,
                                  {"id": p.id, "topic": p.topic, "citation": citation.as_dict()}))
    return out


def _full_text(session: Session, text: str, adcode: Optional[str], day: date) -> List[SearchItem]:
    words = [w for w in text.replace("，", " ").split() if len(w) >= 2] or ([text] if len(text) >= 2 else [])
    if not words:
        return []
    P, R = models.Provision, models.Regulation
    chain = region_index().lookup_chain(adcode)
    conditions = [sa.or_(P.summary.like(f"%{w}%"), R.title.like(f"%{w}%")) for w in words]
    rows = session.execute(
        sa.select(P).join(R).options(joinedload(P.regulation))
        .where(sa.and_(*conditions), R.jurisdiction.in_(chain), R.effective <= day).limit(20)
    ).scalars().unique().all()
    return [SearchItem("provision", 0.5, queries.citation_of(p).text(), p.summary,
                       {"id": p.id, "topic": p.topic, "citation": queries.citation_of(p).as_dict()}) for p in rows]


def render_text(result: SearchResult) -> str:
    """Human-readable look-up result for the terminal."""
    head = f"查询：{result.query}（地区：{result.place_name or '未指明，按全国'}；日期：{result.on.isoformat()}）"
    if not result.items:
        return head + "\n没有找到结果。可以换个说法，例如“江苏 产假”“深圳 最低工资”“淮安 仲裁 电话”。"
    lines = [head]
    for i, item in enumerate(result.items, 1):
        kind = {"figure": "数据", "service_point": "联系", "provision": "规定"}[item.type]
        lines.append(f"{i:>2}. [{kind}] {item.title}")
        lines.append(f"    {item.text}")
        if item.type == "figure":
            lines.append(f"    依据：{item.data['citation']['text']}")
    return "\n".join(lines)
