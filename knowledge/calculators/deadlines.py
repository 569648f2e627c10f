"""Deadlines that decide whether a worker can still claim: arbitration limitation
(劳动争议调解仲裁法第二十七条), work-injury recognition applications (工伤保险条例第十七条),
and suing after an arbitration award (第四十八、五十条). Periods are counted as the Civil Code
says (:mod:`knowledge.periods`): the event day not counted, the corresponding day, holidays moved."""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional

from knowledge.calculators.base import CalcResult, CalculationError, Rules
from knowledge.periods import CITATION, describe, period_end

KINDS = ("arbitration", "wage_arbitration", "injury", "court")


def deadline(rules: Rules, kind: str, event: date, employment_ended: Optional[date] = None,
             today: Optional[date] = None) -> CalcResult:
    """The last day to act, and how many days are left (negative when it has passed).

    - ``arbitration``: ``event`` is when the worker knew their rights were infringed.
    - ``wage_arbitration``: unpaid wages; no limit while employed, then from ``employment_ended``.
    - ``injury``: ``event`` is the accident or diagnosis date.
    - ``court``: ``event`` is the day the arbitration award was received.
    """
    if kind not in KINDS:
        raise CalculationError(f"kind 应为 {' / '.join(KINDS)}")
    today = today or rules.on
    steps = []
    warnings: List[str] = []
    details: Dict[str, Any] = {}
    if kind in ("arbitration", "wage_arbitration"):
        years = int(rules.value("arbitration.limitation_years"))
        if kind == "wage_arbitration" and employment_ended is None:
            steps.append("劳动关系还在存续期间，因拖欠工资申请仲裁不受时效限制；离职（劳动关系终止）后须在"
                         f"{years}年内申请。")
            return CalcResult("deadline", "拖欠工资的仲裁时效", None, "", steps, rules.used, warnings,
                              {"no_limit_while_employed": True})
        start = employment_ended if kind == "wage_arbitration" and employment_ended else event
        end = period_end(start, years=years)
        last = end.last
        steps.append(f"仲裁时效为{years}年，从{'劳动关系终止' if kind == 'wage_arbitration' else '知道或应当知道权利被侵害'}之日"
                     f"（{start.isoformat()}）的次日起算，{describe(end)}。")
        warnings.append("向对方主张权利、向有关部门请求救济或对方同意履行的，时效中断并重新计算；请尽早申请。")
        title = "劳动仲裁时效"
        employer = None
    elif kind == "injury":
        employer_days = int(rules.value("injury.employer_application_days"))
        worker_years = int(rules.value("injury.worker_application_years"))
        employer_end = period_end(event, days=employer_days)
        employer_last = employer_end.last
        end = period_end(event, years=worker_years)
        last = end.last
        steps.append(f"用人单位应在事故伤害发生（或确诊职业病）之日起{employer_days}日内申请工伤认定，"
                     f"{describe(employer_end)}。")
        steps.append(f"用人单位不申请的，本人或近亲属、工会可在{worker_years}年内申请，{describe(end)}。")
        title = "工伤认定申请期限"
        employer = employer_last
        details["employer_deadline"] = employer_last.isoformat()
        details["employer_days_left"] = (employer_last - today).days
    else:
        days = int(rules.value("court.suit_after_award_days"))
        end = period_end(event, days=days)
        last = end.last
        steps.append(f"不服仲裁裁决的，可自收到裁决书之日起{days}日内向人民法院起诉，{describe(end)}。")
        title = "不服仲裁裁决起诉期限"
        employer = None
    steps.append(f"期间按{CITATION}计算：当天不算，到期日遇节假日顺延。")
    left = (last - today).days
    if left >= 0:
        steps.append(f"今天是 {today.isoformat()}，还剩 {left} 天。")
    else:
        steps.append(f"今天是 {today.isoformat()}，已经超过 {-left} 天。")
        warnings.append("期限看起来已过，但有中断、中止等例外情形；请尽快联系法律援助或工作人员核实。")
    if employer is not None and (employer - today).days < 0 <= left:
        warnings.append("单位申请的期限已过；您本人或家属现在就可以去申请。")
    details.update({"deadline": last.isoformat(), "days_left": left})
    return CalcResult("deadline", title, float(left), "day", steps, rules.used, warnings, details)
