"""The knowledge base and case records as SQLAlchemy ORM models.

Written in the SQLAlchemy 2.0 style (``select()``, ``Session(future=True)``) on
the 1.4 line that Rasa pins. Schema changes go through Alembic migrations in
``knowledge/migrations`` so an operator's data survives an upgrade.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry, relationship
from sqlalchemy.orm.decl_api import DeclarativeMeta

from knowledge import clock

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """The declarative base, spelled out as a class so that type checkers see one."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata

    def __init__(self, **kwargs: Any) -> None:
        mapper_registry.constructor(self, **kwargs)

# Where a row came from: the reviewed data files (replaced on every `kb load`),
# or the staff console / CSV import (kept across loads, audited).
ORIGIN_FILES = "files"
ORIGIN_CONSOLE = "console"
ORIGIN_IMPORT = "import"


def utcnow() -> datetime:
    """Now, naive UTC, from the project's clock (column defaults)."""
    return clock.utcnow()


class Region(Base):
    """An administrative division (adcode tree), plus the row "000000" for the whole country."""

    __tablename__ = "regions"

    adcode = sa.Column(sa.String(32), primary_key=True)
    name = sa.Column(sa.String(64), nullable=False, index=True)
    full_name = sa.Column(sa.String(128), nullable=False)
    level = sa.Column(sa.String(16), nullable=False)  # national | province | city | district | zone
    parent_adcode = sa.Column(sa.String(32), sa.ForeignKey("regions.adcode"), nullable=True, index=True)
    longitude = sa.Column(sa.Float)
    latitude = sa.Column(sa.Float)
    mainland = sa.Column(sa.Boolean, nullable=False, default=True)


class Regulation(Base):
    """A law, regulation, interpretation or notice, in the version summarised."""

    __tablename__ = "regulations"

    id = sa.Column(sa.String(96), primary_key=True)
    title = sa.Column(sa.String(200), nullable=False)
    issuer = sa.Column(sa.String(200), nullable=False)
    doc_number = sa.Column(sa.String(100))
    kind = sa.Column(sa.String(40), nullable=False)
    jurisdiction = sa.Column(sa.String(32), sa.ForeignKey("regions.adcode"), nullable=False, index=True)
    effective = sa.Column(sa.Date, nullable=False)
    # When the text and figures were last checked against the source (kb stale lists old ones).
    verified = sa.Column(sa.Date)
    url = sa.Column(sa.String(500))
    source = sa.Column(sa.Text, nullable=False)
    origin = sa.Column(sa.String(16), nullable=False, default=ORIGIN_FILES)
    origin_file = sa.Column(sa.String(300))

    provisions = relationship("Provision", back_populates="regulation", cascade="all, delete-orphan")
    region = relationship("Region")


class Provision(Base):
    """One article (or clause) of a regulation, summarised in our own words."""

    __tablename__ = "provisions"

    id = sa.Column(sa.String(120), primary_key=True)
    regulation_id = sa.Column(sa.String(96), sa.ForeignKey("regulations.id", ondelete="CASCADE"), nullable=False, index=True)
    article = sa.Column(sa.String(60))
    topic = sa.Column(sa.String(40), nullable=False, index=True)
    summary = sa.Column(sa.Text, nullable=False)
    origin = sa.Column(sa.String(16), nullable=False, default=ORIGIN_FILES)

    regulation = relationship("Regulation", back_populates="provisions")
    figures = relationship("Figure", back_populates="provision", cascade="all, delete-orphan")


class Figure(Base):
    """A dated number (a minimum wage, a number of leave days …) and the provision it comes from.

    A new value is a new row with its own ``valid_from``; the old row keeps
    answering for its period. ``area_of`` marks copies made for each place a
    figure is assigned to (minimum-wage tiers), pointing at the tier figure.
    """

    __tablename__ = "figures"
    __table_args__ = (sa.Index("ix_figures_key_jurisdiction", "key", "jurisdiction"),)

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    key = sa.Column(sa.String(80), nullable=False)
    jurisdiction = sa.Column(sa.String(32), sa.ForeignKey("regions.adcode"), nullable=False)
    value = sa.Column(sa.Numeric(16, 4, asdecimal=False), nullable=False)
    unit = sa.Column(sa.String(24), nullable=False)
    valid_from = sa.Column(sa.Date, nullable=False)
    valid_to = sa.Column(sa.Date)
    note = sa.Column(sa.Text)
    # When the number was last checked (its regulation's date unless the figure has its own).
    verified = sa.Column(sa.Date)
    # For published statistics (average wages): the year the figure describes, not the year it is used.
    statistic_year = sa.Column(sa.Integer)
    provision_id = sa.Column(sa.String(120), sa.ForeignKey("provisions.id", ondelete="CASCADE"), nullable=False, index=True)
    area_of = sa.Column(sa.Integer, sa.ForeignKey("figures.id", ondelete="CASCADE"), nullable=True)
    origin = sa.Column(sa.String(16), nullable=False, default=ORIGIN_FILES)

    provision = relationship("Provision", back_populates="figures")

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class ServicePoint(Base):
    """A place to send a worker: hotline, arbitration body, legal aid centre, union …"""

    __tablename__ = "service_points"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    route = sa.Column(sa.String(32), nullable=False, index=True)
    jurisdiction = sa.Column(sa.String(32), sa.ForeignKey("regions.adcode"), nullable=False, index=True)
    name = sa.Column(sa.String(200), nullable=False)
    address = sa.Column(sa.String(300))
    phone = sa.Column(sa.String(100))
    hours = sa.Column(sa.String(200))
    url = sa.Column(sa.String(500))
    verified = sa.Column(sa.Date)
    source = sa.Column(sa.Text)
    note = sa.Column(sa.Text)
    origin = sa.Column(sa.String(16), nullable=False, default=ORIGIN_FILES)
    active = sa.Column(sa.Boolean, nullable=False, default=True)


class Case(Base):
    """A worker's case, handed over by the bot to a human. Never deleted by a status change."""

    __tablename__ = "cases"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    reference = sa.Column(sa.String(32), nullable=False, unique=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    status = sa.Column(sa.String(16), nullable=False, default="new", index=True)
    urgency = sa.Column(sa.String(16), nullable=False, default="normal", index=True)  # emergency | high | normal
    reason = sa.Column(sa.String(32), nullable=False)  # requested | emergency | misunderstood
    topic = sa.Column(sa.String(40), index=True)
    place_adcode = sa.Column(sa.String(32), sa.ForeignKey("regions.adcode"), nullable=True)
    province_adcode = sa.Column(sa.String(32), index=True)
    facts = sa.Column(sa.JSON, nullable=False, default=dict)
    deadlines = sa.Column(sa.JSON, nullable=False, default=list)
    summary = sa.Column(sa.Text, nullable=False, default="")
    transcript = sa.Column(sa.JSON, nullable=False, default=list)
    sender_id = sa.Column(sa.String(255), index=True)
    channel = sa.Column(sa.String(32))
    callback_phone = sa.Column(sa.String(32))
    consent_at = sa.Column(sa.DateTime)
    # A keyed hash of the address the worker wrote from (never the address): limits cases per address.
    client_ref = sa.Column(sa.String(64), index=True)

    events = relationship("CaseEvent", back_populates="case", order_by="CaseEvent.id")


class CaseEvent(Base):
    """Something that happened to a case: created, status changed, note added (who and when)."""

    __tablename__ = "case_events"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    case_id = sa.Column(sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True)
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    actor = sa.Column(sa.String(80), nullable=False)
    kind = sa.Column(sa.String(24), nullable=False)  # created | status | note | consent
    from_status = sa.Column(sa.String(16))
    to_status = sa.Column(sa.String(16))
    note = sa.Column(sa.Text)

    case = relationship("Case", back_populates="events")


class StaffUser(Base):
    """A hotline operator or administrator of the staff console."""

    __tablename__ = "staff_users"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(80), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(300), nullable=False)
    role = sa.Column(sa.String(16), nullable=False)  # staff | admin
    failed_logins = sa.Column(sa.Integer, nullable=False, default=0)
    locked_until = sa.Column(sa.DateTime)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    active = sa.Column(sa.Boolean, nullable=False, default=True)


class StaffSession(Base):
    """A login to the staff console, kept on the server so that it can be ended at once.

    The browser holds a random token; only its SHA-256 is stored.
    """

    __tablename__ = "staff_sessions"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_seen = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    address = sa.Column(sa.String(64))
    ended_at = sa.Column(sa.DateTime)

    user = relationship("StaffUser")


class LoginEvent(Base):
    """One attempt to log in to the staff console: when, which name, from where, and whether it worked."""

    __tablename__ = "login_events"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    name = sa.Column(sa.String(80), nullable=False)
    address = sa.Column(sa.String(64))
    success = sa.Column(sa.Boolean, nullable=False)
    reason = sa.Column(sa.String(32))  # password | locked | unknown | disabled | rate_limited


class AuditEntry(Base):
    """Who changed what in the knowledge base, when, and the values before and after."""

    __tablename__ = "audit_log"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    actor = sa.Column(sa.String(80), nullable=False)
    entity = sa.Column(sa.String(40), nullable=False)
    entity_id = sa.Column(sa.String(120))
    action = sa.Column(sa.String(24), nullable=False)
    before = sa.Column(sa.JSON)
    after = sa.Column(sa.JSON)


class SharedValue(Base):
    """A small value every process of the installation sees, until it expires (without Redis).

    The WeChat channel keeps its access token, the MsgIds already answered and each user's
    numbered choices here, so that any Rasa server can take any message.
    """

    __tablename__ = "shared_values"

    key = sa.Column(sa.String(200), primary_key=True)
    value = sa.Column(sa.Text, nullable=False)
    expires_at = sa.Column(sa.DateTime, nullable=False, index=True)


class Meta(Base):
    """Small facts about the database itself (e.g. the checksum of the loaded data files)."""

    __tablename__ = "kb_meta"

    key = sa.Column(sa.String(64), primary_key=True)
    value = sa.Column(sa.Text, nullable=False)
