"""Maternity leave for a province: national days plus the provincial extension
(女职工劳动保护特别规定第七条, and the province's own regulation)."""
from __future__ import annotations

from typing import List, Optional

from knowledge.calculators.base import CalcResult, CalculationError, Rules, number


def maternity_leave(rules: Rules, babies: int = 1, dystocia: bool = False,
                    miscarriage_months: Optional[float] = None) -> CalcResult:
    """Days of maternity leave for one birth (or a miscarriage after ``miscarriage_months`` of pregnancy)."""
    steps = []
    warnings: List[str] = []
    if miscarriage_months is not None:
        key = "miscarriage_leave.4_months_plus_days" if miscarriage_months >= 4 else "miscarriage_leave.under_4_months_days"
        days = rules.value(key)
        steps.append(f"怀孕{number(miscarriage_months)}个月流产，享受{number(days)}天产假。")
        return CalcResult("maternity", "流产假", days, "day", steps, rules.used, warnings)
    if babies < 1:
        raise CalculationError("婴儿数至少为1")
    base = rules.value("maternity_leave.base_days")
    days = base
    steps.append(f"国家规定产假{number(base)}天（其中产前可以休{number(rules.value('maternity_leave.prenatal_days'))}天）。")
    if dystocia:
        extra = rules.value("maternity_leave.dystocia_extra_days")
        days += extra
        steps.append(f"难产增加{number(extra)}天。")
    if babies > 1:
        extra = rules.value("maternity_leave.multiple_birth_extra_days")
        days += extra * (babies - 1)
        steps.append(f"多胞胎每多一个婴儿增加{number(extra)}天："
                     f"{babies - 1} × {number(extra)} = {number(extra * (babies - 1))}天。")
    local = rules.get("maternity_leave.extra_days")
    months = rules.get("maternity_leave.extra_months") if local is None else None
    # Some provinces state the total (黑龙江: 180 days in all), not an extension.
    total = rules.get("maternity_leave.total_days") if local is None and months is None else None
    if total is not None and total.jurisdiction != "000000":
        days += total.value - base
        steps.append(f"{total.jurisdiction_name}规定产假总共{number(total.value)}天（含国家的{number(base)}天），"
                     f"即再加{number(total.value - base)}天。")
    elif local is not None and local.jurisdiction != "000000":
        days += local.value
        steps.append(f"{local.jurisdiction_name}在国家产假之外延长{number(local.value)}天"
                     + (f"（{local.note}）" if local.note else "") + "。")
    elif months is not None and months.jurisdiction != "000000":
        # The regulation counts the extension in months: say so rather than invent a day count.
        steps.append(f"{months.jurisdiction_name}在国家产假之外再增加{number(months.value)}个月"
                     "（地方条例按月规定，没有折算成天数，按日历月计算）。")
        steps.append(f"合计：{number(days)}天，再加{number(months.value)}个月。")
        return CalcResult("maternity", f"产假：{number(days)}天再加{number(months.value)}个月", None, "day",
                          steps, rules.used, warnings)
    else:
        warnings.append("知识库里还没有您所在省份延长产假的规定，以上只是国家规定的天数；各省一般还会延长，请向当地人社部门或工会核实。")
    steps.append(f"合计 {number(days)} 天。")
    return CalcResult("maternity", "产假", days, "day", steps, rules.used, warnings)
