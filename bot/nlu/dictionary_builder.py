"""Build the jieba user dictionary of place names from the official division list.

The file is committed (bot/nlu/dictionary/places.txt) so the model ships what
it was trained with; a test fails when it no longer matches the package data.
"""
from __future__ import annotations

from pathlib import Path

from knowledge.places import jieba_compounds, jieba_words

DICTIONARY_FILE = Path(__file__).parent / "dictionary" / "places.txt"


def build_place_dictionary() -> str:
    """Dictionary text: compounds of place names removed (frequency 0), then every place name."""
    lines = [f"{word} 0" for word in jieba_compounds()]
    # No frequency: jieba picks the lowest one that keeps the name in one piece.
    lines += [f"{word} ns" for word in jieba_words()]
    return "\n".join(lines) + "\n"
