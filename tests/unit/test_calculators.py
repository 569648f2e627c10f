"""Calculators against hand-computed cases, boundaries included. The rules come
from the real knowledge base loaded from knowledge/data."""
from __future__ import annotations

from datetime import date

import pytest

from knowledge.calculators import run_calculator
from knowledge.calculators.base import CalculationError
from knowledge.models import Figure

ON = date(2026, 11, 28)


def calc(db, calculator, on=ON, **params):
    return run_calculator(db, calculator, {k: str(v) for k, v in params.items()}, on=on)


@pytest.mark.parametrize("months,units", [
    (5, 0.5),    # under six months: half a month
    (6, 1),      # exactly six months counts as a full year
    (12, 1),
    (17, 1.5),   # one year and five months
    (18, 2),     # one year and six months
    (42, 4),     # three and a half years
])
def test_compensation_counts_service_by_the_half_month_rule(db, months, units):
    result = calc(db, "compensation", place="江苏省淮安市", months=months, wage=6000)
    assert result.amount == pytest.approx(units * 6000)
    assert any("第四十七条" in c.text() for c in result.citations)


def test_unlawful_termination_is_twice_the_compensation(db):
    result = calc(db, "compensation", place="江苏省淮安市", months=42, wage=6000, kind="2N")
    assert result.amount == pytest.approx(2 * 4 * 6000)


def test_compensation_below_the_local_minimum_wage_is_raised_to_it(db):
    # 江苏 from 2026-01-01: 徐州市丰县 is in the third tier, 2,180 a month.
    result = calc(db, "compensation", place="江苏省徐州市丰县", months=24, wage=1000)
    assert result.amount == pytest.approx(2 * 2180)


def test_compensation_warns_when_the_local_tier_is_unknown(db):
    result = calc(db, "compensation", place="江苏省南京市", months=24, wage=1000)
    assert any("最低工资" in w for w in result.warnings)


@pytest.fixture()
def average_wage(db):
    """A province average wage of 10,000 a month (a test row; rolled back after the test)."""
    from knowledge.models import Provision

    provision = db.get(Provision, "lcl-compensation-amount")
    figure = Figure(key="average_wage.monthly", jurisdiction="320000", value=10000, unit="yuan_per_month",
                    valid_from=date(2025, 1, 1), provision_id=provision.id)
    db.add(figure)
    db.flush()
    return figure


def test_high_earner_is_capped_at_three_times_average_and_twelve_years(db, average_wage):
    # 16 years 8 months at 40,000: capped to 3 × 10,000 = 30,000 and to 12 years.
    result = calc(db, "compensation", place="江苏省淮安市", months=200, wage=40000)
    assert result.amount == pytest.approx(12 * 30000)


def test_wage_cap_does_not_limit_years_for_ordinary_earners(db, average_wage):
    # 16 years 8 months at 20,000 (under 3 × average): 17 months, no 12-year cap.
    result = calc(db, "compensation", place="江苏省淮安市", months=200, wage=20000)
    assert result.amount == pytest.approx(17 * 20000)


def test_overtime_pay_uses_21_75_days_and_the_statutory_rates(db):
    # 4,350 / 21.75 / 8 = 25 an hour; 10 h × 1.5 + 8 h × 2 + 8 h × 3 = 15 + 16 + 24 = 55 hour-units.
    result = calc(db, "overtime", wage=4350, workday_hours=10, rest_day_hours=8, holiday_hours=8)
    assert result.amount == pytest.approx(55 * 25)


def test_double_wage_is_capped_at_eleven_months(db):
    result = calc(db, "double_wage", start="2024-01-01", wage=5000)
    assert result.amount == pytest.approx(11 * 5000)


def test_double_wage_runs_from_the_second_month(db):
    # Started 2026-08-01: the double wage runs from 2026-09-01 to 2026-11-28, just under three months.
    result = calc(db, "double_wage", start="2026-08-01", wage=6000)
    assert 2.8 * 6000 < result.amount <= 3 * 6000


@pytest.mark.parametrize("years,days", [(0.5, 0), (1, 5), (9.9, 5), (10, 10), (19, 10), (20, 15), (30, 15)])
def test_annual_leave_bands(db, years, days):
    assert calc(db, "annual_leave", years=years).amount == days


@pytest.mark.parametrize("name, kwargs", [
    ("annual_leave", {"years": 12}), ("annual_leave", {"years": 25}), ("compensation", {"months": 42, "wage": 6000}),
    ("overtime", {"wage": 6000, "workday_hours": 30}), ("wage_arrears", {"monthly": 8000, "months": 3}),
])
def test_the_working_shown_to_a_worker_has_no_internal_names(db, name, kwargs):
    import re

    result = calc(db, name, **kwargs)
    leaked = [s for s in result.steps if re.search(r"[a-z_]+\.[a-z_0-9]+", s)]
    assert not leaked, leaked  # "(annual_leave.days.10_20y)" was shown in the reply


def test_annual_leave_says_the_band_in_words(db):
    assert "已满10年不满20年" in calc(db, "annual_leave", years=12).steps[0]


def test_annual_leave_first_year_is_pro_rata(db):
    # Joined 2026-07-01: 184 days left in the year; 184 / 365 × 5 = 2.52 → 2 whole days.
    result = calc(db, "annual_leave", years=3, joined="2026-07-01")
    assert result.amount == 2


def test_maternity_leave_adds_the_province_extension(db):
    assert calc(db, "maternity", place="江苏省").amount == 158
    assert calc(db, "maternity", place="江苏省", dystocia="是").amount == 158 + 15
    assert calc(db, "maternity", place="江苏省", babies=2).amount == 158 + 15


def test_a_province_that_extends_maternity_leave_in_months_is_not_turned_into_days(db):
    result = calc(db, "maternity", place="河南省")
    assert result.amount is None  # 三个月 is not a fixed number of days: no invented total
    assert "98天" in result.headline() and "3个月" in result.headline()
    assert any("第二十七条" in c.text() for c in result.citations)


def test_maternity_leave_for_a_miscarriage(db):
    assert calc(db, "maternity", place="江苏省", miscarriage_months=3).amount == 15
    assert calc(db, "maternity", place="江苏省", miscarriage_months=5).amount == 42


@pytest.mark.parametrize("grade,months", [(1, 27), (4, 21), (5, 18), (7, 13), (10, 7)])
def test_injury_disability_subsidy_by_grade(db, grade, months):
    assert calc(db, "injury", grade=grade, wage=6000).amount == months * 6000


# 民法典第二百零一条 (the event day is not counted), 第二百零二条 (the corresponding day, or the month's
# end), 第二百零三条 (a last day off moves to the next working day, by the official holiday calendar).
@pytest.mark.parametrize("kind,event,last", [
    ("arbitration", "2025-06-10", "2026-06-10"),  # a Wednesday: the corresponding day, not the day before
    ("arbitration", "2025-03-15", "2026-03-16"),  # 2026-03-15 is a Sunday
    ("arbitration", "2025-10-01", "2026-10-08"),  # National Day holiday 2026-10-01…07
    ("arbitration", "2024-02-29", "2025-02-28"),  # no 29 February in 2025: the month's last day
    ("court", "2026-09-20", "2026-10-08"),        # 15 days end on 10-05, inside the holiday
])
def test_deadlines_are_counted_as_the_civil_code_says(db, kind, event, last):
    result = calc(db, "deadline", kind=kind, event=event)
    assert result.details["deadline"] == last
    assert "民法典第二百零一条至第二百零三条" in "\n".join(result.steps)


def test_injury_deadlines_for_employer_and_worker(db):
    result = calc(db, "deadline", kind="injury", event="2025-09-10")
    assert result.details["employer_deadline"] == "2025-10-10"  # 30 days, a Friday
    assert result.details["deadline"] == "2026-09-10"           # 1 year, the corresponding day
    text = "\n".join(result.steps)
    assert "30日" in text and "1年" in text


def test_a_deadline_in_a_year_without_a_published_holiday_plan_says_so(db):
    result = calc(db, "deadline", kind="arbitration", event="2030-05-06")
    assert "放假调休安排还没收录" in "\n".join(result.steps)


def test_bad_parameters_are_refused_clearly(db):
    with pytest.raises(CalculationError):
        calc(db, "compensation", months=-3, wage=5000)
    with pytest.raises(CalculationError):
        calc(db, "compensation", place="火星", months=3, wage=5000)
    with pytest.raises(CalculationError):
        calc(db, "no_such_thing")
