"""``make eval``: how well the assistant understands workers and answers them.

1. **Real questions first** (``tests/nlu/real_questions.yml``, never trained on): labour
   topic accuracy, out-of-scope rejection, labour questions sent to fallback, per-intent
   precision/recall and the biggest confusions — next to a TF-IDF + linear SVM baseline
   trained on the same ``data/nlu``, and, when ``--candidates`` was run, every pipeline
   candidate measured (``tests/nlu/candidates/measured.json``);
2. the **first-reply answer rate** through the real servers (``tests/dialogue/first_replies.yml``);
3. ``rasa test nlu`` on ``tests/nlu/test_nlu.yml`` (written in the training data's style);
4. with ``--cv``, 3-fold cross-validation on the training data;
5. entity F1 of the whole pipeline's final output (what the dialogue sees).

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
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from knowledge.settings import MODEL_NAME, MODEL_PATH, MODELS_DIR, ROOT

TEST_SET = ROOT / "tests" / "nlu" / "test_nlu.yml"
REPORTS = ROOT / "reports"
RESULTS = ROOT / "results"
PLACE_TYPES = ("province", "city", "district")
TRAIN_RECORD = MODELS_DIR / f"{MODEL_NAME}.train.json"


def _rasa(*args: str) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    log = RESULTS / "eval.log"
    with open(log, "a", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, "-m", "rasa", *args], cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"rasa {' '.join(args)} failed; see {log}")


CANDIDATES_DIR = ROOT / "tests" / "nlu" / "candidates"
CANDIDATES_FILE = CANDIDATES_DIR / "measured.json"


def measure_candidates(names: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    """Train every candidate pipeline in ``tests/nlu/candidates/*.yml`` on ``data/nlu`` (timed, one at a
    time so the times compare) and score it on the real questions → ``tests/nlu/candidates/measured.json``
    (committed: measuring all candidates takes about half an hour).

    The first comment line of each file names the candidate in the report.
    """
    import tempfile

    from bot.real_questions import load_questions, rasa_model_scores

    questions = load_questions()
    out_file = CANDIDATES_FILE
    results: List[Dict[str, Any]] = json.loads(out_file.read_text()) if out_file.exists() else []
    for config in sorted(CANDIDATES_DIR.glob("*.yml")):
        if names and config.stem not in names:
            continue
        title = config.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip() or config.stem
        with tempfile.TemporaryDirectory() as out:
            started = time.monotonic()
            _rasa("train", "nlu", "--config", str(config), "--nlu", "data", "--out", out, "--fixed-model-name", "c")
            seconds = round(time.monotonic() - started)
            scores = rasa_model_scores(title, Path(out) / "c.tar.gz", questions, seconds)
        row = {"file": config.name, **scores.as_dict()}
        results = [r for r in results if r.get("file") != config.name] + [row]
        out_file.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{title}: labour {scores.labour_accuracy:.3f}, out of scope {scores.out_of_scope_rejection:.3f}, "
              f"fallback {scores.labour_fallback:.3f}, {seconds} s", flush=True)
    return results


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


def _real_rows(scores: List[Any]) -> List[str]:
    rows = ["| classifier | labour accuracy | out-of-scope rejected | labour to fallback | emergency recall | "
            "training (s) | parse p50 / p95 (ms) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for s in scores:
        latency = f"{s.parse_ms_p50} / {s.parse_ms_p95}" if s.parse_ms_p50 is not None else "–"
        rows.append(f"| {s.name} | {s.labour_accuracy:.3f} | {s.out_of_scope_rejection:.3f} | "
                    f"{s.labour_fallback:.3f} | {s.emergency_recall:.3f} | {s.train_seconds or '–'} | {latency} |")
    return rows


def _per_intent_rows(scores: Any) -> List[str]:
    rows = ["| intent | precision | recall | support |", "|---|---:|---:|---:|"]
    for name, (precision, recall, support) in sorted(scores.per_intent.items()):
        rows.append(f"| {name} | {precision:.3f} | {recall:.3f} | {support} |")
    return rows


def first_reply_rate() -> Dict[str, Any]:
    """The first-reply answer rate through freshly started servers (their own ports and database)."""
    import tempfile
    import urllib.request
    import uuid

    from bot import serve
    from knowledge.db import session_scope, upgrade
    from knowledge.loader import load, read_data
    from knowledge.settings import settings
    from tests.dialogue.first_replies import first_reply_rate as rate

    var = Path(tempfile.mkdtemp(prefix="gongyou-eval-"))
    cfg = settings().with_values(
        var_dir=var, database_url=f"sqlite:///{var / 'gongyou.db'}", tracker_database_url=f"sqlite:///{var / 't.db'}",
        rasa_port=35205, actions_port=35255, web_port=35280, rasa_url="http://127.0.0.1:35205",
        action_server_url="http://127.0.0.1:35255/webhook", rasa_auth_token_env="eval", action_secret_env="eval",
        host="127.0.0.1", redis_host="")
    upgrade(cfg.database_url)
    with session_scope(cfg.database_url) as session:
        load(session, read_data())
    items = serve.services(cfg, with_web=False)
    for service in items:
        serve.start(service, cfg, log_dir=str(RESULTS / "eval-servers"))

    def say(sender: str, message: str) -> str:
        request = urllib.request.Request(f"{cfg.rasa_url}/webhooks/rest/webhook",
                                         data=json.dumps({"sender": sender, "message": message}).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.0.1"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return "\n".join(m.get("text", "") for m in json.loads(response.read()))

    try:
        serve.wait_ready(items, timeout=300)
        value, misses = rate(say)
    finally:
        serve.stop(items)
    return {"rate": round(value, 4), "misses": misses}


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    from bot.real_questions import load_questions, rasa_model_scores, tfidf_svm_baseline

    parser = argparse.ArgumentParser(description="NLU and first-reply evaluation → reports/nlu.md")
    parser.add_argument("--cv", action="store_true", help="also 3-fold cross-validation on the training data (slow)")
    parser.add_argument("--no-servers", action="store_true", help="skip the first-reply rate (needs the servers)")
    parser.add_argument("--candidates", nargs="*", metavar="NAME",
                        help="first train and score the pipelines in tests/nlu/candidates/ (all, or those named)")
    args = parser.parse_args(argv)
    REPORTS.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "eval.log").write_text("", encoding="utf-8")
    if args.candidates is not None:
        measure_candidates(args.candidates or None)
    started = time.monotonic()
    questions = load_questions()
    record = json.loads(TRAIN_RECORD.read_text()) if TRAIN_RECORD.exists() else {}
    ours = rasa_model_scores("工友 (config.yml)", MODEL_PATH, questions, record.get("seconds"))
    baseline = tfidf_svm_baseline(questions)
    candidates = json.loads(CANDIDATES_FILE.read_text()) if CANDIDATES_FILE.exists() else []
    print(f"Real questions ({ours.n_labour} labour, {ours.n_out_of_scope} out of scope, never trained on):")
    print(f"  labour topic accuracy   {ours.labour_accuracy:.3f}   (TF-IDF + SVM baseline {baseline.labour_accuracy:.3f})")
    print(f"  out-of-scope rejected   {ours.out_of_scope_rejection:.3f}   (baseline {baseline.out_of_scope_rejection:.3f})")
    print(f"  labour to fallback      {ours.labour_fallback:.3f}")
    print(f"  /model/parse in process p50 {ours.parse_ms_p50} ms, p95 {ours.parse_ms_p95} ms", flush=True)
    replies = None if args.no_servers else first_reply_rate()
    if replies:
        print(f"First replies that answer the question: {replies['rate']:.3f} "
              f"({len(replies['misses'])} misses of the set)", flush=True)

    _rasa("test", "nlu", "--model", str(MODEL_PATH), "--nlu", str(TEST_SET), "--out", str(RESULTS / "test"))
    test_intents = json.loads((RESULTS / "test" / "intent_report.json").read_text(encoding="utf-8"))
    diet_entities_path = RESULTS / "test" / "DIETClassifier_report.json"
    diet_entities = json.loads(diet_entities_path.read_text(encoding="utf-8")) if diet_entities_path.exists() else {}
    cv_intents: Dict[str, Any] = {}
    if args.cv:
        _rasa("test", "nlu", "--nlu", "data/nlu", "--config", "config.yml", "--cross-validation", "--folds", "3",
              "--out", str(RESULTS / "cv"))
        cv_intents = json.loads((RESULTS / "cv" / "intent_report.json").read_text(encoding="utf-8"))
    final = asyncio.run(_final_entities())

    lines = [
        "# NLU evaluation",
        "",
        f"Generated by `make eval` in {time.monotonic() - started:.0f} s. Model `{MODEL_PATH.relative_to(ROOT)}` "
        f"({MODEL_PATH.stat().st_size / 1e6:.1f} MB).",
        "",
        "## Real questions (tests/nlu/real_questions.yml, never trained on)",
        "",
        f"{ours.n_labour} labour questions and {ours.n_out_of_scope} others, as people posted them on public legal "
        "Q&A sites (tests/nlu/REAL_QUESTIONS.md). A labour question counts as right when it gets its topic or its "
        "fair second topic.",
        "",
        *_real_rows([ours, baseline]),
        "",
        "Emergency recall counts only 8 questions, and the safety-net patterns were revised on 2026-12-06 after "
        "reading this set's missed emergencies: it is not an independent figure. "
        "`tests/unit/test_safety.py` holds the patterns to cases written apart from this set.",
        "",
    ]
    if candidates:
        lines += ["### Pipeline candidates (each trained on data/nlu, measured on the same questions)", "",
                  "| candidate | labour accuracy | out-of-scope rejected | labour to fallback | training (s) | "
                  "parse p50 / p95 (ms) |", "|---|---:|---:|---:|---:|---:|",
                  f"| TF-IDF (char 1-3) + linear SVM baseline | {baseline.labour_accuracy:.3f} | "
                  f"{baseline.out_of_scope_rejection:.3f} | 0.000 | {baseline.train_seconds} | |"]
        lines += [f"| {c['name']} | {c['labour_accuracy']:.3f} | {c['out_of_scope_rejection']:.3f} | "
                  f"{c['labour_fallback']:.3f} | {c['train_seconds']}{' *' if c.get('note') else ''} | "
                  f"{c['parse_ms_p50']} / {c['parse_ms_p95']} |" for c in candidates]
        if any(c.get("note") for c in candidates):
            lines.append("\n\\* " + next(c["note"] for c in candidates if c.get("note")))
        lines.append("")
    lines += ["### Per intent (this model)", "", *_per_intent_rows(ours), "",
              "### The ten biggest confusions (this model)", "", "| topic | taken for | questions |", "|---|---|---:|",
              *[f"| {a} | {b} | {n} |" for a, b, n in ours.confusions], ""]
    if replies:
        lines += ["## First replies", "",
                  f"{replies['rate']:.3f} of the {len(load_first_questions())} single questions of "
                  "`tests/dialogue/first_replies.yml` are answered in the first reply (the figure, the rule with its "
                  "article, the verdict or the sum the question asks for).", ""]
        lines += [f"- missed: {m['q']} (expected {', '.join(m['missing'])})" for m in replies["misses"]]
        lines.append("")
    lines += [
        "## Held-out set in the training data's style (tests/nlu/test_nlu.yml)",
        "",
        f"intent accuracy {test_intents.get('accuracy', 0.0):.3f}, macro F1 "
        f"{test_intents.get('macro avg', {}).get('f1-score', 0):.3f}; this set is written like the training data and "
        "overstates what real questions get (compare with the figures above).",
        "",
        *_intent_table(test_intents),
        "",
    ]
    if cv_intents:
        lines += ["## Intents in 3-fold cross-validation on the training data", "", *_intent_table(cv_intents), ""]
    lines += [
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
        "real_questions": ours.as_dict(), "baseline": baseline.as_dict(), "first_replies": replies,
        "test_intents": test_intents, "cv_intents": cv_intents, "final_entities": final,
        "diet_entities": diet_entities}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nFull report: {REPORTS / 'nlu.md'}")
    return 0


def load_first_questions() -> List[Dict[str, Any]]:
    from tests.dialogue.first_replies import questions

    return questions()


if __name__ == "__main__":
    sys.exit(main())
