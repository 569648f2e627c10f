"""Unpaid wages and the extra compensation for not paying after an order (劳动合同法第八十五条)."""
from __future__ import annotations

from typing import Optional

from knowledge.calculators.base import CalcResult, CalculationError, Rules, number, yuan


def wage_arrears(rules: Rules, owed: Optional[float] = None, monthly: Optional[float] = None,
                 months: Optional[float] = None) -> CalcResult:
    """The wages owed (given, or monthly × months) and the range of 加付赔偿金 on top."""
    steps = []
    if owed is None:
        if not monthly or not months:
            raise CalculationError("请给出拖欠的总金额，或者月工资和拖欠的月数")
        owed = monthly * months
        steps.append(f"拖欠工资 = 月工资{yuan(monthly)} × {number(months)}个月 = {yuan(round(owed, 2))}。")
    else:
        steps.append(f"拖欠工资共 {yuan(owed)}。")
    if owed <= 0:
        raise CalculationError("拖欠金额必须大于0")
    low = rules.value("wage_arrears.extra_compensation_min")
    high = rules.value("wage_arrears.extra_compensation_max")
    steps.append(f"劳动行政部门责令限期支付后仍不支付的，还可以要求按应付金额的{number(low * 100)}%至"
                 f"{number(high * 100)}%加付赔偿金：{yuan(round(owed * low, 2))} 至 {yuan(round(owed * high, 2))}。")
    warnings = ["加付赔偿金的前提是劳动保障监察等部门已责令限期支付而用人单位逾期不付，所以先向劳动监察投诉很重要。",
                "请保留工资条、考勤、转账记录、聊天记录等证据。"]
    return CalcResult("wage_arrears", "被拖欠的工资", round(owed, 2), "yuan", steps, rules.used, warnings,
                      {"extra_min": round(owed * low, 2), "extra_max": round(owed * high, 2)})
