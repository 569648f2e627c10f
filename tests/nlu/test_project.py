"""The project files agree with the taxonomy, Rasa validates them, and no entity
annotation is lost to jieba misalignment (RasaHQ/rasa #6752, #7910)."""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from knowledge.taxonomy import CONVERSATION_INTENTS, ENTITIES, TOPICS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def training():
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(ROOT / "data" / "nlu"))


@pytest.fixture(scope="module")
def test_set():
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(ROOT / "tests" / "nlu" / "test_nlu.yml"))


def test_every_taxonomy_intent_and_entity_is_in_the_domain(domain):
    assert set(TOPICS) | set(CONVERSATION_INTENTS) <= set(domain["intents"])
    assert set(ENTITIES) <= set(domain["entities"])


def test_every_intent_has_enough_varied_training_examples(training):
    counts = {}
    for example in training.intent_examples:
        counts[example.get("intent")] = counts.get(example.get("intent"), 0) + 1
    for intent in TOPICS:
        assert counts.get(intent, 0) >= 60, f"{intent} has {counts.get(intent, 0)} examples"
    for intent in CONVERSATION_INTENTS:
        assert counts.get(intent, 0) >= 20, f"{intent} has {counts.get(intent, 0)} examples"


def test_every_entity_is_annotated_in_training_data(training):
    seen = {e["entity"] for ex in training.intent_examples for e in ex.get("entities") or []}
    assert set(ENTITIES) <= seen


def test_held_out_set_covers_every_intent_and_shares_no_sentence(training, test_set):
    counts = {}
    for example in test_set.intent_examples:
        counts[example.get("intent")] = counts.get(example.get("intent"), 0) + 1
    for intent in [*TOPICS, *CONVERSATION_INTENTS]:
        assert counts.get(intent, 0) >= 10, f"{intent}: {counts.get(intent, 0)} test examples"
    train_texts = {ex.get("text") for ex in training.intent_examples}
    overlap = [ex.get("text") for ex in test_set.intent_examples if ex.get("text") in train_texts]
    assert not overlap, f"test sentences also in training: {overlap[:5]}"


def test_no_entity_annotation_is_misaligned_with_tokens(training):
    """Run the real normaliser and tokenizer over the training data and Rasa's own check."""
    from rasa.nlu.extractors.extractor import EntityExtractorMixin

    from bot.nlu.normaliser import TextNormaliser
    from bot.nlu.tokenizer import LabourJiebaTokenizer

    TextNormaliser({"max_chars": 0}).process_training_data(training)
    config = {**LabourJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "bot" / "nlu" / "dictionary")}
    LabourJiebaTokenizer._load_custom_dictionary(config["dictionary_path"])
    LabourJiebaTokenizer(config, None, None).process_training_data(training)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EntityExtractorMixin.check_correct_entity_annotations(training)
    misaligned = [str(w.message)[:200] for w in caught if "Misaligned entity annotation" in str(w.message)]
    assert not misaligned, "\n".join(misaligned[:5])


def test_training_log_has_no_misaligned_entity_warning():
    log = ROOT / "models" / "train.log"
    if not log.exists():
        pytest.skip("the model was not trained in this checkout")
    assert "Misaligned entity annotation" not in log.read_text(encoding="utf-8", errors="replace")


def test_place_dictionary_matches_the_division_list():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "nlu", "dictionary", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings", "--domain", "domain.yml",
         "--data", "data", "--config", "config.yml"],
        cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                        "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(Path.home())},
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def _five_grams(text: str) -> set:
    from knowledge.text.normalise import normalise_text

    plain = "".join(ch for ch in normalise_text(text) if not ch.isspace())
    return {plain[i:i + 5] for i in range(max(1, len(plain) - 4))}


def test_no_real_question_has_a_near_copy_in_the_training_data(training):
    """The real-question set judges the model only: no training example shares 60 % of its 5-grams."""
    from collections import defaultdict

    from bot.real_questions import load_questions

    index = defaultdict(set)
    grams = []
    for i, example in enumerate(training.intent_examples):
        g = _five_grams(example.get("text"))
        grams.append(g)
        for gram in g:
            index[gram].add(i)
    offenders = []
    for question in load_questions():
        q = _five_grams(question.text)
        shared: dict = defaultdict(int)
        for gram in q:
            for i in index.get(gram, ()):
                shared[i] += 1
        for i, n in shared.items():
            if n / len(q) >= 0.6:  # most of the question is found in one training example
                offenders.append((question.text, training.intent_examples[i].get("text")))
    assert not offenders, offenders[:10]


def test_the_real_question_set_is_large_and_labelled_with_the_taxonomy():
    from bot.real_questions import load_questions

    questions = load_questions()
    labour = [q for q in questions if q.labour]
    assert len(labour) >= 600 and sum(q.intent == "out_of_scope" for q in questions) >= 200
    allowed = set(TOPICS) | {"out_of_scope", "emergency"}
    assert all(q.intent in allowed and (q.alt is None or q.alt in allowed) for q in questions)
