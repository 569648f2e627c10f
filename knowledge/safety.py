"""Emergency safety net: keyword patterns that do not depend on the model.

The patterns live in ``knowledge/data/emergency_patterns.yml`` so that a union can
review and extend them without touching code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

PATTERNS_FILE = Path(__file__).resolve().parent / "data" / "emergency_patterns.yml"


@dataclass(frozen=True)
class EmergencySignal:
    """Why a message was taken for an emergency."""

    category: str
    label: str
    matched: str


@lru_cache(maxsize=1)
def _categories() -> Dict[str, Dict[str, Any]]:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8")) or {}
    return data.get("categories") or {}


@lru_cache(maxsize=1)
def _compiled() -> Tuple[Tuple[str, str, "re.Pattern[str]"], ...]:
    compiled = []
    for category, spec in _categories().items():
        joined = "|".join(f"(?:{p})" for p in spec.get("patterns") or [])
        if joined:
            compiled.append((category, spec.get("label") or category, re.compile(joined)))
    return tuple(compiled)


def detect_emergency(text: Optional[str]) -> Optional[EmergencySignal]:
    """Return the first emergency signal in ``text`` (Simplified Chinese), or None."""
    if not text:
        return None
    for category, label, pattern in _compiled():
        match = pattern.search(text)
        if match:
            return EmergencySignal(category, label, match.group(0))
    return None


def first_contact(category: Optional[str]) -> Optional[str]:
    """Part of the name of the emergency service point to name first for ``category``."""
    return (_categories().get(category or "") or {}).get("first_contact")


def categories() -> List[str]:
    """The emergency categories the safety net knows."""
    return [category for category, _, _ in _compiled()]
