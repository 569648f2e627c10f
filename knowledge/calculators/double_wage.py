"""Double wages for working without a written contract (劳动合同法第八十二条, 实施条例第六、七条)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import List, Optional

from knowledge.calculators.base import CalcResult, CalculationError, Rules, number, yuan


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _months_between(start: date, end_inclusive: date) -> float:
    """Whole months from ``start``, plus the rest as a share of the following month."""
    if end_inclusive < start:
        return 0.0
    months = 0
    while _add_months(start, months + 1) <= end_inclusive + timedelta(days=1):
        months += 1
    rest_start = _add_months(start, months)
    rest_days = (end_inclusive - rest_start).days + 1
    if rest_days <= 0:
        return float(months)
    month_len = (_add_months(rest_start, 1) - rest_start).days
    return months + rest_days / month_len


def double_wage(rules: Rules, start: date, wage: float, signed: Optional[date] = None,
                today: Optional[date] = None) -> CalcResult:
    """The extra month's wage owed for each month worked without a written contract."""
    if wage <= 0:
        raise CalculationError("月工资必须大于0")
    today = today or rules.on
    grace = int(rules.value("contract.written_deadline_months"))
    cap = rules.value("double_wage.max_months")
    open_ended_after = int(rules.value("contract.deemed_open_ended_months"))
    first_day = _add_months(start, grace)
    end = (signed - timedelta(days=1)) if signed else today
    last_possible = _add_months(start, open_ended_after) - timedelta(days=1)
    steps = [f"入职（用工）之日 {start.isoformat()}；用人单位应在{grace}个月内订立书面合同，"
             f"从 {first_day.isoformat()} 起未签合同的，每月应另付一倍工资。"]
    warnings: List[str] = []
    if end < first_day:
        steps.append("签订书面合同的时间没有超过法定期限，不产生二倍工资。")
        return CalcResult("double_wage", "未签书面劳动合同的二倍工资差额", 0.0, "yuan", steps, rules.used, warnings)
    if end > last_possible:
        end = last_possible
        steps.append(f"满{open_ended_after}个月仍未签书面合同的，视为已订立无固定期限劳动合同，"
                     f"二倍工资最多算到 {end.isoformat()}。")
    months = min(_months_between(first_day, end), cap)
    amount = months * wage
    steps.append(f"应付二倍工资的期间：{first_day.isoformat()} 至 {end.isoformat()}，约{number(round(months, 2))}个月"
                 f"（最多{number(cap)}个月）。")
    steps.append(f"另一倍工资 = {number(round(months, 2))} × {yuan(wage)} = {yuan(round(amount, 2))}。")
    warnings.append("二倍工资差额的仲裁时效有争议，各地做法不同；越早申请仲裁越稳妥。")
    return CalcResult("double_wage", "未签书面劳动合同的二倍工资差额", round(amount, 2), "yuan", steps, rules.used,
                      warnings, {"months": round(months, 2), "from": first_day.isoformat(), "to": end.isoformat()})
