"""A second opinion on long messages the model took for a bare fact.

DIET learns that messages full of places, years and amounts are usually
``inform`` answers. A worker's first message often is exactly that kind of story
("我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少"). When the model says
``inform`` or ``nlu_fallback`` for a message long enough to be a story and it
contains words specific to a topic (``knowledge/data/topic_keywords.yml``), the
topic wins. Short answers inside a form ("还在干", "三年") are never touched.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.taxonomy import TOPICS

KEYWORDS_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "topic_keywords.yml"
BACKED_UP_INTENTS = ("inform", "nlu_fallback")
INTENT_RANKING = "intent_ranking"


@lru_cache(maxsize=2)
def _keywords(path: str = str(KEYWORDS_FILE)) -> Dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def _hits(text: Optional[str]) -> Dict[str, int]:
    data = _keywords()
    if not text or len(text) < int(data.get("min_chars", 10)):
        return {}
    return {topic: sum(1 for w in words if str(w) in text) for topic, words in (data.get("topics") or {}).items()}


def keyword_topic(text: Optional[str], ranking: List[Dict[str, Any]]) -> Optional[str]:
    """The topic whose specific words occur most in ``text``; ties go to the model's ranking."""
    hits = _hits(text)
    best = max(hits.values(), default=0)
    if best == 0:
        return None
    tied = [topic for topic, n in hits.items() if n == best]
    order = {r.get(INTENT_NAME_KEY): i for i, r in enumerate(ranking)}
    return min(tied, key=lambda t: order.get(t, len(order)))


def second_topic(text: Optional[str], topic: Optional[str], ranking: List[Dict[str, Any]],
                 min_confidence: float = 0.05) -> Optional[str]:
    """Another topic the message also raises ("被辞退了，还欠两个月工资" → wage_arrears).

    It must be both named by its specific words and among the model's next guesses, so a
    passing word ("工资" in a dismissal story) does not count on its own.
    """
    hits = _hits(text)
    confident = {r.get(INTENT_NAME_KEY): float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in ranking}
    candidates = [t for t, n in hits.items() if n and t != topic and confident.get(t, 0.0) >= min_confidence]
    return max(candidates, key=lambda t: (hits[t], confident[t]), default=None)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TopicKeywordBackstop(GraphComponent):
    """Turns ``inform``/``nlu_fallback`` on a long message with topic words into that topic."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"confidence": 0.7}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.confidence = float(config.get("confidence", 0.7))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TopicKeywordBackstop":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Re-label qualifying messages; the model's own ranking is kept after the new top.

        Every message about a topic also gets ``second_topic`` when it raises another one.
        """
        for message in messages:
            self._relabel(message)
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if intent in TOPICS:
                also = second_topic(message.get(TEXT), intent, message.get(INTENT_RANKING) or [])
                if also:
                    message.set("second_topic", {"name": also}, add_to_output=True)
        return messages

    def _relabel(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) in BACKED_UP_INTENTS:
            ranking = message.get(INTENT_RANKING) or []
            topic = keyword_topic(message.get(TEXT), ranking)
            if topic is None:
                return
            message.set(INTENT, {INTENT_NAME_KEY: topic, PREDICTED_CONFIDENCE_KEY: self.confidence}, add_to_output=True)
            rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != topic]
            message.set(INTENT_RANKING, [{INTENT_NAME_KEY: topic, PREDICTED_CONFIDENCE_KEY: self.confidence}, *rest],
                        add_to_output=True)
            message.set("topic_backstop", {"from": intent.get(INTENT_NAME_KEY)}, add_to_output=True)
