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
