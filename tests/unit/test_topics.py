"""The topic specification (knowledge/data/topics.yml) is whole and drives everything: every
fact it names exists and has its slot and ask action in the domain, every calculator and
verdict it names exists, and the questions it asks are the ones that change the answer."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from knowledge import topics, verdicts
from knowledge.calculators import CALCULATORS, Rules
from knowledge.taxonomy import TOPICS

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_every_topic_of_the_taxonomy_has_a_specification():
    assert set(topics.spec().topics) == set(TOPICS)


def test_every_fact_named_exists_and_has_its_slot_and_ask_action():
    spec = topics.spec()
    for topic in spec.topics.values():
        for name in topic.facts:
            assert name in spec.facts, (topic.name, name)
        for ask in topic.ask:
            assert all(f in spec.facts for f in (*ask.when, *ask.unless)), (topic.name, ask)
    for name, fact in spec.facts.items():
        assert fact.kind in topics.KINDS and fact.question and fact.problem, name
        assert name in DOMAIN["slots"], name
        assert f"action_ask_{name}" in DOMAIN["actions"], name


def test_calculations_name_real_calculators_with_their_parameters():
    for topic in topics.spec().topics.values():
        if topic.calculation:
            calculator = CALCULATORS[topic.calculation.calculator]
            params = {p.name for p in calculator.params}
            assert set(topic.calculation.args) <= params, topic.name


def test_verdicts_rest_on_provisions_that_exist(db):
    from knowledge import queries

    for verdict in verdicts.verdicts():
        assert verdict.topic in TOPICS, verdict.id
        assert verdict.verdict in verdicts.LABELS, verdict.id
        for provision_id in verdict.provisions:
            assert queries.provision(db, provision_id) is not None, (verdict.id, provision_id)


def test_only_what_changes_the_answer_is_asked():
    # Minimum wage: once the place is known nothing else is asked.
    assert topics.next_question("minimum_wage", {}) == "place"
    assert topics.next_question("minimum_wage", {"place": "310000"}) is None
    # Wage arrears: a total owed makes the months and the monthly wage pointless.
    assert topics.next_question("wage_arrears", {"place": "320800"}) == "arrears_months"
    assert topics.next_question("wage_arrears", {"place": "320800", "amount_owed": 20000.0}) == "still_employed"
    # The date of leaving matters only for someone who has left.
    asked = {"place": "320800", "amount_owed": 1.0}
    assert topics.next_question("wage_arrears", {**asked, "still_employed": True}) is None
    assert topics.next_question("wage_arrears", {**asked, "still_employed": False}) == "left_date"


def test_after_a_skip_nothing_more_is_asked():
    assert topics.next_question("dismissal", {"place": topics.SKIP}) is None
    assert topics.next_question("dismissal", {"place": "320800", "service_months": topics.SKIP}) is None


def test_reading_an_amount_depends_on_the_words_around_it():
    text = "老板拖欠我三个月工资，每个月八千"
    start = text.index("八千")
    assert topics.assign("wage_arrears", "money", text, start, start + 2, None) == "monthly_wage"
    text = "一共欠了我两万"
    assert topics.assign("wage_arrears", "money", text, 5, 7, None) == "amount_owed"
    # The question just asked decides when the words do not.
    assert topics.assign("dismissal", "money", "8000", 0, 4, "monthly_wage") == "monthly_wage"


@pytest.mark.parametrize("answer, value", [("跳过", topics.SKIP), ("不知道", topics.SKIP), ("还在干", True),
                                           ("已经离开了", False), ("嗯", True)])
def test_bare_answers_to_a_yes_no_question(answer, value):
    assert topics.read_answer("still_employed", answer) == value


def test_choices_read_from_the_button_or_the_words():
    assert topics.read_answer("how_ended", "单位没有合法理由解除（违法辞退）") == "unlawful"
    assert topics.read_answer("how_ended", "老板无缘无故让我走") == "unlawful"
    assert topics.read_answer("contract_status", "没签") == "unsigned"


def test_the_calculation_uses_the_facts_the_topic_names(db):
    rules = Rules(db, "320800", date(2026, 11, 28))
    result = topics.calculate("wage_arrears", rules, {"monthly_wage": 8000.0, "arrears_months": 3.0})
    assert result is not None and result.amount == 24000
    result = topics.calculate("dismissal", rules, {"service_months": 42.0, "monthly_wage": 6000.0,
                                                   "how_ended": "unlawful"})
    assert result is not None and result.amount == 48000  # 2N
    assert topics.calculate("dismissal", rules, {"service_months": 42.0, "monthly_wage": 6000.0,
                                                 "how_ended": "quit"}) is None
    assert topics.calculate("leave", rules, {"work_years": 12.0}).amount == 10


@pytest.mark.parametrize("question, verdict", [
    ("怀孕了公司要辞退我合法吗", "illegal"), ("公司让我签自愿放弃社保的协议，合法吗", "illegal"),
    ("公司不批我辞职怎么办", "legal"), ("试用期可以随便辞退吗", "depends"),
    ("加班不给加班费怎么办", "illegal"), ("入职交了800押金，现在离职不退，合法吗", "illegal"),
])
def test_legality_questions_find_their_verdict(question, verdict):
    found = verdicts.find(question)
    assert found is not None and found.verdict == verdict, (question, found)


@pytest.mark.parametrize("question", ["公司不给交社保怎么办", "老板一直没给我买五险", "单位少缴社保合法吗"])
def test_unpaid_social_insurance_gets_its_own_verdict_not_the_wage_one(question):
    for topic in ("social_insurance", None):
        found = verdicts.find(question, topic, complaint=True)
        assert found is not None and found.id == "no-social-insurance", (question, topic, found)


def test_a_plain_question_gets_no_verdict():
    assert verdicts.find("产假有多少天") is None
    assert verdicts.find("劳动仲裁时效多久") is None


@pytest.mark.parametrize("text,area", [
    ("我老公出轨了，离婚的话孩子归谁", "婚姻家庭"),
    ("周末开车被人追尾了，对方全责", "交通事故"),
    ("朋友借了我五万不还，有借条", "借贷和债务"),
    ("爷爷去世了，遗产怎么分", "继承"),
    ("今天天气怎么样", None),
])
def test_out_of_scope_questions_are_named_by_their_legal_area(text, area):
    from knowledge.scope import legal_area

    assert legal_area(text) == area


def test_a_second_problem_is_found_only_with_words_and_the_models_agreement():
    from bot.nlu.topic_backstop import second_topic

    ranking = [{"name": "dismissal", "confidence": 0.7}, {"name": "wage_arrears", "confidence": 0.2}]
    assert second_topic("我被辞退了，公司还欠我两个月工资没给", "dismissal", ranking) == "wage_arrears"
    # Named, but the model sees nothing of it: not offered.
    assert second_topic("我被辞退了，公司还欠我两个月工资没给", "dismissal", ranking[:1]) is None
    # The model's runner-up, but no word for it in the message: not offered.
    assert second_topic("公司突然把我辞退了，合法吗", "dismissal", ranking) is None
