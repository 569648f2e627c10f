"""Rules that were once stated wrongly: each test names the article a worker or
operator would check, so a later edit that brings the old wording back fails."""
from __future__ import annotations

from datetime import date

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


def test_service_before_2008_is_flagged_not_silently_counted(db):
    # 劳动合同法第九十七条第三款: years before 2008-01-01 follow the rules then in force.
    from knowledge.calculators import run_calculator

    def calculate(db, kind, on, **params):
        return run_calculator(db, kind, {k: str(v) for k, v in params.items()}, on=on)

    long_service = calculate(db, "compensation", months=12 * 25, wage=6000, on=date(2026, 11, 28))
    assert 70 < long_service.details["months_before_2008"] < 76  # 25 years back from 2026-11 start in late 2001
    assert any("第九十七条" in w for w in long_service.warnings)
    recent = calculate(db, "compensation", months=36, wage=6000, on=date(2026, 11, 28))
    assert "months_before_2008" not in recent.details
    assert not any("第九十七条" in w for w in recent.warnings)


def test_every_route_that_applies_is_shown_legal_aid_included(db):
    from knowledge.router import route_case

    routes = [r.route for r in route_case(db, "wage_arrears", {"migrant_worker": True, "collective": True})]
    assert len(routes) > 3 and "legal_aid" in routes


def test_guangdong_difficult_birth_is_thirty_extra_days(db):
    # 广东省实施《女职工劳动保护特别规定》办法 第十一条 (粤府令第227号): +30 days, replacing the national 15.
    from knowledge.calculators import run_calculator

    guangzhou = "440100"
    result = run_calculator(db, "maternity", {"dystocia": "true", "place": guangzhou}, on=date(2026, 11, 28))
    assert result.amount == 208
    assert "第十一条" in " ".join(c.text() for c in result.citations)


def _calc(db, kind, on, **params):
    from knowledge.calculators import run_calculator

    return run_calculator(db, kind, {k: str(v) for k, v in params.items()}, on=on)


def test_heilongjiang_maternity_leave_is_180_days_in_all(db):
    # 黑龙江省女职工劳动保护条例 第十一条: 180 days in all (158 is only the allowance, 第十二条).
    assert _calc(db, "maternity", date(2026, 11, 28), place="哈尔滨").amount == 180
    assert _calc(db, "maternity", date(2026, 11, 28), place="哈尔滨", dystocia="true").amount == 195


def test_xizang_minimum_wage_is_no_longer_1850(db):
    from knowledge.queries import figure

    assert figure(db, "min_wage.monthly.tier1", "540000", date(2026, 11, 28)).value == 2100
    assert figure(db, "min_wage.monthly.tier1", "540000", date(2022, 6, 1)).value == 1850


def test_beijing_cap_uses_the_previous_years_legal_entity_average_and_says_when_it_is_unknown(db):
    # 劳动合同法第四十七条; 北京: 法人单位从业人员平均工资 of the year before the termination.
    in_2024 = _calc(db, "compensation", date(2024, 6, 1), place="北京", months=60, wage=60000)
    assert in_2024.details["capped"] and round(in_2024.details["base_wage"]) == round(3 * 188413 / 12)
    in_2026 = _calc(db, "compensation", date(2026, 6, 1), place="北京", months=60, wage=60000)
    assert not in_2026.details["capped"]
    assert any("没有您所在地的上年度职工月平均工资" in w for w in in_2026.warnings)


def test_a_replaced_notice_is_not_shown_as_if_it_still_applied(db):
    """Shanghai's 2023 minimum wage (2690) ended on 2025-06-30: after that only 2025's notice is shown."""
    from knowledge import queries

    now = {p.id for p in queries.provisions(db, "minimum_wage", "310000", date(2026, 11, 28))}
    assert "shanghai-min-wage-2023-standard" not in now
    assert any(p.startswith("shanghai-min-wage-2025") for p in now)
    then = {p.id for p in queries.provisions(db, "minimum_wage", "310000", date(2024, 1, 1))}
    assert "shanghai-min-wage-2023-standard" in then
    assert not any(p.startswith("shanghai-min-wage-2025") for p in then)


def test_a_minimum_wage_question_gets_the_monthly_standard_first(db):
    from knowledge.search import search

    figures = [i.data["key"] for i in search(db, "上海最低工资是多少", on=date(2026, 11, 28)).items if i.type == "figure"]
    assert figures[0].startswith("min_wage.monthly"), figures
    hourly = [i.data["key"] for i in search(db, "上海小时最低工资", on=date(2026, 11, 28)).items if i.type == "figure"]
    assert hourly[0].startswith("min_wage.hourly"), hourly
