"""Verdicts for legality questions ("怀孕被辞退合法吗"): 不合法 / 合法 / 要看情况, the reason
in our own words, the provisions it rests on (cited from the knowledge base) and what to do.

The verdicts are reviewed data (``knowledge/data/verdicts.yml``); this module finds the one
a question asks about. It never decides a case: "要看情况" says what it depends on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import yaml
from sqlalchemy.orm import Session

from knowledge import queries
from knowledge.text.normalise import normalise_text

VERDICTS_FILE = Path(__file__).parent / "data" / "verdicts.yml"
LABELS = {"illegal": "不合法", "legal": "合法", "depends": "要看情况"}


@dataclass(frozen=True)
class Verdict:
    """One reviewed verdict."""

    id: str
    topic: str
    all: Tuple[Tuple[str, ...], ...]
    none: Tuple[str, ...]
    verdict: str
    headline: str
    why: str
    provisions: Tuple[str, ...]
    then: str

    def matches(self, text: str) -> bool:
        return all(any(w in text for w in group) for group in self.all) and not any(w in text for w in self.none)


@lru_cache(maxsize=1)
def _data() -> Tuple[Tuple[str, ...], Tuple[Verdict, ...]]:
    raw = yaml.safe_load(VERDICTS_FILE.read_text(encoding="utf-8"))
    verdicts = tuple(
        Verdict(v["id"], v["topic"], tuple(tuple(str(w) for w in g) for g in v["all"]),
                tuple(str(w) for w in v.get("none") or ()), v["verdict"], v["headline"], v["why"],
                tuple(v["provisions"]), v["then"])
        for v in raw["verdicts"])
    return tuple(str(w) for w in raw["asks"]), verdicts


def verdicts() -> Sequence[Verdict]:
    """Every reviewed verdict, in the order they are tried."""
    return _data()[1]


# "能辞退我吗", "可以扣工资吗", "算歧视吗", "是不是违法": a yes/no question about what is allowed.
_YES_NO_QUESTION = re.compile(r"(?:能|可以|可不可以|允许|算|该)[^，。？?！!]{0,12}(?:吗|嘛|么)|是不是|有没有违法|怎么办")


def asks_legality(text: str) -> bool:
    """True when the message asks whether something is allowed ("合法吗", "能不能", "要不要" …)
    or what to do about it ("怎么办": the verdict tells whether it is lawful first)."""
    plain = normalise_text(text or "")
    return any(w in plain for w in _data()[0]) or bool(_YES_NO_QUESTION.search(plain))


def find(text: str, topic: Optional[str] = None, complaint: bool = False) -> Optional[Verdict]:
    """The verdict a legality question asks about (the topic's own first), or None.

    ``complaint``: the message reports something done to the worker ("怀孕四个月了公司要辞退我"),
    which asks the same question without the question words.
    """
    if not (complaint or asks_legality(text)):
        return None
    plain = normalise_text(text)
    candidates = [v for v in verdicts() if v.matches(plain)]
    for v in candidates:
        if v.topic == topic:
            return v
    return candidates[0] if candidates else None


def provisions_of(session: Session, verdict: Verdict, adcode: Optional[str],
                  on: Optional[date] = None) -> List[queries.ProvisionAnswer]:
    """The provisions a verdict rests on, as the knowledge base cites them (missing ids are skipped)."""
    out = []
    for provision_id in verdict.provisions:
        found = queries.provision(session, provision_id)
        if found is not None and (on is None or found.citation.effective <= on):
            out.append(found)
    return out
