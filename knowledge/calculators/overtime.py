"""Overtime pay (劳动法第四十四条; 日工资 = 月工资 ÷ 月计薪天数, 小时工资 = ÷ 8)."""
from __future__ import annotations

from knowledge.calculators.base import CalcResult, CalculationError, Rules, number, yuan


def overtime_pay(rules: Rules, wage: float, workday_hours: float = 0, rest_day_hours: float = 0,
                 holiday_hours: float = 0) -> CalcResult:
    """Pay owed for overtime hours at a monthly ``wage`` (the base wage used for overtime)."""
    if wage <= 0:
        raise CalculationError("月工资必须大于0")
    if min(workday_hours, rest_day_hours, holiday_hours) < 0 or workday_hours + rest_day_hours + holiday_hours <= 0:
        raise CalculationError("请给出加班小时数（工作日、休息日或法定节假日）")
    pay_hours = rules.value("pay_hours.monthly")
    hourly = wage / pay_hours
    steps = [f"小时工资 = 月工资{yuan(wage)} ÷ 月计薪小时数{number(pay_hours)} = {yuan(round(hourly, 2))}。"]
    total = 0.0
    for hours, key, name in ((workday_hours, "overtime.rate.workday", "工作日延长工作时间"),
                             (rest_day_hours, "overtime.rate.rest_day", "休息日加班且未安排补休"),
                             (holiday_hours, "overtime.rate.holiday", "法定节假日加班")):
        if hours:
            rate = rules.value(key)
            part = hours * hourly * rate
            total += part
            steps.append(f"{name}{number(hours)}小时 × {yuan(round(hourly, 2))} × {number(rate)}倍 = {yuan(round(part, 2))}。")
    steps.append(f"合计加班工资 {yuan(round(total, 2))}。")
    warnings = ["计算加班费的基数一般是劳动合同约定的工资（不低于当地最低工资）；各地对基数的规定有差异。",
                "休息日加班如果已经安排同等时间补休，可以不支付加班费；法定节假日加班不能用补休代替。"]
    return CalcResult("overtime", "加班工资", round(total, 2), "yuan", steps, rules.used, warnings,
                      {"hourly_wage": round(hourly, 2)})
