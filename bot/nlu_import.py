"""Turn hand-reviewed real questions into Rasa training data (``data/nlu/real/``).

Input: JSON lines ``{"text", "intent", "origin", "source", "ref"}`` whose labels a
person has read and checked. Output: one Rasa NLU file per intent and
``docs/nlu-training-provenance.tsv`` (text → source and reference; outside ``data/``,
where Rasa's loaders would try to read it as training data), so every training sentence can be
traced and removed if its source asks.

Entities are annotated by the same rules the :class:`~bot.nlu.entity_resolver.EntityResolver`
applies at run time (places, money, durations, dates, worker groups, contract status):
an unannotated "深圳" in hundreds of real stories would otherwise teach DIET that place
names are not entities.

    python -m bot.nlu_import reviewed.jsonl
"""
from __future__ import annotations

import argparse
import csv
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

import yaml

from knowledge.places import find_places
from knowledge.settings import ROOT
from knowledge.text.normalise import normalise_text
from knowledge.text.quantities import find_dates, find_durations, find_money

OUT = ROOT / "data" / "nlu" / "real"
PROVENANCE = ROOT / "docs" / "nlu-training-provenance.tsv"
SYNONYMS = ROOT / "data" / "nlu" / "synonyms.yml"
Span = Tuple[int, int, str]


def _synonym_words() -> Dict[str, str]:
    """Words of the worker_group / contract_status synonyms → entity type."""
    data = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8"))
    contract = {"signed", "unsigned", "expired"}  # shared/taxonomy.md: contract_status labels
    words: Dict[str, str] = {}
    for item in data["nlu"]:
        kind = "contract_status" if item["synonym"] in contract else "worker_group"
        for line in str(item["examples"]).splitlines():
            word = line.strip().lstrip("- ").strip()
            # A bare 签了 / 到期 in a long story is rarely the contract's status; 没签合同 is.
            if len(word) >= 2 and (kind == "worker_group" or "合同" in word):
                words[word] = kind
    return words


def entity_spans(text: str, words: Dict[str, str]) -> List[Span]:
    """Non-overlapping entity spans found by rule, longest first."""
    found: List[Span] = []
    for m in find_places(text):
        found.append((m.start, m.end, m.entity))
    for q in find_money(text):
        found.append((q.start, q.end, "money"))
    for q in find_durations(text):
        if not re.match(r"(以|之)?[前后]", text[q.end:q.end + 2]):  # 三个月前 is a date, not a length
            found.append((q.start, q.end, "duration"))
    for d in find_dates(text):
        found.append((d.start, d.end, "date"))
    for word, kind in words.items():
        for hit in re.finditer(re.escape(word), text):
            found.append((hit.start(), hit.end(), kind))
    chosen: List[Span] = []
    for span in sorted(found, key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def annotate(text: str, spans: Sequence[Span]) -> str:
    """Rasa's inline form: ``在[深圳](city)干了[三年](duration)``."""
    out, at = [], 0
    for start, end, kind in spans:
        out.append(text[at:start])
        out.append(f"[{text[start:end]}]({kind})")
        at = end
    out.append(text[at:])
    return "".join(out)


def _clean(text: str) -> str:
    # Brackets and parentheses would be read as annotation syntax; a line break would end the example.
    text = re.sub(r"\s+", " ", text).strip()
    return text.replace("[", "【").replace("]", "】").replace("(", "（").replace(")", "）")


def write(items: Iterable[Dict[str, str]], out: Path = OUT, provenance: Path = PROVENANCE) -> Dict[str, int]:
    """Write one ``<intent>.yml`` per intent and the provenance table; returns counts per intent."""
    words = _synonym_words()
    by_intent: Dict[str, List[str]] = defaultdict(list)
    rows: List[Tuple[str, str, str, str, str]] = []
    for item in items:
        text = _clean(item["text"])
        # Annotate on the text the pipeline will see (Traditional → Simplified keeps offsets).
        spans = entity_spans(normalise_text(text), words) if len(normalise_text(text)) == len(text) else []
        by_intent[item["intent"]].append(annotate(text, spans))
        rows.append((item["intent"], item.get("origin", ""), item.get("source", ""), str(item.get("ref", "")), text))
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yml"):
        old.unlink()
    for intent, examples in sorted(by_intent.items()):
        body = "".join(f"    - {e}\n" for e in examples)
        (out / f"{intent}.yml").write_text(
            f'version: "3.1"\n# Real questions (and hand-written ones in their style), labels reviewed by hand.\n'
            f"# Where each line comes from: docs/nlu-training-provenance.tsv; how they were chosen: docs/nlu-data.md.\n"
            f"nlu:\n- intent: {intent}\n  examples: |\n{body}", encoding="utf-8")
    with provenance.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(("intent", "origin", "source", "ref", "text"))
        writer.writerows(rows)
    return {k: len(v) for k, v in sorted(by_intent.items())}


def main(argv: Sequence[str] | None = None) -> None:
    """Import a reviewed JSON-lines file into ``data/nlu/real/``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("reviewed", type=Path)
    args = parser.parse_args(argv)
    items = [json.loads(line) for line in args.reviewed.read_text(encoding="utf-8").splitlines() if line.strip()]
    for intent, n in write(items).items():
        print(f"{intent:28} {n}")


if __name__ == "__main__":
    main()
