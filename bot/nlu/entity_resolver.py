"""Resolve entities to the normal forms the taxonomy defines.

Runs after DIET and the EntitySynonymMapper:

- places → official province / city / district names with adcodes, found by
  the spaCy PhraseMatcher of :mod:`knowledge.places` (which also catches places
  DIET missed) and disambiguated by context;
- money → yuan, duration → months, date → ISO date (also found by rule when DIET
  missed them);
- worker_group and contract_status → their canonical labels, using the
  synonyms of the training data also for words it never saw verbatim.

Entities DIET found keep ``extractor: DIETClassifier`` and list this component
under ``processors`` (Rasa's convention for post-processors); entities only
this component found carry ``extractor: EntityResolver``.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.places import PlaceMention, place_finder, resolve_place
from knowledge.regions import region_index
from knowledge.text.quantities import (
    find_dates,
    find_durations,
    find_money,
    is_length_given,
    parse_date,
    parse_duration_months,
    parse_money,
)

logger = logging.getLogger(__name__)

PLACE_ENTITIES = ("province", "city", "district")
# A personal number as the normaliser masks it (knowledge.privacy): nothing is read from it.
MASKED_NUMBER = re.compile(r"\*{3,}[0-9Xx]{4}")
LABELLED_ENTITIES = ("worker_group", "contract_status")
SYNONYMS_FILE = "synonyms.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class EntityResolver(GraphComponent, EntityExtractorMixin):
    """Normalises entity values and adds the places and quantities DIET missed."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"rule_based_quantities": True}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        synonyms: Optional[Dict[Text, Dict[Text, Text]]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        # entity type → {surface word: canonical label}
        self.synonyms: Dict[Text, Dict[Text, Text]] = synonyms or {}
        self.places = place_finder()
        self.regions = region_index()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EntityResolver":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "EntityResolver":
        synonyms: Dict[Text, Dict[Text, Text]] = {}
        try:
            with model_storage.read_from(resource) as directory:
                synonyms = json.loads((directory / SYNONYMS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("No synonyms stored for %s; using none.", cls.__name__)
        return cls(config, model_storage, resource, synonyms)

    # ------------------------------------------------------------------ training
    def train(self, training_data: TrainingData) -> Resource:
        """Remember which canonical label each annotated word maps to."""
        labels: Dict[Text, Dict[Text, Text]] = {name: {} for name in LABELLED_ENTITIES}
        canonical = set(training_data.entity_synonyms.values())
        for example in training_data.entity_examples:
            for entity in example.get(ENTITIES) or []:
                kind = entity[ENTITY_ATTRIBUTE_TYPE]
                if kind not in labels:
                    continue
                surface = example.get(TEXT)[entity[ENTITY_ATTRIBUTE_START]:entity[ENTITY_ATTRIBUTE_END]]
                value = training_data.entity_synonyms.get(surface, entity.get(ENTITY_ATTRIBUTE_VALUE))
                if value in canonical:
                    labels[kind][surface] = value
                    labels[kind][value] = value
        # Synonyms whose word was never annotated still help (they are in data/nlu/synonyms.yml).
        for surface, value in training_data.entity_synonyms.items():
            for table in labels.values():
                if value in table.values():
                    table.setdefault(surface, value)
        self.synonyms = labels
        with self._model_storage.write_to(self._resource) as directory:
            (directory / SYNONYMS_FILE).write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
        return self._resource

    # ---------------------------------------------------------------- inference
    def process(self, messages: List[Message]) -> List[Message]:
        """Resolve the entities of each message."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            entities = self.resolve(text, message.get(ENTITIES, []) or [])
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def resolve(self, text: Text, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """Return ``entities`` normalised, with rule-found places and quantities added.

        Nothing is read from a masked personal number (``*******5678``, see the normaliser).
        """
        masks = [{ENTITY_ATTRIBUTE_START: m.start(), ENTITY_ATTRIBUTE_END: m.end()} for m in MASKED_NUMBER.finditer(text)]
        entities = [e for e in entities
                    if not self._overlaps(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END], masks)]
        result: List[Dict[Text, Any]] = []
        mentions = self.places.find(text)
        used_mentions: set = set()
        for entity in entities:
            kind = entity.get(ENTITY_ATTRIBUTE_TYPE)
            if kind in PLACE_ENTITIES:
                for place in self._resolve_place(text, entity, mentions, used_mentions):
                    place["processors"] = [*entity.get("processors", []), self.__class__.__name__]
                    result.append(place)
                continue
            if kind == "money":
                resolved = self._with_quantity(entity, parse_money(self._span(text, entity)))
            elif kind == "duration":
                given = is_length_given(text, entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END])
                resolved = self._with_quantity(entity, parse_duration_months(self._span(text, entity))) if given else None
            elif kind == "date":
                parsed = parse_date(self._span(text, entity))
                resolved = None
                if parsed is not None:
                    resolved = {**entity, ENTITY_ATTRIBUTE_VALUE: parsed.iso, "precision": parsed.precision}
            elif kind in LABELLED_ENTITIES:
                resolved = self._with_label(text, entity)
            else:
                resolved = dict(entity)
            if resolved is not None:
                resolved["processors"] = [*entity.get("processors", []), self.__class__.__name__]
                result.append(resolved)
        for i, mention in enumerate(mentions):
            if i not in used_mentions and not self._overlaps(mention.start, mention.end, result):
                result.append(self._place_entity(mention, None))
        if self._config.get("rule_based_quantities", True):
            result.extend(self._rule_quantities(text, [*result, *masks]))
        result.sort(key=lambda e: (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]))
        return result

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _span(text: Text, entity: Dict[Text, Any]) -> Text:
        return text[entity[ENTITY_ATTRIBUTE_START]:entity[ENTITY_ATTRIBUTE_END]]

    @staticmethod
    def _overlaps(start: int, end: int, entities: List[Dict[Text, Any]]) -> bool:
        return any(start < e[ENTITY_ATTRIBUTE_END] and e[ENTITY_ATTRIBUTE_START] < end for e in entities)

    @staticmethod
    def _with_quantity(entity: Dict[Text, Any], quantity: Any) -> Optional[Dict[Text, Any]]:
        if quantity is None:
            return None  # DIET tagged something that holds no number: not a usable entity
        out = {**entity, ENTITY_ATTRIBUTE_VALUE: quantity.value}
        if quantity.approximate:
            out["approximate"] = True
        return out

    def _with_label(self, text: Text, entity: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        table = self.synonyms.get(entity[ENTITY_ATTRIBUTE_TYPE], {})
        canonical = set(table.values())
        value = entity.get(ENTITY_ATTRIBUTE_VALUE)
        if value in canonical:
            return dict(entity)
        surface = self._span(text, entity)
        if surface in table:
            return {**entity, ENTITY_ATTRIBUTE_VALUE: table[surface]}
        # An unseen phrasing that contains a known word (怀孕的女工 ⊃ 怀孕).
        for word in sorted(table, key=len, reverse=True):
            if len(word) >= 2 and word in surface:
                return {**entity, ENTITY_ATTRIBUTE_VALUE: table[word]}
        return dict(entity) if not canonical else None

    def _place_entity(self, mention: PlaceMention, entity: Optional[Dict[Text, Any]]) -> Dict[Text, Any]:
        if entity:
            base: Dict[Text, Any] = dict(entity)
        else:
            base = {EXTRACTOR: self.__class__.__name__, "confidence_entity": 1.0,
                    ENTITY_ATTRIBUTE_START: mention.start, ENTITY_ATTRIBUTE_END: mention.end}
        base[ENTITY_ATTRIBUTE_TYPE] = mention.entity
        region = mention.region
        if region is None:
            base[ENTITY_ATTRIBUTE_VALUE] = mention.text
            base["ambiguous"] = True
            base["candidates"] = [self.regions.full_name(c.adcode) for c in mention.candidates]
            return base
        base[ENTITY_ATTRIBUTE_VALUE] = region.name
        base["adcode"] = region.adcode
        base["full_name"] = self.regions.full_name(region.adcode)
        for ancestor in self.regions.ancestors(region.adcode)[1:]:
            key = "city" if ancestor.level == "city" else "province" if ancestor.level == "province" else None
            if key and key not in base:
                base[key] = ancestor.name
        if not region.mainland:
            base["mainland"] = False
        return base

    def _resolve_place(
        self,
        text: Text,
        entity: Dict[Text, Any],
        mentions: List[PlaceMention],
        used: set,
    ) -> List[Dict[Text, Any]]:
        start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
        overlapping = [i for i, m in enumerate(mentions) if m.start < end and start < m.end]
        inside = [i for i in overlapping if i not in used]
        if overlapping and not inside:
            return []  # DIET split one place in two; the first part already stands for it
        if len(inside) == 1:
            used.add(inside[0])
            return [self._place_entity(mentions[inside[0]], entity)]
        if inside:
            # DIET's span joins several places (江苏淮安): one entity per place, each on its own span.
            out = []
            for i in inside:
                used.add(i)
                place = self._place_entity(mentions[i], entity)
                place[ENTITY_ATTRIBUTE_START], place[ENTITY_ATTRIBUTE_END] = mentions[i].start, mentions[i].end
                out.append(place)
            return out
        region = resolve_place(self._span(text, entity))
        if region is None:
            return []  # not a place we know: better no place than a wrong one
        mention = PlaceMention(start, end, self._span(text, entity), region, (region,))
        return [self._place_entity(mention, entity)]

    def _rule_quantities(self, text: Text, taken: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """Money, durations and dates the rules find where no entity (or mask) is yet."""
        result: List[Dict[Text, Any]] = []
        found: List[Tuple[str, int, int, Any, Dict[Text, Any]]] = []
        for q in find_money(text):
            found.append(("money", q.start, q.end, q.value, {"approximate": True} if q.approximate else {}))
        for q in find_durations(text):
            if text[q.end:q.end + 1] in ("前", "后") or text[q.end:q.end + 2] in ("以前", "之前", "以后", "之后"):
                continue  # 三个月前 is a date
            found.append(("duration", q.start, q.end, q.value, {"approximate": True} if q.approximate else {}))
        for d in find_dates(text):
            found.append(("date", d.start, d.end, d.iso, {"precision": d.precision}))
        for kind, start, end, value, extra in found:
            if self._overlaps(start, end, [*taken, *result]):
                continue
            result.append({
                ENTITY_ATTRIBUTE_TYPE: kind,
                ENTITY_ATTRIBUTE_START: start,
                ENTITY_ATTRIBUTE_END: end,
                ENTITY_ATTRIBUTE_VALUE: value,
                EXTRACTOR: self.__class__.__name__,
                "confidence_entity": 1.0,
                **extra,
            })
        return result
