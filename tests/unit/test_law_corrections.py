"""Rules that were once stated wrongly: each test names the article a worker or
operator would check, so a later edit that brings the old wording back fails."""
from __future__ import annotations

from knowledge.queries import provision
from knowledge.router import plan_routes


def test_min_wage_penalty_follows_labour_contract_law_article_85(db):
    answer = provision(db, "min-wage-penalty")
    assert answer is not None
    assert "第八十五条" in answer.summary and "50%" in answer.summary
    # The 2004 rules' "1 to 5 times" is mentioned only as superseded, never as the rule.
    assert "取代" in answer.summary


def test_retirement_articles_match_the_state_council_measures(db):
    # 《国务院关于渐进式延迟法定退休年龄的办法》: art. 1 ages, art. 2 minimum contribution, art. 3 flexible.
    assert "《办法》第一条" in provision(db, "retirement-age-targets").citation.article
    assert provision(db, "retirement-min-contribution").citation.article == "《办法》第二条"
    assert provision(db, "retirement-flexible").citation.article == "《办法》第三条"


def test_heat_rule_is_the_three_hottest_hours_not_a_fixed_clock_time(db):
    summary = provision(db, "heat-stop-work").summary
    assert "最高的3小时" in summary
    assert "12时至15时" not in summary


def test_injury_recognition_goes_to_the_employers_area():
    why = next(r.why for r in plan_routes("work_injury") if r.route == "injury_recognition")
    assert "用人单位所在" in why and "第十七条" in why
    assert "受伤地" not in why


def test_legal_aid_spares_only_migrant_workers_the_means_test():
    for topic in ("wage_arrears", "work_injury"):
        why = next(r.why for r in plan_routes(topic) if r.route == "legal_aid")
        assert "进城务工人员" in why and "第四十二条" in why
        assert "经济困难条件" in why  # others still have to meet it
        assert "不需要审查" not in why
