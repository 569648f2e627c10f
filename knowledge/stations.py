"""Importing a union's own list of service points from CSV, row by row.

Columns (header row required): route, jurisdiction, name, address, phone,
hours, url, verified, source, note. ``jurisdiction`` may be an adcode or a
place name ("淮安市", "江苏省淮安市清江浦区"). Every rejected row is reported
with its line and reason; accepted rows are added, or update the row with the
same route, place and name from an earlier import. Each change is audited.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import sqlalchemy as sa
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.loader import validate_service_point
from knowledge.places import resolve_place
from knowledge.regions import region_index

COLUMNS = ("route", "jurisdiction", "name", "address", "phone", "hours", "url", "verified", "source", "note")


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    rejected: List[str] = field(default_factory=list)

    def lines(self) -> List[str]:
        out = [f"added {self.added}, updated {self.updated}, rejected {len(self.rejected)}"]
        out += [f"  rejected {r}" for r in self.rejected]
        return out

    def as_dict(self) -> Dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "rejected": self.rejected}


def _jurisdiction(value: str) -> Optional[str]:
    value = (value or "").strip()
    if value in ("000000", "全国"):
        return "000000"
    region = region_index().get(value) if value.isdigit() else resolve_place(value)
    return region.adcode if region else None


def _snapshot(point: models.ServicePoint) -> Dict[str, Any]:
    return {c: (str(getattr(point, c)) if getattr(point, c) is not None else None) for c in COLUMNS}


def import_csv(session: Session, source: Union[str, Path, io.TextIOBase], actor: str) -> ImportReport:
    """Import service points from a CSV file path or text stream (inside the caller's transaction)."""
    report = ImportReport()
    if isinstance(source, (str, Path)):
        label = Path(source).name
        raw = Path(source).read_bytes()
        text = raw.decode("utf-8-sig") if not raw.startswith(b"\xff\xfe") else raw.decode("utf-16")
    else:
        label = "upload"
        text = source.read()
    reader = csv.DictReader(io.StringIO(text))
    missing = {"route", "jurisdiction", "name"} - set(reader.fieldnames or [])
    if missing:
        report.rejected.append(f"{label}:1: header lacks column(s) {', '.join(sorted(missing))}")
        return report
    S = models.ServicePoint
    for row in reader:
        line = reader.line_num
        record = {c: (row.get(c) or "").strip() or None for c in COLUMNS}
        code = _jurisdiction(record["jurisdiction"] or "")
        if code is None:
            report.rejected.append(f"{label}:{line}: jurisdiction {record['jurisdiction']!r} is not a known place")
            continue
        record["jurisdiction"] = code
        checked, errors = validate_service_point(record, Path(label), line)
        if errors or checked is None:
            report.rejected.extend(e.replace(f"{label}:{line}:", f"{label}:{line}:") for e in errors)
            continue
        existing = session.execute(sa.select(S).where(
            S.route == checked["route"], S.jurisdiction == checked["jurisdiction"], S.name == checked["name"],
            S.origin == models.ORIGIN_IMPORT)).scalars().first()
        if existing is None:
            point = S(**checked, origin=models.ORIGIN_IMPORT, active=True)
            session.add(point)
            session.flush()
            session.add(models.AuditEntry(actor=actor, entity="service_point", entity_id=str(point.id),
                                          action="import_add", before=None, after=_snapshot(point)))
            report.added += 1
        else:
            before = _snapshot(existing)
            for k, v in checked.items():
                setattr(existing, k, v)
            existing.active = True
            session.flush()
            after = _snapshot(existing)
            if after != before:
                session.add(models.AuditEntry(actor=actor, entity="service_point", entity_id=str(existing.id),
                                              action="import_update", before=before, after=after))
                report.updated += 1
    return report
