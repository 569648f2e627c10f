"""A character n-gram intent classifier that decides together with DIET.

Real questions are long stories with typos and colloquial words. Measured on
``tests/nlu/real_questions.yml`` (``reports/nlu.md``), a linear SVM over TF-IDF character
1–3-grams reads them better than DIET trained on the same data, and the two err on
different questions. This component trains such a model and, after DIET, mixes the two
rankings: ``p = weight × p_ngram + (1 − weight) × p_DIET``, where ``p_ngram`` is a softmax
over the SVM's decision values (``scale`` sharpens it). The FallbackClassifier then sees
the mixed confidence.

The model is stored as plain arrays (JSON and ``.npz`` without pickle): loading a model
never runs code from it.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
INTENT_RANKING = "intent_ranking"
VOCABULARY_FILE = "vocabulary.json"
ARRAYS_FILE = "arrays.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NgramIntentVote(GraphComponent):
    """TF-IDF character n-grams + a linear SVM, mixed into DIET's intent ranking."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"weight": 0.7, "min_ngram": 1, "max_ngram": 3, "C": 1.0, "scale": 4.0, "ranking_length": 10}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Dict[str, int]] = None, arrays: Optional[Dict[str, np.ndarray]] = None,
                 intents: Optional[List[str]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self.vocabulary = vocabulary or {}
        self.arrays = arrays or {}
        self.intents = intents or []
        self._vectorizer: Any = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "NgramIntentVote":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "NgramIntentVote":
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
                with np.load(directory / ARRAYS_FILE, allow_pickle=False) as stored:
                    arrays = {k: stored[k] for k in stored.files}
        except (ValueError, FileNotFoundError):
            logger.warning("No n-gram model stored for %s: it will not vote.", cls.__name__)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, meta["vocabulary"], arrays, meta["intents"])

    # -- features -------------------------------------------------------------------------
    def _new_vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(analyzer="char", ngram_range=(int(self.config["min_ngram"]), int(self.config["max_ngram"])),
                               sublinear_tf=True, dtype=np.float32)

    def _vectorize(self) -> Any:
        if self._vectorizer is None:
            vectorizer = self._new_vectorizer()
            vectorizer.vocabulary_ = self.vocabulary
            vectorizer.idf_ = self.arrays["idf"]
            self._vectorizer = vectorizer
        return self._vectorizer

    # -- training ---------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        """Fit the vectoriser and the SVM on the (normalised) intent examples."""
        from sklearn.svm import LinearSVC

        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        texts, labels = [e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples]
        vectorizer = self._new_vectorizer()
        features = vectorizer.fit_transform(texts)
        classifier = LinearSVC(C=float(self.config["C"]))
        classifier.fit(features, labels)
        self.vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
        self.intents = [str(c) for c in classifier.classes_]
        coef = np.asarray(classifier.coef_, dtype=np.float32)
        if len(self.intents) == 2:  # a binary SVM has one row; the scores are ±
            coef = np.vstack([-coef[0], coef[0]])
        intercept = np.asarray(classifier.intercept_, dtype=np.float32)
        if len(self.intents) == 2:
            intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
        self.arrays = {"idf": vectorizer.idf_.astype(np.float32), "coef": coef, "intercept": intercept}
        self._vectorizer = None
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps({"vocabulary": self.vocabulary, "intents": self.intents}, ensure_ascii=False),
                encoding="utf-8")
            np.savez(directory / ARRAYS_FILE, **self.arrays)
        return self._resource

    def probabilities(self, text: str) -> Dict[str, float]:
        """Softmax over the SVM's decision values for ``text`` (``scale`` sharpens it)."""
        if not self.intents:
            return {}
        features = self._vectorize().transform([text]).tocsr()
        # Only the columns of the n-grams present: a full sparse × dense product scans all ~200k.
        scores = self.arrays["coef"][:, features.indices] @ features.data + self.arrays["intercept"]
        scores = scores * float(self.config["scale"])
        exp = np.exp(scores - scores.max())
        return dict(zip(self.intents, (exp / exp.sum()).tolist()))

    # -- inference -------------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        """Mix this classifier's probabilities into each message's intent ranking."""
        weight = float(self.config["weight"])
        for message in messages:
            text = message.get(TEXT)
            votes = self.probabilities(text) if isinstance(text, str) and text else {}
            if not votes:
                continue
            ranking = message.get(INTENT_RANKING) or []
            diet = {r[INTENT_NAME_KEY]: float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in ranking}
            # Without DIET's ranking (no features), the n-gram model alone decides.
            share = weight if diet else 1.0
            names = set(votes) | set(diet)
            mixed = {n: share * votes.get(n, 0.0) + (1 - share) * diet.get(n, 0.0) for n in names}
            ordered = sorted(mixed.items(), key=lambda kv: -kv[1])[: int(self.config["ranking_length"])]
            best, confidence = ordered[0]
            message.set(INTENT, {INTENT_NAME_KEY: best, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
            message.set(INTENT_RANKING, [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in ordered],
                        add_to_output=True)
        return messages
