"""jieba tokenisation that keeps quantities and annotated entities on token boundaries.

Rasa's JiebaTokenizer can produce tokens that straddle an entity ("3月入职" →
"3" "月入" "职"), and DIET then drops the annotation with a "Misaligned entity
annotation" warning (RasaHQ/rasa #6752, #7910). This tokenizer cuts the text at
forced boundaries first — around every quantity expression, and in training
data around every annotated entity — and lets jieba segment the pieces between.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Set, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.text.numbers import NUMBER_PATTERN

# A number with the unit that says what it counts (三年半, 18个月, 3月, 15号, 五千, 1.5万).
QUANTITY_RE = re.compile(
    r"(?:" + NUMBER_PATTERN + r")(?:个多月|个半月|个月|周年|年|月|日|号|天|周|个星期|岁|小时|点)?(?:半|多)?"
)
_CHINESE_NUMERAL_ONLY = re.compile(r"[一二两三四五六七八九十]")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class LabourJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer with forced boundaries at quantities and (in training) entities."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**JiebaTokenizer.get_default_config()}

    @staticmethod
    def _forced_boundaries(message: Message, attribute: Text, text: str) -> Set[int]:
        cuts: Set[int] = set()
        for m in QUANTITY_RE.finditer(text):
            # A lone Chinese digit without a unit is a word part (一下, 十分), not a quantity.
            if len(m.group(0)) == 1 and _CHINESE_NUMERAL_ONLY.fullmatch(m.group(0)):
                continue
            cuts.update((m.start(), m.end()))
        if attribute == TEXT:
            for entity in message.get(ENTITIES) or []:
                cuts.update((entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]))
        return {c for c in cuts if 0 < c < len(text)}

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenise with jieba inside the pieces between forced boundaries."""
        import jieba

        text = message.get(attribute)
        cuts = sorted(self._forced_boundaries(message, attribute, text))
        tokens: List[Token] = []
        start = 0
        for end in [*cuts, len(text)]:
            piece = text[start:end]
            for word, offset, _ in jieba.tokenize(piece):
                if word.strip():
                    tokens.append(Token(word, start + offset))
            start = end
        return self._apply_token_pattern(tokens)
