"""Economic compensation on leaving a job: N, N+1 and 2N (劳动合同法第四十六、四十七、八十七条)."""
from __future__ import annotations

from datetime import date
from typing import Optional

from knowledge.calculators.base import CalcResult, CalculationError, Rules, number, yuan

KINDS = {
    "N": "经济补偿（N）",
    "N+1": "经济补偿加代通知金（N+1）",
    "2N": "违法解除赔偿金（2N）",
}


def service_units(months: float, threshold: float) -> float:
    """Months of wages per the 'each full year is one month' rule, before any cap.

    A remainder of ``threshold`` months or more counts as a full year; a shorter,
    non-zero remainder counts as half a month.
    """
    full_years = int(months // 12)
    remainder = months - full_years * 12
    if remainder <= 1e-9:
        return float(full_years)
    return full_years + (1.0 if remainder >= threshold - 1e-9 else 0.5)


def compensation(rules: Rules, months: float, wage: float, kind: str = "N",
                 last_month_wage: Optional[float] = None) -> CalcResult:
    """Compensation for ``months`` of service at an average monthly ``wage`` (yuan) of the last 12 months."""
    if kind not in KINDS:
        raise CalculationError(f"kind 应为 {' / '.join(KINDS)}")
    if months <= 0:
        raise CalculationError("工作年限必须大于0")
    if wage <= 0:
        raise CalculationError("月工资必须大于0")
    per_year = rules.value("compensation.months_per_year")
    threshold = rules.value("compensation.half_month_threshold_months")
    steps = []
    warnings = []
    units = service_units(months, threshold)
    years_text = f"{int(months // 12)}年{number(round(months % 12, 2))}个月" if months >= 12 else f"{number(months)}个月"
    steps.append(f"在本单位工作{years_text}：每满一年算{number(per_year)}个月工资，剩余不满一年的，"
                 f"满{number(threshold)}个月按一年算，不满{number(threshold)}个月按半个月算 → 共{number(units * per_year)}个月。")
    base = wage
    minimum = rules.local_min_wage()
    if minimum is not None and wage < minimum.value:
        base = minimum.value
        steps.append(f"月工资{yuan(wage)}低于当地月最低工资标准{yuan(base)}，按最低工资标准计算。")
    elif minimum is None:
        warnings.append("计算补偿的月工资不得低于当地月最低工资标准；知识库中没有确定您所在区县适用哪一档最低工资，"
                        "如果您的工资低于当地标准，应按当地标准计算。")
    average = rules.get("average_wage.monthly")
    monthly_average = average.value if average is not None else None
    if average is None:
        # Some places publish only the annual figure (北京: 法人单位从业人员平均工资); the month is a twelfth.
        annual = rules.get("average_wage.annual")
        if annual is not None and annual.jurisdiction != "000000":
            average, monthly_average = annual, round(annual.value / 12, 2)
            steps.append(f"{annual.jurisdiction_name}上年度平均工资{yuan(annual.value)}/年"
                         f"（{annual.note or '当地公布'}），折合每月{yuan(monthly_average)}。")
    cap_multiple = rules.value("compensation.cap_wage_multiple")
    cap_years = rules.value("compensation.cap_years")
    capped = False
    if average is not None and monthly_average is not None:
        ceiling = cap_multiple * monthly_average
        if wage > ceiling:
            capped = True
            base = ceiling
            if units > cap_years:
                units = cap_years
            steps.append(f"月工资{yuan(wage)}高于当地上年度职工月平均工资{yuan(monthly_average)}的{number(cap_multiple)}倍"
                         f"（{yuan(ceiling)}），按{yuan(ceiling)}计算，年限最多按{number(cap_years)}年计。")
    else:
        warnings.append(f"知识库中没有您所在地的上年度职工月平均工资；如果您的月工资很高（超过社平工资{number(cap_multiple)}倍），"
                        f"补偿按社平工资{number(cap_multiple)}倍计算、最多{number(cap_years)}年，实际金额可能低于此结果。")
    amount = units * per_year * base
    steps.append(f"经济补偿 N = {number(units * per_year)} × {yuan(base)} = {yuan(round(amount, 2))}。")
    if kind == "N+1":
        extra_months = rules.value("compensation.in_lieu_of_notice_months")
        notice_wage = last_month_wage or wage
        amount += extra_months * notice_wage
        steps.append(f"用人单位未提前30日书面通知而解除的（劳动合同法第四十条情形），另付{number(extra_months)}个月工资"
                     f"（按上一个月工资{yuan(notice_wage)}）→ 合计 {yuan(round(amount, 2))}。")
    elif kind == "2N":
        multiple = rules.value("unlawful_termination.multiple")
        amount *= multiple
        steps.append(f"违法解除的赔偿金为经济补偿的{number(multiple)}倍 → {yuan(round(amount, 2))}（赔偿金不再另付经济补偿）。")
    warnings.append("“月工资”指离职前12个月的平均应发工资（含奖金、津贴、补贴），不是到手工资。")
    details = {"units": units * per_year, "base_wage": base, "capped": capped, "kind": kind}
    before = _months_before_2008(rules.on, months)
    if before > 0:
        details["months_before_2008"] = before
        warnings.append(
            f"您约有{number(before)}个月的工龄在2008年1月1日劳动合同法施行以前。按劳动合同法第九十七条第三款，"
            "这段年限要不要算补偿、怎么算，按当时的规定办（例如当时合同到期终止不需要付补偿）；"
            "上面的结果把全部年限都算进去了，实际可能更少。请找工作人员或法律援助按您的经历核实。")
    return CalcResult("compensation", KINDS[kind], round(amount, 2), "yuan", steps, rules.used, warnings, details)


LAW_IN_FORCE = date(2008, 1, 1)  # 劳动合同法施行之日


def _months_before_2008(on: date, months: float) -> float:
    """Months of service before 2008-01-01, counting back ``months`` from ``on`` (the leaving day)."""
    since_law = (on.year - LAW_IN_FORCE.year) * 12 + (on.month - LAW_IN_FORCE.month) + (on.day - 1) / 31
    return round(max(0.0, months - max(0.0, since_law)), 1)
