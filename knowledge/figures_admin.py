"""Adding a new figure from the staff console (a new minimum wage, say).

The new figure gets its own regulation and provision rows (origin ``console``),
so it survives ``gongyou kb load``; the old figure is not touched and keeps
answering for dates before the new ``valid_from``. Every addition is audited.
"""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from knowledge import clock, models
from knowledge.loader import figure_catalogue
from knowledge.places import resolve_place
from knowledge.regions import region_index
from knowledge.text.numbers import parse_number


class FigureError(ValueError):
    """A refused figure, with the reason for the operator."""


def add_figure(session: Session, actor: str, key: str, place: str, value: str, valid_from: str, title: str,
               article: str, source: str) -> str:
    """Validate and store a new dated figure; return a confirmation for the operator."""
    catalogue = figure_catalogue()
    if key not in catalogue:
        raise FigureError(f"没有“{key}”这个数据项")
    region = resolve_place(place.strip()) if place.strip() not in ("全国", "000000") else None
    jurisdiction = "000000" if place.strip() in ("全国", "000000") else (region.adcode if region else None)
    if jurisdiction is None:
        raise FigureError(f"地区“{place}”无法识别")
    number = parse_number(value.strip())
    if number is None:
        raise FigureError(f"数值“{value}”不是数字")
    try:
        start = date.fromisoformat(valid_from.strip())
    except ValueError as error:
        raise FigureError("生效日期请写成 YYYY-MM-DD") from error
    if not title.strip() or not source.strip():
        raise FigureError("请填写文件名称和来源（网址或文号），没有出处的数字不能保存")
    regulation = models.Regulation(
        id=f"console-{uuid.uuid4().hex[:12]}", title=title.strip()[:200], issuer="（工作人员录入）",
        kind="local_notice" if jurisdiction != "000000" else "normative_document", jurisdiction=jurisdiction,
        effective=start, verified=clock.today(), source=source.strip()[:500], origin=models.ORIGIN_CONSOLE)
    provision = models.Provision(
        id=f"{regulation.id}-p", regulation_id=regulation.id, article=article.strip()[:60] or None,
        topic=_topic_of(key), summary=f"{catalogue[key]['label']}：{value.strip()}（{start.isoformat()}起）。",
        origin=models.ORIGIN_CONSOLE)
    figure = models.Figure(key=key, jurisdiction=jurisdiction, value=number, unit=catalogue[key]["unit"],
                           valid_from=start, verified=clock.today(), provision_id=provision.id,
                           origin=models.ORIGIN_CONSOLE)
    session.add_all([regulation, provision, figure])
    session.flush()
    session.add(models.AuditEntry(actor=actor, entity="figure", entity_id=str(figure.id), action="add", before=None,
                                  after={"key": key, "jurisdiction": jurisdiction, "value": number,
                                         "valid_from": start.isoformat(), "title": title.strip(), "source": source.strip()}))
    return f"已保存：{region_index().full_name(jurisdiction) if jurisdiction != '000000' else '全国'} " \
           f"{catalogue[key]['label']} {value.strip()}，{start.isoformat()}起生效；此前的数字仍适用于此前的日期。"


def _topic_of(key: str) -> str:
    prefix = key.split(".")[0]
    return {"min_wage": "minimum_wage", "maternity_leave": "maternity_protection", "paternity_leave": "maternity_protection",
            "nursing": "maternity_protection", "miscarriage_leave": "maternity_protection", "marriage_leave": "leave",
            "childcare_leave": "leave", "annual_leave": "leave", "medical_period": "leave", "holidays": "leave",
            "high_temp_allowance": "occupational_safety", "average_wage": "dismissal", "compensation": "dismissal",
            "unlawful_termination": "dismissal", "injury": "work_injury", "overtime": "overtime", "work_hours": "overtime",
            "wage_payment": "wage_arrears", "wage_arrears": "wage_arrears", "retirement": "retirement",
            "arbitration": "dispute_resolution", "court": "dispute_resolution"}.get(prefix, "dispute_resolution")
