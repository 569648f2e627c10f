"""The national hotlines read straight from the reviewed data file, without the database.

Used when the database or the action server cannot be reached: a worker must
still be told whom to call. The numbers live only in
``knowledge/data/service_points/national.yml``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import yaml

NATIONAL_FILE = Path(__file__).resolve().parent / "data" / "service_points" / "national.yml"
NATIONAL = "000000"
# What a worker needs most when the assistant itself is in trouble, in this order.
DEFAULT_ROUTES = ("labour_inspection", "legal_aid", "union")


@dataclass(frozen=True)
class Hotline:
    """One nationwide number for a route type."""

    route: str
    name: str
    phone: str
    hours: Optional[str] = None


@lru_cache(maxsize=1)
def _all() -> Tuple[Hotline, ...]:
    data = yaml.safe_load(NATIONAL_FILE.read_text(encoding="utf-8")) or {}
    out = []
    for row in data.get("service_points") or []:
        if str(row.get("jurisdiction")) == NATIONAL and row.get("phone"):
            out.append(Hotline(row["route"], row["name"], str(row["phone"]), row.get("hours")))
    return tuple(out)


def national_hotlines(routes: Sequence[str] = DEFAULT_ROUTES) -> List[Hotline]:
    """The first national hotline of each route type in ``routes``, in that order."""
    out: List[Hotline] = []
    for route in routes:
        for line in _all():
            if line.route == route:
                out.append(line)
                break
    return out


def emergency_numbers() -> List[Hotline]:
    """Every national emergency number (police, ambulance, crisis line)."""
    return [line for line in _all() if line.route == "emergency"]
