"""How well a classifier understands real questions (``tests/nlu/real_questions.yml``):
the figures ``make eval`` reports first and the NLU tests hold the model to.

- labour accuracy: a labour question gets its topic (or its fair second topic);
- out-of-scope rejection: a non-labour question is recognised as ``out_of_scope``;
- fallback rate: labour questions the model gives up on (``nlu_fallback``);
- per-intent precision and recall, and the biggest confusions.

A baseline that any model must beat: TF-IDF on character 1–3-grams with a linear SVM,
trained on the same ``data/nlu``.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from knowledge.settings import ROOT
from knowledge.taxonomy import TOPICS

REAL_QUESTIONS = ROOT / "tests" / "nlu" / "real_questions.yml"
TRAINING_DATA = ROOT / "data" / "nlu"


@dataclass(frozen=True)
class Question:
    text: str
    intent: str
    alt: Optional[str]

    @property
    def labour(self) -> bool:
        return self.intent in TOPICS


def load_questions(path: Path = REAL_QUESTIONS) -> List[Question]:
    """The real questions with their labels."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [Question(str(q["text"]), q["intent"], q.get("alt")) for q in raw]


@dataclass
class Scores:
    """The figures for one classifier on the real questions."""

    name: str
    labour_accuracy: float
    out_of_scope_rejection: float
    labour_fallback: float
    emergency_recall: float
    n_labour: int
    n_out_of_scope: int
    per_intent: Dict[str, Tuple[float, float, int]] = field(default_factory=dict)  # precision, recall, support
    confusions: List[Tuple[str, str, int]] = field(default_factory=list)
    train_seconds: Optional[float] = None
    parse_ms_p50: Optional[float] = None
    parse_ms_p95: Optional[float] = None
    misses: List[Dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def score(name: str, questions: Sequence[Question], predicted: Sequence[str]) -> Scores:
    """Score predictions (one intent per question, ``nlu_fallback`` allowed)."""
    labour = [(q, p) for q, p in zip(questions, predicted) if q.labour]
    oos = [(q, p) for q, p in zip(questions, predicted) if q.intent == "out_of_scope"]
    emergency = [(q, p) for q, p in zip(questions, predicted) if q.intent == "emergency"]

    def right(q: Question, p: str) -> bool:
        return p == q.intent or (q.alt is not None and p == q.alt)

    gold_counts: Counter = Counter()
    predicted_counts: Counter = Counter()
    hits: Counter = Counter()
    confusions: Counter = Counter()
    misses = []
    for q, p in zip(questions, predicted):
        gold = q.alt if (q.alt and p == q.alt) else q.intent
        gold_counts[gold] += 1
        predicted_counts[p] += 1
        if p == gold:
            hits[gold] += 1
        else:
            confusions[(q.intent, p)] += 1
            misses.append({"text": q.text, "intent": q.intent, "alt": q.alt or "", "predicted": p})
    per_intent = {}
    for intent in sorted(set(gold_counts) | set(predicted_counts)):
        precision = hits[intent] / predicted_counts[intent] if predicted_counts[intent] else 0.0
        recall = hits[intent] / gold_counts[intent] if gold_counts[intent] else 0.0
        per_intent[intent] = (round(precision, 3), round(recall, 3), gold_counts[intent])
    return Scores(
        name=name,
        labour_accuracy=round(sum(right(q, p) for q, p in labour) / max(1, len(labour)), 4),
        out_of_scope_rejection=round(sum(p == "out_of_scope" for _, p in oos) / max(1, len(oos)), 4),
        labour_fallback=round(sum(p == "nlu_fallback" for _, p in labour) / max(1, len(labour)), 4),
        emergency_recall=round(sum(p == "emergency" for _, p in emergency) / max(1, len(emergency)), 4),
        n_labour=len(labour), n_out_of_scope=len(oos), per_intent=per_intent,
        confusions=[(a, b, n) for (a, b), n in confusions.most_common(10)], misses=misses,
    )


def training_examples(path: Path = TRAINING_DATA) -> Tuple[List[str], List[str]]:
    """(texts, intents) of the Rasa training data (the entity markup removed)."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [e.get("text") for e in data.intent_examples], [e.get("intent") for e in data.intent_examples]


def tfidf_svm_baseline(questions: Sequence[Question], path: Path = TRAINING_DATA) -> Scores:
    """TF-IDF on character 1–3-grams + a linear SVM, trained on ``path``, scored on ``questions``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from knowledge.text.normalise import normalise_text

    texts, intents = training_examples(path)
    started = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                          LinearSVC(C=1.0))
    model.fit([normalise_text(t) for t in texts], intents)
    seconds = time.perf_counter() - started
    predicted = list(model.predict([normalise_text(q.text, 1000) for q in questions]))
    result = score("TF-IDF (char 1-3) + linear SVM", questions, predicted)
    result.train_seconds = round(seconds, 1)
    return result


def rasa_model_scores(name: str, model_path: Path, questions: Sequence[Question],
                      train_seconds: Optional[float] = None) -> Scores:
    """Load a trained Rasa model in this process and score what its whole NLU pipeline says."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    parse: Callable[[str], Any] = agent.parse_message
    times: List[float] = []

    async def run() -> List[str]:
        out = []
        for q in questions:
            started = time.perf_counter()
            result = await parse(q.text)
            times.append(time.perf_counter() - started)
            out.append((result.get("intent") or {}).get("name") or "nlu_fallback")
        return out

    predicted = asyncio.run(run())
    result = score(name, questions, predicted)
    ordered = sorted(times)
    result.parse_ms_p50 = round(1000 * ordered[len(ordered) // 2], 1)
    result.parse_ms_p95 = round(1000 * ordered[int(len(ordered) * 0.95)], 1)
    result.train_seconds = train_seconds
    return result
