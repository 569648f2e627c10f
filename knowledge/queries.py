"""Answers from the knowledge base, each with its citation and effective date.

Every lookup walks the fallback chain county → city → province → national and
takes a date (default: today in China), so a figure is answered as it stood on
that day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from knowledge import clock, models
from knowledge.regions import NATIONAL, region_index

UNIT_TEXT = {
    "yuan": "元", "yuan_per_month": "元/月", "yuan_per_hour": "元/小时", "yuan_per_day": "元/天",
    "day": "天", "month": "个月", "year": "年", "hour": "小时", "minute": "分钟", "ratio": "",
    "multiple": "倍", "count": "", "age": "周岁",
}


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: document, article, issuer, place, effective date."""

    regulation_id: str
    title: str
    article: Optional[str]
    issuer: str
    doc_number: Optional[str]
    jurisdiction: str
    jurisdiction_name: str
    effective: date
    url: Optional[str]

    def text(self) -> str:
        """《江苏省…条例》第二十九条（江苏省人大常委会，2021年11月5日起施行）"""
        number = f"，{self.doc_number}" if self.doc_number else ""
        article = self.article or ""
        return f"《{self.title}》{article}（{self.issuer}{number}，{chinese_date(self.effective)}起施行）"

    def as_dict(self) -> Dict[str, object]:
        return {
            "title": self.title, "article": self.article, "issuer": self.issuer, "doc_number": self.doc_number,
            "jurisdiction": self.jurisdiction, "jurisdiction_name": self.jurisdiction_name,
            "effective": self.effective.isoformat(), "url": self.url, "text": self.text(),
        }


@dataclass(frozen=True)
class FigureAnswer:
    """A figure valid on the asked date, for the place it was found at."""

    key: str
    label: str
    value: float
    unit: str
    valid_from: date
    valid_to: Optional[date]
    note: Optional[str]
    jurisdiction: str
    jurisdiction_name: str
    assigned_area: bool
    citation: Citation

    def value_text(self) -> str:
        """The value with its unit, as the bot writes it (2490元/月, 158天, 1.5倍)."""
        value = int(self.value) if float(self.value).is_integer() else round(self.value, 2)
        if self.unit == "ratio":
            return f"{round(self.value * 100, 2):g}%"
        return f"{value}{UNIT_TEXT.get(self.unit, '')}"

    def as_dict(self) -> Dict[str, object]:
        return {
            "key": self.key, "label": self.label, "value": self.value, "unit": self.unit,
            "value_text": self.value_text(), "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None, "note": self.note,
            "jurisdiction": self.jurisdiction, "jurisdiction_name": self.jurisdiction_name,
            "citation": self.citation.as_dict(),
        }


@dataclass(frozen=True)
class ProvisionAnswer:
    """A provision relevant to a topic, with its citation."""

    id: str
    topic: str
    summary: str
    citation: Citation
    figures: Sequence[FigureAnswer] = field(default_factory=tuple)

    def as_dict(self) -> Dict[str, object]:
        return {"id": self.id, "topic": self.topic, "summary": self.summary, "citation": self.citation.as_dict(),
                "figures": [f.as_dict() for f in self.figures]}


@dataclass(frozen=True)
class ServicePointAnswer:
    """A place to go or call, and how near it is to the worker (its jurisdiction level)."""

    id: int
    route: str
    name: str
    phone: Optional[str]
    address: Optional[str]
    hours: Optional[str]
    url: Optional[str]
    jurisdiction: str
    jurisdiction_name: str
    verified: Optional[date]
    note: Optional[str]

    def as_dict(self) -> Dict[str, object]:
        return {
            "id": self.id, "type": self.route, "name": self.name, "phone": self.phone, "address": self.address,
            "hours": self.hours, "url": self.url, "jurisdiction": self.jurisdiction,
            "jurisdiction_name": self.jurisdiction_name,
            "verified": self.verified.isoformat() if self.verified else None, "note": self.note,
        }


def _place_name(adcode: str) -> str:
    if adcode == NATIONAL:
        return "全国"
    return region_index().full_name(adcode) if region_index().get(adcode) else adcode


def _labels() -> Dict[str, Dict[str, str]]:
    from knowledge.loader import cached_figure_catalogue

    return cached_figure_catalogue()


def citation_of(provision: models.Provision) -> Citation:
    reg = provision.regulation
    return Citation(
        regulation_id=reg.id, title=reg.title, article=provision.article, issuer=reg.issuer,
        doc_number=reg.doc_number, jurisdiction=reg.jurisdiction, jurisdiction_name=_place_name(reg.jurisdiction),
        effective=reg.effective, url=reg.url,
    )


def _figure_answer(row: models.Figure, labels: Dict[str, Dict[str, str]]) -> FigureAnswer:
    return FigureAnswer(
        key=row.key, label=labels.get(row.key, {}).get("label", row.key), value=float(row.value), unit=row.unit,
        valid_from=row.valid_from, valid_to=row.valid_to, note=row.note, jurisdiction=row.jurisdiction,
        jurisdiction_name=_place_name(row.jurisdiction), assigned_area=row.area_of is not None,
        citation=citation_of(row.provision),
    )


def _valid_on(day: date) -> Any:
    F = models.Figure
    return sa.and_(F.valid_from <= day, sa.or_(F.valid_to.is_(None), F.valid_to >= day))


def figures(session: Session, key_prefix: str, adcode: Optional[str] = None, on: Optional[date] = None,
            ) -> List[FigureAnswer]:
    """Figures whose key is ``key_prefix`` or starts with ``key_prefix.``, valid on ``on``,
    from the most specific place on the chain that has any (county → … → national)."""
    day = on or clock.today()
    F = models.Figure
    labels = _labels()
    key_filter = sa.or_(F.key == key_prefix, F.key.like(key_prefix.rstrip(".") + ".%"))
    chain = region_index().lookup_chain(adcode)
    # One query for the whole chain (not one per level): this runs many times per answer.
    rows = session.execute(
        sa.select(F).options(joinedload(F.provision).joinedload(models.Provision.regulation))
        .where(key_filter, F.jurisdiction.in_(chain), _valid_on(day))
        .order_by(F.key, F.valid_from.desc(), F.id)
    ).scalars().unique().all()
    by_place: Dict[str, List[models.Figure]] = {}
    for row in rows:
        by_place.setdefault(row.jurisdiction, []).append(row)
    for code in chain:
        if by_place.get(code):
            # One row per key: the newest valid one.
            seen: Dict[str, models.Figure] = {}
            for row in by_place[code]:
                seen.setdefault(row.key, row)
            return [_figure_answer(r, labels) for r in seen.values()]
    return []


def figure(session: Session, key: str, adcode: Optional[str] = None, on: Optional[date] = None,
           ) -> Optional[FigureAnswer]:
    """One figure by exact key, or None when no place on the chain has it."""
    found = [f for f in figures(session, key, adcode, on) if f.key == key]
    return found[0] if found else None


def figure_history(session: Session, key: str, adcode: str) -> List[FigureAnswer]:
    """Every version of a figure at one place, newest first."""
    F = models.Figure
    rows = session.execute(
        sa.select(F).where(F.key == key, F.jurisdiction == adcode).order_by(F.valid_from.desc())
    ).scalars().all()
    labels = _labels()
    return [_figure_answer(r, labels) for r in rows]


def provisions(session: Session, topic: str, adcode: Optional[str] = None, on: Optional[date] = None,
               limit: int = 20, mentioning: Sequence[str] = ()) -> List[ProvisionAnswer]:
    """Provisions on ``topic`` that apply at the place: local ones first, then national.

    A provision counts if its regulation took effect on or before ``on``. Provisions whose summary
    or regulation title uses one of the ``mentioning`` phrases (what the worker typed) come first.
    """
    day = on or clock.today()
    P, R = models.Provision, models.Regulation
    chain = region_index().lookup_chain(adcode)
    rows = session.execute(
        sa.select(P).join(R).options(joinedload(P.regulation), joinedload(P.figures))
        .where(P.topic == topic, R.jurisdiction.in_(chain), R.effective <= day)
    ).scalars().unique().all()
    order = {code: i for i, code in enumerate(chain)}

    def mentions(p: models.Provision) -> bool:
        return any(w in p.summary or w in p.regulation.title for w in mentioning)

    rows = [p for p in rows if in_force(p, day)]
    rows.sort(key=lambda p: (not mentions(p), order[p.regulation.jurisdiction], p.id))
    labels = _labels()
    return [_provision_answer(row, labels, day) for row in rows[:limit]]


def in_force(provision: models.Provision, day: date) -> bool:
    """False for a provision whose figures have all ended before ``day``: a later document replaced it
    (Shanghai's 2023 minimum-wage notice once 2025's applies). Provisions without figures stay."""
    figures = [f for f in provision.figures if f.area_of is None]
    return not figures or any(f.valid_to is None or f.valid_to >= day for f in figures)


def _provision_answer(row: models.Provision, labels: Dict[str, Dict[str, str]], day: date) -> ProvisionAnswer:
    figs = tuple(_figure_answer(f, labels) for f in row.figures if f.area_of is None and f.valid_on(day))
    return ProvisionAnswer(row.id, row.topic, row.summary, citation_of(row), figs)


def provisions_naming(session: Session, phrases: Sequence[str], adcode: Optional[str] = None,
                      on: Optional[date] = None, limit: int = 2) -> List[ProvisionAnswer]:
    """Provisions of any topic whose summary or regulation title uses one of ``phrases`` (local first)."""
    if not phrases:
        return []
    day = on or clock.today()
    P, R = models.Provision, models.Regulation
    chain = region_index().lookup_chain(adcode)
    named = sa.or_(*[sa.or_(P.summary.like(f"%{w}%"), R.title.like(f"%{w}%")) for w in phrases])
    rows = session.execute(
        sa.select(P).join(R).options(joinedload(P.regulation), joinedload(P.figures))
        .where(named, R.jurisdiction.in_(chain), R.effective <= day)
    ).scalars().unique().all()
    order = {code: i for i, code in enumerate(chain)}
    rows = [p for p in rows if in_force(p, day)]
    rows.sort(key=lambda p: (order[p.regulation.jurisdiction], p.id))
    labels = _labels()
    return [_provision_answer(row, labels, day) for row in rows[:limit]]


def provision(session: Session, provision_id: str) -> Optional[ProvisionAnswer]:
    row = session.get(models.Provision, provision_id)
    if row is None:
        return None
    labels = _labels()
    return ProvisionAnswer(row.id, row.topic, row.summary, citation_of(row),
                           tuple(_figure_answer(f, labels) for f in row.figures if f.area_of is None))


def service_points(session: Session, route: str, adcode: Optional[str] = None, limit: int = 3,
                   ) -> List[ServicePointAnswer]:
    """The nearest service points of a route type: county, then city, province, national."""
    S = models.ServicePoint
    chain = region_index().lookup_chain(adcode)
    # One query for the whole chain, then nearest level first.
    rows = session.execute(
        # A union's own imported or entered contacts come before the shipped ones.
        sa.select(S).where(S.route == route, S.jurisdiction.in_(chain), S.active.is_(True))
        .order_by((S.origin == models.ORIGIN_FILES).asc(), S.id)
    ).scalars().all()
    level = {code: i for i, code in enumerate(chain)}
    rows = sorted(rows, key=lambda row: level[row.jurisdiction])  # stable: keeps the order within a level
    return [
        ServicePointAnswer(
            id=row.id, route=row.route, name=row.name, phone=row.phone, address=row.address, hours=row.hours,
            url=row.url, jurisdiction=row.jurisdiction, jurisdiction_name=_place_name(row.jurisdiction),
            verified=row.verified, note=row.note,
        )
        for row in rows[:limit]
    ]


def local_minimum_wage(session: Session, adcode: Optional[str], on: Optional[date] = None,
                       kind: str = "monthly") -> Optional[FigureAnswer]:
    """The one minimum wage (monthly or hourly) that applies at the place, or None when the
    place's tier is not known (the province has several tiers and no assignment for it)."""
    found = figures(session, f"min_wage.{kind}", adcode, on)
    if len(found) == 1:
        return found[0]
    return None
