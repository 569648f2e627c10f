"""The staff console's case queue: filters, search, pages and exports.

A filter is plain data (read from and written back to a URL query), so the same
filter drives the page, its "next page" link and the CSV / Excel export. Exports
mask personal numbers (the callback number and any number in the summary), and
every export and every opened case is recorded in the audit log with who and
when: access to case data is logged (个人信息保护法 第五十一条, 第五十五条).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.cases import STATUS_NAMES
from knowledge.places import resolve_place
from knowledge.privacy import mask_pii
from knowledge.regions import region_index
from knowledge.taxonomy import TOPICS

PER_PAGE = 50
# An export is for a filtered list, not a dump of the database.
EXPORT_LIMIT = 10_000
_REFERENCE = re.compile(r"GY-?[0-9A-Z]{2,}(?:-[0-9A-Z]+)?", re.I)
_LAST_FOUR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class CaseFilter:
    """What the operator asked for: the select boxes and one search box.

    ``q`` is read as a case number ("GY-261128-233T" or part of it), as the last four
    digits of the callback number ("5678"), or else as words of the summary.
    ``place`` is a place name ("淮安", "江苏淮安"): the place and everything inside it.
    """

    status: str = ""
    topic: str = ""
    province: str = ""
    place: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "CaseFilter":
        """The filter in a URL query; unknown values are dropped, text is trimmed and capped."""
        status = query.get("status", "")
        topic = query.get("topic", "")
        province = query.get("province", "")
        return cls(status=status if status in STATUS_NAMES else "",
                   topic=topic if topic in TOPICS else "",
                   province=province if province.isdigit() and len(province) == 6 else "",
                   place=(query.get("place") or "").strip()[:40], q=(query.get("q") or "").strip()[:80])

    def as_query(self, **extra: Any) -> str:
        """This filter as a URL query (empty values left out), with ``extra`` parameters added."""
        values = {k: v for k, v in asdict(self).items() if v}
        values.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(values)

    def describe(self) -> Dict[str, str]:
        """The non-empty parts, for the audit log."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass
class CasePage:
    """One page of the queue."""

    cases: List[models.Case]
    total: int
    page: int
    pages: int
    place_found: bool = True  # False when ``place`` named no known place (nothing is then shown)


def _where(f: CaseFilter) -> Optional[List[Any]]:
    """The SQL conditions of ``f``; None when the filter cannot match anything."""
    C = models.Case
    conditions: List[Any] = []
    if f.status:
        conditions.append(C.status == f.status)
    if f.topic:
        conditions.append(C.topic == f.topic)
    if f.province:
        conditions.append(C.province_adcode == f.province)
    if f.place:
        region = resolve_place(f.place)
        if region is None:
            return None
        conditions.append(C.place_adcode.in_(_inside(region.adcode)))
    if f.q:
        text = f.q
        if _REFERENCE.fullmatch(text.replace(" ", "")):
            conditions.append(sa.func.upper(C.reference).contains(text.replace(" ", "").upper(), autoescape=True))
        elif _LAST_FOUR.fullmatch(text):
            conditions.append(sa.or_(C.callback_phone.endswith(text, autoescape=True),
                                     C.reference.contains(text, autoescape=True)))
        else:
            words = [w for w in re.split(r"\s+", text) if w]
            conditions.extend(sa.or_(C.summary.contains(w, autoescape=True), C.reference.contains(w, autoescape=True))
                              for w in words)
    return conditions


@lru_cache(maxsize=256)
def _inside(adcode: str) -> Tuple[str, ...]:
    """``adcode`` and every region under it."""
    index = region_index()
    return tuple(code for code in index.by_code if index.is_within(code, adcode)) or (adcode,)


def _ordered(query: Any) -> Any:
    C = models.Case
    urgency_rank = sa.case({"emergency": 0, "high": 1}, value=C.urgency, else_=2)
    open_first = sa.case({"closed": 1}, value=C.status, else_=0)
    return query.order_by(open_first, urgency_rank, C.created_at.desc(), C.id.desc())


def find_cases(session: Session, f: CaseFilter, page: int = 1, per_page: int = PER_PAGE) -> CasePage:
    """The cases matching ``f``: open before closed, most urgent first, then newest; one page of them."""
    conditions = _where(f)
    if conditions is None:
        return CasePage([], 0, 1, 1, place_found=False)
    C = models.Case
    total = session.execute(sa.select(sa.func.count()).select_from(C).where(*conditions)).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(_ordered(sa.select(C).where(*conditions)).offset((page - 1) * per_page)
                           .limit(per_page)).scalars()
    return CasePage(list(rows), total, page, pages)


EXPORT_COLUMNS = ("案件编号", "创建时间（UTC）", "状态", "紧急程度", "原因", "问题", "地区", "回电号码", "摘要")
_URGENCY = {"emergency": "紧急", "high": "优先", "normal": "一般"}
_REASON = {"requested": "本人要求", "emergency": "紧急情况", "misunderstood": "机器人没听懂"}


def export_rows(session: Session, f: CaseFilter, limit: int = EXPORT_LIMIT) -> List[Sequence[str]]:
    """The cases matching ``f`` as rows of text (header first), personal numbers masked."""
    rows: List[Sequence[str]] = [EXPORT_COLUMNS]
    conditions = _where(f)
    if conditions is None:
        return rows
    index = region_index()
    for c in session.execute(_ordered(sa.select(models.Case).where(*conditions)).limit(limit)).scalars():
        phone = c.callback_phone or ""
        rows.append((c.reference, c.created_at.strftime("%Y-%m-%d %H:%M"), STATUS_NAMES.get(c.status, c.status),
                     _URGENCY.get(c.urgency, c.urgency), _REASON.get(c.reason, c.reason),
                     TOPICS.get(c.topic or "", ""), index.full_name(c.place_adcode) if c.place_adcode else "",
                     "*" * max(len(phone) - 4, 0) + phone[-4:], mask_pii(c.summary or "")))
    return rows


def _safe_cell(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (CSV injection: =, +, -, @ at the start)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so that Excel on Windows opens the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_safe_cell(str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    """An Excel workbook: one sheet, the header row frozen and bold, columns wide enough to read."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "案件"
    for row in rows:
        sheet.append([_safe_cell(str(v)) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (18, 17, 8, 8, 12, 14, 24, 14, 80)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, min_col=9, max_col=9):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def record_access(session: Session, actor: str, action: str, reference: Optional[str] = None,
                  detail: Optional[Dict[str, Any]] = None) -> None:
    """Log that ``actor`` opened a case, printed it or exported a list (``action``: view | print | export)."""
    session.add(models.AuditEntry(actor=actor, entity="case", entity_id=reference, action=action, before=None,
                                  after=detail or None))


def access_log(session: Session, limit: int = 100) -> List[models.AuditEntry]:
    """The latest case accesses, newest first."""
    A = models.AuditEntry
    return list(session.execute(sa.select(A).where(A.entity == "case").order_by(A.id.desc()).limit(limit)).scalars())
