"""First step of the NLU pipeline: make the message text uniform.

Traditional → Simplified, full-width → half-width, emoji, control and invisible
formatting characters dropped, whitespace tidied, and very long messages cut to
their start and end. Entity annotations in training data are moved with the text.

Personal numbers (phones, bank cards, ID cards) are then masked in the text the
model reads (``*******5678``), so a phone number is never taken for a wage or a
date; :mod:`bot.nlu.entity_resolver` drops any entity found on a mask. The
user event keeps the worker's own words for the running turn (a consented
callback number is read from there), and the conversation store masks them too.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.privacy import mask_pii
from knowledge.text.normalise import normalise


# Registered as a tokenizer-type step so Rasa runs it, in config order, before the real tokenizer.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class TextNormaliser(GraphComponent):
    """Normalises the ``text`` of every message before tokenisation."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Longer messages keep their first and last halves: a story's question is usually at its end.
        return {"max_chars": 1000}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.max_chars = int(config.get("max_chars") or 0)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TextNormaliser":
        return cls(config)

    def _normalise(self, message: Message, keep_entities: bool) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        result = normalise(text, self.max_chars if not keep_entities else 0)
        if keep_entities:
            if result.text != text:
                message.set(TEXT, result.text)
        else:
            masked = mask_pii(result.text)
            if masked != text:
                message.set(TEXT, masked)
            return
        if result.text == text:
            return
        entities: Optional[List[Dict[Text, Any]]] = message.get(ENTITIES)
        if keep_entities and entities:
            moved = []
            for entity in entities:
                start, end = result.map_span(entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END])
                if end <= start:
                    continue  # the annotated text was all emoji or whitespace
                original = text[entity[ENTITY_ATTRIBUTE_START]:entity[ENTITY_ATTRIBUTE_END]]
                value = entity.get(ENTITY_ATTRIBUTE_VALUE)
                # A value equal to its span follows the text; a synonym value stays.
                if value == original:
                    value = result.text[start:end]
                moved.append({**entity, ENTITY_ATTRIBUTE_START: start, ENTITY_ATTRIBUTE_END: end, ENTITY_ATTRIBUTE_VALUE: value})
            message.set(ENTITIES, moved)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalise training examples, moving their entity annotations along."""
        for example in training_data.training_examples:
            self._normalise(example, keep_entities=True)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalise incoming messages."""
        for message in messages:
            self._normalise(message, keep_entities=False)
        return messages
