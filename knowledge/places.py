"""Finding places in free text and resolving them to official divisions.

A blank spaCy ``zh`` pipeline segments with jieba (the same segmenter the Rasa
pipeline uses) and a PhraseMatcher built from every official name, short name
and alias in :mod:`knowledge.regions` finds the mentions; context then picks
the right division when a name is shared (朝阳, 鼓楼区, 南山).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from knowledge.regions import CITY, DISTRICT, PROVINCE, ZONE, Region, RegionIndex, region_index

# Words before or after a one-character provincial abbreviation (苏, 粤 …) that show it is a place.
_ABBREVIATION_CONTEXT_BEFORE = ("在", "来自", "去", "到", "回", "是")
_ABBREVIATION_CONTEXT_AFTER = ("省", "籍", "地区", "人")

ENTITY_FOR_LEVEL = {PROVINCE: "province", CITY: "city", DISTRICT: "district", ZONE: "district"}


@dataclass(frozen=True)
class PlaceMention:
    """A place named in text: where, as written, and what it resolves to (None if ambiguous)."""

    start: int
    end: int
    text: str
    region: Optional[Region]
    candidates: Tuple[Region, ...]

    @property
    def entity(self) -> str:
        """The taxonomy entity type (province / city / district) for this mention."""
        level = self.region.level if self.region else self.candidates[0].level
        return ENTITY_FOR_LEVEL[level]


def jieba_words(index: Optional[RegionIndex] = None) -> List[str]:
    """Every place name that jieba should keep as one word (names, short names, aliases)."""
    index = index or region_index()
    return sorted(n for n in index.names() if len(n) >= 2)


def jieba_compounds(index: Optional[RegionIndex] = None) -> List[str]:
    """Words in jieba's own dictionary made only of place names (上海浦东, 江苏南京).

    jieba prefers such compounds to their parts, which would hide both places
    from a word-level matcher, so they are removed from its dictionary.
    """
    import jieba
    import jieba.posseg

    index = index or region_index()
    names = set(jieba_words(index))
    jieba.dt.check_initialized()
    tags = jieba.posseg.dt.word_tag_tab

    def splits(word: str) -> bool:
        if word in names:
            return True
        return any(word[:i] in names and splits(word[i:]) for i in range(2, len(word) - 1))

    def place_in_place(word: str) -> bool:
        # "福建厦门": a place followed by a place inside it, whatever jieba tags the compound.
        for i in range(2, len(word) - 1):
            outer, inner = index.candidates(word[:i]), index.candidates(word[i:])
            if any(index.is_within(b.adcode, a.adcode) for a in outer for b in inner if a.adcode != b.adcode):
                return True
        return False

    return sorted(
        word for word, freq in jieba.dt.FREQ.items()
        # Compounds jieba tags as places, or a place inside its own province: idioms such as
        # 丹凤朝阳 stay whole.
        if freq and len(word) >= 4 and word not in names and splits(word)
        and (tags.get(word) == "ns" or place_in_place(word))
    )


_applied_to_jieba = False


def apply_to_jieba(index: Optional[RegionIndex] = None) -> None:
    """Teach the process-wide jieba every place name (once per process)."""
    global _applied_to_jieba
    if _applied_to_jieba:
        return
    import jieba

    for word in jieba_compounds(index):
        jieba.del_word(word)
    for word in jieba_words(index):
        # No frequency: jieba then suggests the lowest one that keeps the word whole.
        jieba.add_word(word, tag="ns")
    _applied_to_jieba = True


class PlaceFinder:
    """Finds and resolves place mentions; build once, use from many threads."""

    def __init__(self, index: Optional[RegionIndex] = None):
        import spacy
        from spacy.matcher import PhraseMatcher

        self.index = index or region_index()
        apply_to_jieba(self.index)
        self.nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        names = self.index.names()
        self.matcher.add("PLACE", [self.nlp.make_doc(name) for name in names])
        self._abbreviations = {a for abbrs in self.index.abbreviations.values() for a in abbrs}

    def find(self, text: str) -> List[PlaceMention]:
        """All place mentions in ``text``, longest first where they overlap, in text order."""
        from spacy.util import filter_spans

        if not text:
            return []
        doc = self.nlp.make_doc(text)
        spans = filter_spans([doc[start:end] for _, start, end in self.matcher(doc)])
        raw: List[Tuple[int, int, str, List[Region]]] = []
        for span in spans:
            surface = span.text
            if surface in self._abbreviations and not self._abbreviation_in_context(text, span.start_char, span.end_char):
                continue
            candidates = self.index.candidates(surface)
            if candidates:
                raw.append((span.start_char, span.end_char, surface, candidates))
        return self._resolve(raw)

    @staticmethod
    def _abbreviation_in_context(text: str, start: int, end: int) -> bool:
        if text.strip() == text[start:end]:
            return True
        before, after = text[:start], text[end:]
        return before.endswith(_ABBREVIATION_CONTEXT_BEFORE) or after.startswith(_ABBREVIATION_CONTEXT_AFTER)

    def _resolve(self, raw: Sequence[Tuple[int, int, str, List[Region]]]) -> List[PlaceMention]:
        # First pass: names with one meaning (or one most-senior meaning) give context.
        context: List[Region] = []
        for _, _, _, candidates in raw:
            if len(candidates) == 1:
                context.append(candidates[0])
        mentions: List[PlaceMention] = []
        for start, end, surface, candidates in raw:
            region = self._pick(candidates, context)
            mentions.append(PlaceMention(start, end, surface, region, tuple(candidates)))
            if region is not None and region not in context:
                context.append(region)
        return mentions

    def _pick(self, candidates: List[Region], context: List[Region]) -> Optional[Region]:
        if len(candidates) == 1:
            return candidates[0]
        related = [
            c for c in candidates
            if any(self.index.is_within(c.adcode, ctx.adcode) or self.index.is_within(ctx.adcode, c.adcode)
                   for ctx in context if ctx not in candidates)
        ]
        if len(related) >= 1:
            return related[0]
        # Without context, a name shared by levels means the most senior (淮安 → 淮安市).
        if candidates[0].level != candidates[1].level:
            return candidates[0]
        return None


@lru_cache(maxsize=1)
def place_finder() -> PlaceFinder:
    """The shared finder (spaCy and the matcher are built once per process)."""
    return PlaceFinder()


def find_places(text: str) -> List[PlaceMention]:
    """Place mentions in ``text`` (see :class:`PlaceFinder`)."""
    return place_finder().find(text)


def resolve_place(text: str) -> Optional[Region]:
    """A place written on its own ("淮安", "江苏淮安", "320800") as one region, or None."""
    text = text.strip()
    index = region_index()
    if re.fullmatch(r"\d{6}(\d{6})?", text):
        return index.get(text)
    regions = index.candidates(text)
    if len(regions) == 1 or (regions and regions[0].level != regions[1].level):
        return regions[0]
    found = [p for p in find_places(text) if p.region is not None]
    return found[-1].region if found else None


def most_specific(mentions: Sequence[PlaceMention]) -> Optional[Region]:
    """The one place the message is about: the deepest resolved mention, preferring
    the last one named when several unrelated places appear ("江苏人，在深圳打工")."""
    resolved = [m.region for m in mentions if m.region is not None]
    if not resolved:
        return None
    index = region_index()
    best = resolved[-1]
    for region in resolved:
        if index.is_within(region.adcode, best.adcode):
            best = region
    return best
