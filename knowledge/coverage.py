"""Which provincial facts the knowledge base holds, and where the gaps are.

``gongyou kb coverage`` prints this as a province × item table; the staff
console shows it to union managers. A gap means the bot says it does not know
and sends the worker to a human, never that it guesses.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Dict, List, Optional

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from knowledge import clock, models
from knowledge.queries import figures
from knowledge.regions import region_index

# item → (column title, figure key prefix(es), or None for a regulation check)
ITEMS: Dict[str, tuple] = {
    "min_wage.monthly": ("月最低工资", "min_wage.monthly"),
    "min_wage.hourly": ("小时最低工资", "min_wage.hourly"),
    # Provinces that set the extension in months (河南) count as known, in the law's unit.
    "maternity_leave": ("产假", ("maternity_leave.total_days", "maternity_leave.extra_months")),
    "paternity_leave": ("陪产假", ("paternity_leave.days", "paternity_leave.months")),
    "marriage_leave": ("婚假", "marriage_leave.days"),
    "childcare_leave": ("育儿假", "childcare_leave.days_per_year"),
    "high_temp_allowance": ("高温津贴", "high_temp_allowance"),
    "average_wage": ("社平工资", "average_wage"),
    "wage_payment": ("工资支付规定", None),
}


@dataclass(frozen=True)
class Cell:
    """One province × item: what is known (short text), since when, and from which document."""

    present: bool
    text: str = "—"
    valid_from: Optional[date] = None
    source: Optional[str] = None


def _wage_payment_cell(session: Session, adcode: str) -> Cell:
    R = models.Regulation
    row = session.execute(
        sa.select(R).where(R.jurisdiction == adcode, R.title.like("%工资支付%")).order_by(R.effective.desc())
    ).scalars().first()
    if row is None:
        return Cell(False)
    return Cell(True, f"《{row.title}》", row.effective, row.source)


def coverage(session: Session, on: Optional[date] = None) -> Dict[str, Dict[str, Cell]]:
    """For every mainland province: item → :class:`Cell` (only the province's own rows count)."""
    day = on or clock.today()
    table: Dict[str, Dict[str, Cell]] = {}
    for province in region_index().provinces():
        if not province.mainland:
            continue
        row: Dict[str, Cell] = {}
        for item, (_, prefix) in ITEMS.items():
            if prefix is None:
                row[item] = _wage_payment_cell(session, province.adcode)
                continue
            prefixes = (prefix,) if isinstance(prefix, str) else prefix
            found = [f for p in prefixes for f in figures(session, p, province.adcode, day)
                     if f.jurisdiction == province.adcode]
            if not found:
                row[item] = Cell(False)
                continue
            found.sort(key=lambda f: f.key)
            values = "/".join(f.value_text() for f in found)
            newest = max(f.valid_from for f in found)
            row[item] = Cell(True, values, newest, found[0].citation.text())
        table[province.name] = row
    return table


def render_markdown(table: Dict[str, Dict[str, Cell]]) -> str:
    """The coverage table as Markdown, with a count of gaps per item."""
    titles = [title for title, _ in ITEMS.values()]
    lines = ["| 省份 | " + " | ".join(titles) + " |", "|---" * (len(titles) + 1) + "|"]
    for name, row in table.items():
        cells = []
        for item in ITEMS:
            cell = row[item]
            cells.append(f"{cell.text} ({cell.valid_from.isoformat()})" if cell.present and cell.valid_from else cell.text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    present = {item: sum(1 for row in table.values() if row[item].present) for item in ITEMS}
    lines.append("")
    lines.append("Covered provinces per item: " + ", ".join(
        f"{ITEMS[item][0]} {count}/{len(table)}" for item, count in present.items()))
    return "\n".join(lines)


def gaps(table: Dict[str, Dict[str, Cell]]) -> List[str]:
    """'省份: 项目' for every missing cell."""
    return [f"{name}: {ITEMS[item][0]}" for name, row in table.items() for item, cell in row.items() if not cell.present]


@dataclass(frozen=True)
class StaleFigure:
    """A figure still in use that nobody has re-checked within the allowed time."""

    place: str
    label: str
    value: str
    verified: Optional[date]
    source: str


def stale(session: Session, months: int = 12, on: Optional[date] = None) -> List[StaleFigure]:
    """Figures valid on ``on`` (and later ones already announced) whose last check is older than
    ``months`` months, or was never recorded; oldest first."""
    day = on or clock.today()
    cutoff = day - relativedelta(months=months)
    F = models.Figure
    rows = session.execute(
        sa.select(F).where(F.area_of.is_(None), sa.or_(F.valid_to.is_(None), F.valid_to >= day),
                           sa.or_(F.verified.is_(None), F.verified < cutoff))
        .order_by(F.verified.asc().nullsfirst(), F.jurisdiction, F.key)
    ).scalars().all()
    from knowledge.loader import cached_figure_catalogue

    labels = cached_figure_catalogue()
    index = region_index()
    out = []
    for f in rows:
        place = "全国" if f.jurisdiction == "000000" else index.full_name(f.jurisdiction)
        out.append(StaleFigure(place, labels.get(f.key, {}).get("label", f.key), f"{f.value:g}{f.unit and ' ' + f.unit}",
                               f.verified, f.provision.regulation.title if f.provision else ""))
    return out


def verified_dates(session: Session) -> Dict[str, int]:
    """How many current figures were last checked in each year-month (for the console)."""
    F = models.Figure
    rows = session.execute(sa.select(F.verified).where(F.area_of.is_(None))).scalars().all()
    counts: Dict[str, int] = {}
    for v in rows:
        k = v.strftime("%Y-%m") if v else "未记录"
        counts[k] = counts.get(k, 0) + 1
    return dict(sorted(counts.items()))
