"""``make eval``: how well the NLU understands workers, as Rasa's demo assistants report it.

1. ``rasa test nlu`` on the held-out set ``tests/nlu/test_nlu.yml`` (per-intent
   precision / recall / F1, DIET's entity report);
2. 3-fold cross-validation on the training data;
3. entity F1 of the whole pipeline's final output (DIET + normalisation and the
   gazetteer), since that is what the dialogue sees; places counted together.

Writes ``reports/nlu.md`` and ``reports/nlu.json``.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any, Dict, List, Tuple

from knowledge.settings import MODEL_PATH, ROOT

TEST_SET = ROOT / "tests" / "nlu" / "test_nlu.yml"
REPORTS = ROOT / "reports"
RESULTS = ROOT / "results"
PLACE_TYPES = ("province", "city", "district")


def _rasa(*args: str) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    log = RESULTS / "eval.log"
    with open(log, "a", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, "-m", "rasa", *args], cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"rasa {' '.join(args)} failed; see {log}")


def _intent_table(report: Dict[str, Any]) -> List[str]:
    rows = ["| intent | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name, r in sorted(report.items()):
        if not isinstance(r, dict) or "precision" not in r or name in ("macro avg", "weighted avg", "micro avg"):
            continue
        rows.append(f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1-score']:.3f} | {r['support']} |")
    for name in ("macro avg", "weighted avg"):
        if name in report:
            r = report[name]
            rows.append(f"| **{name}** | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1-score']:.3f} | {r['support']} |")
    return rows


def _entity_rows(report: Dict[str, Any]) -> List[str]:
    rows = []
    for name, r in sorted(report.items()):
        if isinstance(r, dict) and "f1-score" in r and name not in ("macro avg", "weighted avg", "micro avg"):
            rows.append(f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1-score']:.3f} | {r['support']} |")
    return rows


def _prf(tp: int, fp: int, fn: int) -> Tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


async def _final_entities() -> Dict[str, Any]:
    """Exact-span entity scores of the final pipeline output on the test set."""
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    from knowledge.text.normalise import normalise

    agent = Agent.load(str(MODEL_PATH))
    data = load_data(str(TEST_SET))
    counts: Dict[str, Counter] = {}
    errors: List[Dict[str, Any]] = []
    for example in data.intent_examples:
        raw = example.get("text")
        norm = normalise(raw)
        gold = set()
        for e in example.get("entities") or []:
            start, end = norm.map_span(e["start"], e["end"])
            gold.add((start, end, e["entity"]))
        parsed = await agent.parse_message(raw)
        predicted = {(e["start"], e["end"], e["entity"]) for e in parsed.get("entities", [])
                     if e["entity"] in {g[2] for g in gold} | set(PLACE_TYPES) | {
                         "money", "duration", "date", "worker_group", "contract_status"}}
        for kind in {k for *_, k in gold | predicted}:
            c = counts.setdefault(kind, Counter())
            g = {x for x in gold if x[2] == kind}
            p = {x for x in predicted if x[2] == kind}
            c["tp"] += len(g & p)
            c["fp"] += len(p - g)
            c["fn"] += len(g - p)
        if gold != predicted:
            errors.append({"text": raw, "gold": sorted(gold), "predicted": sorted(predicted)})
    table = {}
    for kind, c in sorted(counts.items()):
        prec, rec, f1 = _prf(c["tp"], c["fp"], c["fn"])
        table[kind] = {"precision": prec, "recall": rec, "f1-score": f1, "support": c["tp"] + c["fn"]}
    place: Counter = Counter()
    for kind in PLACE_TYPES:
        place.update(counts.get(kind, Counter()))
    prec, rec, f1 = _prf(place["tp"], place["fp"], place["fn"])
    table["places (province+city+district)"] = {"precision": prec, "recall": rec, "f1-score": f1,
                                                "support": place["tp"] + place["fn"]}
    (RESULTS / "final_entity_errors.json").write_text(json.dumps(errors, ensure_ascii=False, indent=1), encoding="utf-8")
    return table


def main() -> int:
    REPORTS.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "eval.log").write_text("", encoding="utf-8")
    started = time.monotonic()
    _rasa("test", "nlu", "--model", str(MODEL_PATH), "--nlu", str(TEST_SET), "--out", str(RESULTS / "test"))
    test_intents = json.loads((RESULTS / "test" / "intent_report.json").read_text(encoding="utf-8"))
    diet_entities_path = RESULTS / "test" / "DIETClassifier_report.json"
    diet_entities = json.loads(diet_entities_path.read_text(encoding="utf-8")) if diet_entities_path.exists() else {}
    cv_started = time.monotonic()
    _rasa("test", "nlu", "--nlu", "data/nlu", "--config", "config.yml", "--cross-validation", "--folds", "3",
          "--out", str(RESULTS / "cv"))
    cv_seconds = time.monotonic() - cv_started
    cv_intents = json.loads((RESULTS / "cv" / "intent_report.json").read_text(encoding="utf-8"))
    final = asyncio.run(_final_entities())

    accuracy = test_intents.get("accuracy", 0.0)
    lines = [
        "# NLU evaluation",
        "",
        f"Model: `{MODEL_PATH.relative_to(ROOT)}` ({MODEL_PATH.stat().st_size / 1e6:.1f} MB). "
        f"Held-out set: `{TEST_SET.relative_to(ROOT)}`. Generated by `make eval` in {time.monotonic() - started:.0f} s "
        f"(cross-validation {cv_seconds:.0f} s).",
        "",
        "## Summary",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| intent accuracy (held-out) | {accuracy:.3f} |",
        f"| intent macro F1 (held-out) | {test_intents.get('macro avg', {}).get('f1-score', 0):.3f} |",
        f"| intent accuracy (3-fold CV) | {cv_intents.get('accuracy', 0):.3f} |",
        f"| intent macro F1 (3-fold CV) | {cv_intents.get('macro avg', {}).get('f1-score', 0):.3f} |",
        f"| place entity F1 (final pipeline, held-out) | {final['places (province+city+district)']['f1-score']:.3f} |",
        "",
        "## Intents on the held-out set",
        "",
        *_intent_table(test_intents),
        "",
        "## Intents in 3-fold cross-validation",
        "",
        *_intent_table(cv_intents),
        "",
        "## Entities of the final pipeline (exact span and type, held-out set)",
        "",
        "| entity | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
        *[f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1-score']:.3f} | {v['support']} |"
          for k, v in final.items()],
        "",
        "## Entities as DIET alone extracts them (Rasa's token-level report, held-out set)",
        "",
        "| entity | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
        *_entity_rows(diet_entities),
        "",
    ]
    (REPORTS / "nlu.md").write_text("\n".join(lines), encoding="utf-8")
    (REPORTS / "nlu.json").write_text(json.dumps({
        "test_intents": test_intents, "cv_intents": cv_intents, "final_entities": final,
        "diet_entities": diet_entities}, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n".join(lines[:16]))
    print(f"\nFull report: {REPORTS / 'nlu.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
