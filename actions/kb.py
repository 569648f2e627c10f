"""Knowledge-base access for actions: one session per call, and a short cache for
what nearly every turn reads (national hotlines), so a busy evening does not
hit the database for the same rows over and over."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knowledge import cases, hotlines, queries
from knowledge.db import session_factory, session_scope

logger = logging.getLogger(__name__)
T = TypeVar("T")

_CACHE: Dict[Tuple, Tuple[float, object]] = {}
CACHE_SECONDS = 300.0


class KnowledgeUnavailable(RuntimeError):
    """The database could not be reached; the action answers with what it has."""


@contextmanager
def session() -> Iterator[Session]:
    """A database session; database errors become :class:`KnowledgeUnavailable`."""
    try:
        with session_scope() as s:
            yield s
    except SQLAlchemyError as exc:
        logger.error("knowledge base unavailable: %s", exc)
        raise KnowledgeUnavailable(str(exc)) from exc
    _flush_spooled_cases()


def _flush_spooled_cases() -> None:
    """The database answers again: write the cases kept while it was down (a stat when there are none)."""
    path = cases.spool_path()
    if path.exists() and path.stat().st_size:
        written = cases.flush_spool(session_factory())
        if written:
            logger.warning("wrote %d case(s) kept while the database was down", written)


def cached(key: Tuple, compute: Callable[[], T], seconds: float = CACHE_SECONDS) -> T:
    """Return a cached value for ``key`` or compute and remember it for ``seconds``."""
    now = time.monotonic()
    hit = _CACHE.get(key)
    if hit and now - hit[0] < seconds:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    _CACHE[key] = (now, value)
    return value


def clear_cache() -> None:
    _CACHE.clear()


def contacts(route: str, adcode: Optional[str] = None, limit: int = 3) -> List[queries.ServicePointAnswer]:
    """Nearest service points of a route type (cached per place)."""
    def compute() -> List[queries.ServicePointAnswer]:
        with session() as s:
            return queries.service_points(s, route, adcode, limit=limit)
    return cached(("contacts", route, adcode, limit), compute)


def national_hotlines() -> List[queries.ServicePointAnswer]:
    """The national hotlines for labour inspection, legal aid and the union, in that order.

    With the database down they come from the data file, so a worker is never left without a number.
    """
    out: List[queries.ServicePointAnswer] = []
    try:
        for route in hotlines.DEFAULT_ROUTES:
            out.extend(p for p in contacts(route, None, limit=1) if p.phone)
    except KnowledgeUnavailable:
        return [queries.ServicePointAnswer(
            id=0, route=h.route, name=h.name, phone=h.phone, address=None, hours=h.hours, url=None,
            jurisdiction=hotlines.NATIONAL, jurisdiction_name="全国", verified=None, note=None,
        ) for h in hotlines.national_hotlines()]
    return out
