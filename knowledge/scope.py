"""What kind of legal matter an out-of-scope question is about (``data/out_of_scope_areas.yml``).

The bot only answers questions about work; naming the area it recognised ("婚姻家庭")
tells the worker they were understood before pointing them elsewhere.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

import yaml

AREAS_FILE = Path(__file__).resolve().parent / "data" / "out_of_scope_areas.yml"


@lru_cache(maxsize=1)
def _areas() -> List[Tuple[str, Tuple[str, ...]]]:
    data = yaml.safe_load(AREAS_FILE.read_text(encoding="utf-8")) or {}
    return [(str(a["name"]), tuple(str(w) for w in a["words"])) for a in data.get("areas") or []]


def legal_area(text: Optional[str]) -> Optional[str]:
    """The non-labour legal area ``text`` is about ("离婚后孩子归谁" → "婚姻家庭"), or None."""
    if not text:
        return None
    for name, words in _areas():
        if any(w in text for w in words):
            return name
    return None
