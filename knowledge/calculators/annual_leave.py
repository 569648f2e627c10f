"""Paid annual leave days, the first-year pro-rata rule and pay for unused days
(职工带薪年休假条例第三条, 企业职工带薪年休假实施办法第五、十、十一条)."""
from __future__ import annotations

import math
from datetime import date
from typing import Optional

from knowledge.calculators.base import CalcResult, CalculationError, Rules, number, yuan

# The bands of cumulative working years are those of the keys (条例第三条): 1–10, 10–20, 20+.
BANDS = ((20, "annual_leave.days.20y_plus"), (10, "annual_leave.days.10_20y"), (1, "annual_leave.days.1_10y"))


def annual_leave(rules: Rules, years: float, joined: Optional[date] = None, year: Optional[int] = None,
                 wage: Optional[float] = None, unused_days: Optional[float] = None) -> CalcResult:
    """Annual leave for a worker with ``years`` of cumulative work, who joined this employer on ``joined``."""
    if years < 0:
        raise CalculationError("工作年限不能为负数")
    year = year or rules.on.year
    steps = []
    if years < 1:
        steps.append("累计工作未满1年（连续工作12个月），还不能享受带薪年休假。")
        return CalcResult("annual_leave", "带薪年休假", 0.0, "day", steps, rules.used)
    entitled = 0.0
    band = ""
    upper: Optional[int] = None
    for threshold, key in BANDS:
        if years >= threshold:
            entitled = rules.value(key)
            band = f"已满{threshold}年" + (f"不满{upper}年" if upper else "")
            break
        upper = threshold
    steps.append(f"累计工作{number(round(years, 2))}年（{band}），全年应休年休假{number(entitled)}天。")
    days = entitled
    if joined and joined.year == year:
        year_end = date(year, 12, 31)
        remaining = (year_end - joined).days + 1
        days_in_year = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        days = math.floor(remaining / days_in_year * entitled)
        steps.append(f"当年新进本单位：剩余日历天数{remaining}天 ÷ {days_in_year}天 × {number(entitled)}天 = "
                     f"{remaining / days_in_year * entitled:.2f}天，不足1整天的部分不享受 → {number(days)}天。")
    details = {"entitled": entitled, "this_year": days}
    if wage and unused_days:
        pay_days = rules.value("pay_days.monthly")
        ratio = rules.value("annual_leave.unused_pay_ratio")
        daily = wage / pay_days
        owed_total = unused_days * daily * ratio
        extra = unused_days * daily * (ratio - 1)
        steps.append(f"日工资 = {yuan(wage)} ÷ {number(pay_days)} = {yuan(round(daily, 2))}；未休{number(unused_days)}天按"
                     f"{number(ratio * 100)}%支付（含正常工资），除已发的正常工资外还应补 {yuan(round(extra, 2))}。")
        details.update({"unused_pay_total": round(owed_total, 2), "unused_pay_extra": round(extra, 2)})
    return CalcResult("annual_leave", "带薪年休假", float(days), "day", steps, rules.used, [], details)
