"""Last NLU step: an emergency safety net that does not depend on the model.

If a message matches one of the reviewed emergency patterns
(``knowledge/data/emergency_patterns.yml``), its intent becomes ``emergency``
with full confidence, whatever DIET or the FallbackClassifier said. The model's
own guess stays in the intent ranking, and ``safety_net`` records why.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.safety import detect_emergency

EMERGENCY_INTENT = "emergency"
INTENT_RANKING = "intent_ranking"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencySafetyNet(GraphComponent):
    """Overrides the intent with ``emergency`` when a safety pattern matches."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencySafetyNet":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Check every message; training data is never changed."""
        for message in messages:
            signal = detect_emergency(message.get(TEXT))
            if signal is None:
                continue
            current = message.get(INTENT) or {}
            if current.get(INTENT_NAME_KEY) != EMERGENCY_INTENT:
                ranking = [r for r in message.get(INTENT_RANKING) or [] if r.get(INTENT_NAME_KEY) != EMERGENCY_INTENT]
                message.set(INTENT, {INTENT_NAME_KEY: EMERGENCY_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
                message.set(
                    INTENT_RANKING,
                    [{INTENT_NAME_KEY: EMERGENCY_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}, *ranking],
                    add_to_output=True,
                )
            message.set(
                "safety_net",
                {"category": signal.category, "label": signal.label, "matched": signal.matched},
                add_to_output=True,
            )
        return messages
