"""Calculators: each returns the amount, the step-by-step working and the provisions used.

``run_calculator`` reads parameters as a worker or operator writes them
("三年半", "一万二", "去年3月", "江苏淮安") for the CLI and the staff console;
the dialogue calls the functions directly with values it already resolved.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Dict, Optional

from sqlalchemy.orm import Session

from knowledge.calculators.annual_leave import annual_leave
from knowledge.calculators.base import CalcResult, CalculationError, Rules
from knowledge.calculators.compensation import compensation
from knowledge.calculators.deadlines import deadline
from knowledge.calculators.double_wage import double_wage
from knowledge.calculators.injury import disability_subsidy
from knowledge.calculators.maternity import maternity_leave
from knowledge.calculators.overtime import overtime_pay
from knowledge.calculators.wage_arrears import wage_arrears
from knowledge.places import resolve_place
from knowledge.text.numbers import parse_number
from knowledge.text.quantities import parse_date, parse_duration_months, parse_money

__all__ = ["CALCULATORS", "CalcResult", "CalculationError", "Rules", "run_calculator", "Param", "Calculator"]


@dataclass(frozen=True)
class Param:
    """A calculator parameter: name, how to read it, label for forms, and whether it is required."""

    name: str
    kind: str  # money | months | date | number | bool | choice | place
    label: str
    required: bool = True
    choices: tuple = ()
    default: Any = None


@dataclass(frozen=True)
class Calculator:
    title: str
    function: Callable[..., CalcResult]
    params: tuple


CALCULATORS: Dict[str, Calculator] = {
    "compensation": Calculator("经济补偿 / 赔偿金", compensation, (
        Param("months", "months", "在本单位工作多久（如 三年半、42个月）"),
        Param("wage", "money", "离职前12个月平均月工资（元）"),
        Param("kind", "choice", "类型", False, ("N", "N+1", "2N"), "N"),
        Param("last_month_wage", "money", "上个月工资（N+1 时，元）", False),
    )),
    "overtime": Calculator("加班工资", overtime_pay, (
        Param("wage", "money", "加班工资计算基数（月工资，元）"),
        Param("workday_hours", "number", "工作日延时加班小时数", False, default=0),
        Param("rest_day_hours", "number", "休息日加班小时数（未补休）", False, default=0),
        Param("holiday_hours", "number", "法定节假日加班小时数", False, default=0),
    )),
    "double_wage": Calculator("未签合同二倍工资", double_wage, (
        Param("start", "date", "入职（开始干活）日期"),
        Param("wage", "money", "月工资（元）"),
        Param("signed", "date", "签订书面合同的日期（没签就不填）", False),
    )),
    "wage_arrears": Calculator("拖欠工资及加付赔偿金", wage_arrears, (
        Param("owed", "money", "拖欠总额（元）", False),
        Param("monthly", "money", "月工资（元）", False),
        Param("months", "months", "拖欠了几个月", False),
    )),
    "annual_leave": Calculator("带薪年休假", annual_leave, (
        Param("years", "months", "累计工作年限（如 8年）"),
        Param("joined", "date", "今年新入职的日期（不是今年入职就不填）", False),
        Param("wage", "money", "月工资（算未休年假工资时，元）", False),
        Param("unused_days", "number", "未休天数", False),
    )),
    "maternity": Calculator("产假天数", maternity_leave, (
        Param("babies", "number", "一胎生了几个婴儿", False, default=1),
        Param("dystocia", "bool", "是否难产", False, default=False),
        Param("miscarriage_months", "number", "流产时怀孕几个月（流产时填）", False),
    )),
    "deadline": Calculator("时效与期限", deadline, (
        Param("kind", "choice", "类型", True, ("arbitration", "wage_arbitration", "injury", "court")),
        Param("event", "date", "起算日期（权利受侵害之日 / 受伤之日 / 收到裁决书之日）"),
        Param("employment_ended", "date", "劳动关系终止日期（拖欠工资时）", False),
    )),
    "injury": Calculator("一次性伤残补助金", disability_subsidy, (
        Param("grade", "number", "伤残等级（1-10级）"),
        Param("wage", "money", "本人工资（受伤前12个月平均月缴费工资，元）"),
    )),
}


def _read(param: Param, raw: str) -> Any:
    text = raw.strip()
    if param.kind == "money":
        q = parse_money(text)
        if q is None:
            raise CalculationError(f"{param.label}：看不懂金额“{raw}”")
        return q.value
    if param.kind == "months":
        q = parse_duration_months(text)
        if q is None:
            value = parse_number(text)
            if value is None:
                raise CalculationError(f"{param.label}：看不懂时间长度“{raw}”")
            # A bare number of years for years-type params, months otherwise.
            return value if param.name == "years" else value
        return q.value / 12 if param.name == "years" else q.value
    if param.kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            d = parse_date(text)
            if d is None:
                raise CalculationError(f"{param.label}：看不懂日期“{raw}”") from None
            return d.value
    if param.kind == "number":
        value = parse_number(text)
        if value is None:
            raise CalculationError(f"{param.label}：应为数字，而不是“{raw}”")
        return int(value) if param.name in ("grade", "babies") else value
    if param.kind == "bool":
        return text.lower() in ("1", "true", "yes", "y", "是", "有", "对")
    if param.kind == "choice":
        if text not in param.choices:
            raise CalculationError(f"{param.label}应为 {' / '.join(param.choices)}")
        return text
    return text


def run_calculator(session: Session, kind: str, params: Dict[str, str], on: Optional[date] = None) -> CalcResult:
    """Run calculator ``kind`` with text parameters; ``place`` and ``date`` pick the rules that apply."""
    if kind not in CALCULATORS:
        raise CalculationError(f"没有“{kind}”这种计算；可选：{', '.join(CALCULATORS)}")
    calculator = CALCULATORS[kind]
    params = {k: v for k, v in params.items() if v is not None and str(v).strip() != ""}
    adcode = None
    place = params.pop("place", None)
    if place:
        region = resolve_place(place)
        if region is None:
            raise CalculationError(f"地区“{place}”无法识别，请写省市名称或行政区划代码")
        adcode = region.adcode
    as_of = params.pop("date", None)
    day = on or (date.fromisoformat(as_of) if as_of else None)
    known = {p.name: p for p in calculator.params}
    unknown = set(params) - set(known)
    if unknown:
        raise CalculationError(f"不认识的参数：{', '.join(sorted(unknown))}；可用：place, date, {', '.join(known)}")
    values: Dict[str, Any] = {}
    for name, param in known.items():
        if name in params:
            values[name] = _read(param, str(params[name]))
        elif param.required:
            raise CalculationError(f"缺少参数 {name}（{param.label}）")
        elif param.default is not None:
            values[name] = param.default
    rules = Rules(session, adcode, day)
    return calculator.function(rules, **values)
