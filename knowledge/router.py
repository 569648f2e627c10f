"""Where to send a case: ordered route types with the reason for each, and the
nearest service points (county → city → province → national hotline).

The order per topic lives in ``knowledge/data/routing.yml`` so unions can adapt
it; facts (several workers together, an emergency …) switch entries on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml
from sqlalchemy.orm import Session

from knowledge.queries import ServicePointAnswer, service_points
from knowledge.taxonomy import ROUTES

ROUTING_FILE = Path(__file__).parent / "data" / "routing.yml"


@dataclass(frozen=True)
class RouteRule:
    route: str
    why: str
    when: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    first: bool = False

    def applies(self, facts: Mapping[str, Any]) -> bool:
        return all(facts.get(name) in values for name, values in self.when.items())


@lru_cache(maxsize=1)
def _routing() -> Tuple[Dict[str, List[RouteRule]], List[RouteRule]]:
    raw = yaml.safe_load(ROUTING_FILE.read_text(encoding="utf-8"))

    def rules(items: Sequence[Mapping[str, Any]]) -> List[RouteRule]:
        out = []
        for item in items:
            if item["route"] not in ROUTES:
                raise ValueError(f"{ROUTING_FILE}: unknown route {item['route']!r}")
            out.append(RouteRule(item["route"], item["why"], dict(item.get("when") or {}), bool(item.get("first"))))
        return out

    return {topic: rules(items) for topic, items in raw["topics"].items()}, rules(raw["fallback"])


# topic → ((route, why), …) in the default order, for callers that only need the names.
TOPIC_ROUTES: Dict[str, Tuple[Tuple[str, str], ...]] = {
    topic: tuple((r.route, r.why) for r in rules if not r.when) for topic, rules in _routing()[0].items()
}


@dataclass
class Referral:
    """One route for the case: type, why, and the nearest places to contact."""

    route: str
    why: str
    points: List[ServicePointAnswer]

    def cards(self) -> List[Dict[str, Any]]:
        """Payload cards ({type, name, phone, address, hours, why}) for rich channels."""
        return [{"type": self.route, "name": p.name, "phone": p.phone, "address": p.address, "hours": p.hours,
                 "why": self.why, "url": p.url, "jurisdiction": p.jurisdiction_name} for p in self.points]


def plan_routes(topic: Optional[str], facts: Optional[Mapping[str, Any]] = None) -> List[RouteRule]:
    """The route rules that apply to ``topic`` with ``facts``, in order (no database needed)."""
    facts = facts or {}
    by_topic, fallback = _routing()
    rules = [r for r in by_topic.get(topic or "", fallback) if r.applies(facts)]
    firsts = [r for r in rules if r.first and r.when]
    rest = [r for r in rules if r not in firsts]
    ordered: List[RouteRule] = []
    for rule in firsts + rest:
        if all(o.route != rule.route for o in ordered):
            ordered.append(rule)
    return ordered


def route_case(session: Session, topic: Optional[str], facts: Optional[Mapping[str, Any]] = None,
               adcode: Optional[str] = None, max_routes: Optional[int] = None,
               points_per_route: int = 1) -> List[Referral]:
    """Every route that applies to a case, best first, with the nearest service points of each
    (skipping routes with none). Not cut at a fixed number: the third or fourth route is often the
    one a worker needs (legal aid for a migrant worker's wage claim)."""
    referrals: List[Referral] = []
    for rule in plan_routes(topic, facts):
        points = service_points(session, rule.route, adcode, limit=points_per_route)
        if points:
            referrals.append(Referral(rule.route, rule.why, points))
        if max_routes is not None and len(referrals) >= max_routes:
            break
    return referrals
