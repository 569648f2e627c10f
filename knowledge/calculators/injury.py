"""One-off disability subsidy for a work injury, by disability grade (工伤保险条例第三十五至三十七条)."""
from __future__ import annotations

from knowledge.calculators.base import CalcResult, CalculationError, Rules, number, yuan

GRADE_NAMES = "一二三四五六七八九十"


def disability_subsidy(rules: Rules, grade: int, wage: float) -> CalcResult:
    """Months of the worker's own wage paid once for disability ``grade`` (1 = most severe … 10)."""
    if not 1 <= grade <= 10:
        raise CalculationError("伤残等级应为1到10级")
    if wage <= 0:
        raise CalculationError("本人工资必须大于0")
    months = rules.value(f"injury.disability_subsidy_months.grade{grade}")
    amount = months * wage
    steps = [f"{GRADE_NAMES[grade - 1]}级伤残：一次性伤残补助金为{number(months)}个月的本人工资。",
             f"{number(months)} × {yuan(wage)} = {yuan(round(amount, 2))}。"]
    warnings = ["“本人工资”指受伤前12个月平均月缴费工资；低于统筹地区职工平均工资60%的按60%算，高于300%的按300%算。",
                "由工伤保险基金支付；单位没有缴工伤保险的，由单位按同样标准支付。",
                "五级至十级伤残解除劳动关系时，还有一次性工伤医疗补助金和伤残就业补助金，标准由各省规定。"]
    return CalcResult("injury", "一次性伤残补助金", round(amount, 2), "yuan", steps, rules.used, warnings,
                      {"months": months})
