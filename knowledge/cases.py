"""Cases handed from the bot to a human, and their life in the staff console.

A case is written in one transaction with its "created" event. If the database
cannot be reached, the case is appended to a spool file under ``var/`` and
written later (on the next case, or at start-up), so a case once recorded is
never lost. Status changes and notes are events; nothing is ever deleted.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from knowledge import clock, models
from knowledge.privacy import mask_pii
from knowledge.regions import region_index
from knowledge.settings import settings
from knowledge.taxonomy import TOPICS
from knowledge.topics import summary_lines

logger = logging.getLogger(__name__)

STATUSES = ("new", "in_progress", "referred", "closed")
STATUS_NAMES = {"new": "新建", "in_progress": "处理中", "referred": "已转介", "closed": "已结案"}
# Allowed moves; "closed" can be reopened into "in_progress".
TRANSITIONS = {
    "new": ("in_progress", "referred", "closed"),
    "in_progress": ("referred", "closed"),
    "referred": ("in_progress", "closed"),
    "closed": ("in_progress",),
}
URGENCY_ORDER = {"emergency": 0, "high": 1, "normal": 2}
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
_SPOOL_LOCK = threading.Lock()


def spool_path() -> Path:
    """The file where cases wait while the database is unreachable."""
    path = settings().spool_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def new_reference(today: Optional[date] = None) -> str:
    """GY-261124-7KQ4: date and four characters that are easy to read aloud."""
    day = today or clock.today()
    return f"GY-{day:%y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(4))


@dataclass
class CaseDraft:
    """What the bot knows when it hands a conversation over."""

    reason: str  # requested | emergency | misunderstood
    sender_id: str
    channel: Optional[str] = None
    topic: Optional[str] = None
    place_adcode: Optional[str] = None
    facts: Dict[str, Any] = field(default_factory=dict)
    deadlines: List[Dict[str, Any]] = field(default_factory=list)
    transcript: List[Dict[str, Any]] = field(default_factory=list)
    callback_phone: Optional[str] = None
    consent: bool = False
    client_ref: Optional[str] = None  # keyed hash of the client's address (see knowledge.settings)
    reference: str = field(default_factory=new_reference)
    created_at: str = field(default_factory=lambda: clock.utcnow().isoformat())

    @property
    def urgency(self) -> str:
        if self.reason == "emergency":
            return "emergency"
        soon = [d for d in self.deadlines if isinstance(d.get("days_left"), (int, float)) and 0 <= d["days_left"] <= 30]
        return "high" if soon else "normal"


def summarise(topic: Optional[str], place_adcode: Optional[str], facts: Dict[str, Any], reason: str) -> str:
    """A one-paragraph summary an operator reads first."""
    parts = []
    reasons = {"requested": "用户要求转人工", "emergency": "紧急情况", "misunderstood": "机器人多次未能理解"}
    parts.append(reasons.get(reason, reason))
    if topic:
        parts.append(f"问题：{TOPICS.get(topic, topic)}")
    if place_adcode and region_index().get(place_adcode):
        parts.append(f"地区：{region_index().full_name(place_adcode)}")
    parts.extend(summary_lines(facts))  # the facts' labels and units live in the topic specification
    return mask_pii("；".join(parts))


def _insert(session: Session, draft: CaseDraft) -> models.Case:
    place = draft.place_adcode if draft.place_adcode and region_index().get(draft.place_adcode) else None
    transcript = [{**turn, "text": mask_pii(str(turn.get("text", "")))} for turn in draft.transcript]
    case = models.Case(
        reference=draft.reference, status="new", urgency=draft.urgency, reason=draft.reason, topic=draft.topic,
        place_adcode=place, province_adcode=(place[:2] + "0000") if place else None, facts=draft.facts,
        deadlines=draft.deadlines, summary=summarise(draft.topic, place, draft.facts, draft.reason),
        transcript=transcript, sender_id=draft.sender_id, channel=draft.channel,
        callback_phone=draft.callback_phone if draft.consent else None,
        consent_at=clock.utcnow() if draft.consent and draft.callback_phone else None,
        created_at=datetime.fromisoformat(draft.created_at), client_ref=draft.client_ref,
    )
    session.add(case)
    session.flush()
    session.add(models.CaseEvent(case_id=case.id, actor="bot", kind="created", to_status="new",
                                 note=f"由机器人创建（{draft.reason}）"))
    if case.consent_at:
        session.add(models.CaseEvent(case_id=case.id, actor="bot", kind="consent", note="用户同意留下回电号码"))
    return case


def record_case(session_factory: sessionmaker, draft: CaseDraft) -> str:
    """Write the case; on database failure keep it in the spool. Returns the reference either way."""
    flush_spool(session_factory)
    for _ in range(3):
        try:
            with session_factory() as session, session.begin():
                _insert(session, draft)
            return draft.reference
        except IntegrityError:
            draft.reference = new_reference()  # the rare reference collision: draw again
        except SQLAlchemyError as exc:
            logger.error("case %s not written to the database (%s); spooled", draft.reference, exc)
            break
    _spool(draft)
    return draft.reference


def _spool(draft: CaseDraft) -> None:
    record = {**draft.__dict__,
              "transcript": [{**turn, "text": mask_pii(str(turn.get("text", "")))} for turn in draft.transcript]}
    with _SPOOL_LOCK, open(spool_path(), "a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        out.flush()
        os.fsync(out.fileno())


def spooled() -> int:
    """How many cases wait in the spool for the database."""
    path = spool_path()
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def flush_spool(session_factory: sessionmaker) -> int:
    """Write spooled cases to the database; keep any that still fail. Returns how many were written."""
    path = spool_path()
    with _SPOOL_LOCK:
        if not path.exists() or path.stat().st_size == 0:
            return 0
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        remaining, written = [], 0
        for line in lines:
            draft = CaseDraft(**json.loads(line))
            try:
                with session_factory() as session, session.begin():
                    exists = session.execute(sa.select(models.Case.id).where(
                        models.Case.reference == draft.reference)).first()
                    if not exists:
                        _insert(session, draft)
                written += 1
            except (OperationalError, SQLAlchemyError):
                remaining.append(line)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in remaining), encoding="utf-8")
        tmp.replace(path)
        return written


def recent_case(session: Session, client_ref: Optional[str], limit: int, within: timedelta = timedelta(hours=1),
                now: Optional[datetime] = None) -> Optional[models.Case]:
    """The newest case from ``client_ref`` when it has opened ``limit`` or more within ``within``, else None."""
    if not client_ref:
        return None
    now = now or clock.utcnow()
    C = models.Case
    rows = session.execute(sa.select(C).where(C.client_ref == client_ref, C.created_at > now - within)
                           .order_by(C.created_at.desc()).limit(limit)).scalars().all()
    return rows[0] if len(rows) >= limit else None


def update_callback(session: Session, reference: str, phone: Optional[str], consent: bool,
                    sender_id: Optional[str] = None) -> bool:
    """Record (or withdraw) consent to be called back, with the number only when consented.

    With ``sender_id`` only that conversation's own case can be changed.
    """
    case = session.execute(sa.select(models.Case).where(models.Case.reference == reference)).scalars().first()
    if case is None or (sender_id is not None and case.sender_id != sender_id):
        return False
    case.callback_phone = phone if consent and phone else None
    case.consent_at = clock.utcnow() if consent and phone else None
    session.add(models.CaseEvent(case_id=case.id, actor="bot", kind="consent",
                                 note="用户同意留下回电号码" if consent and phone else "用户不需要回电"))
    return True


def change_status(session: Session, case: models.Case, to_status: str, actor: str, note: Optional[str] = None) -> None:
    """Move a case along the workflow, recording who did it; refuses moves the workflow does not allow."""
    if to_status not in TRANSITIONS.get(case.status, ()):
        raise ValueError(f"不能从“{STATUS_NAMES[case.status]}”改为“{STATUS_NAMES.get(to_status, to_status)}”")
    session.add(models.CaseEvent(case_id=case.id, actor=actor, kind="status", from_status=case.status,
                                 to_status=to_status, note=note))
    case.status = to_status


def add_note(session: Session, case: models.Case, actor: str, note: str) -> None:
    session.add(models.CaseEvent(case_id=case.id, actor=actor, kind="note", note=note))
    case.updated_at = clock.utcnow()


def forget_callback_numbers(session: Session, closed_before: datetime, dry_run: bool = False) -> int:
    """Remove the callback number of cases closed before ``closed_before`` (it was for one call-back only).

    The case itself, its facts, summary and history stay. Returns how many numbers were (or would be) removed.
    """
    C, E = models.Case, models.CaseEvent
    last_closed = (sa.select(E.case_id, sa.func.max(E.at).label("closed_at"))
                   .where(E.kind == "status", E.to_status == "closed").group_by(E.case_id).subquery())
    rows = session.execute(
        sa.select(C).join(last_closed, last_closed.c.case_id == C.id)
        .where(C.status == "closed", C.callback_phone.is_not(None), last_closed.c.closed_at < closed_before)
    ).scalars().all()
    if dry_run:
        return len(rows)
    for case in rows:
        case.callback_phone = None
        session.add(models.CaseEvent(case_id=case.id, actor="system", kind="note",
                                     note="回电号码已按保存期限删除"))
    return len(rows)
