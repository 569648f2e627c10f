"""Rasa's SQL tracker store, storing events with personal numbers masked.

ID-card, bank-card and phone numbers in user and bot texts, entities and slot
values are masked (last four digits kept) before an event is written. The turn
that is running still sees the real value, so the consented callback number
reaches the case record (which keeps it); the stored conversation never does.

Configured in endpoints.yml as ``type: bot.tracker_store.MaskingSQLTrackerStore``;
without a ``url`` there it uses ``TRACKER_DATABASE_URL`` (default: ``var/tracker.db``).

On a SQLite file (the default, one machine) the store keeps its connections in
a pool and uses write-ahead logging with ``synchronous=NORMAL``: Rasa would open
a new connection for every read and write, and SQLite's default journal syncs
the disk several times per commit (10-20 ms a message on a busy disk). The
file stays crash-safe for the application (a power cut may lose the last
messages, never corrupt it), and it waits for locks instead of failing when
several Rasa workers share it. Other databases are left as Rasa configures them.
"""
from __future__ import annotations

from typing import Any, Iterator, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge.privacy import mask_pii
from knowledge.settings import settings


def mask_value(value: Any) -> Any:
    """``value`` with every string inside it masked (dicts and lists walked)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e10:
        # A phone or card number read as an amount (money entity 13912345678.0): no wage is that big.
        digits = str(int(abs(value)))
        return "*" * (len(digits) - 4) + digits[-4:]
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return value


def masked_event(event: Event) -> Event:
    """A copy of ``event`` with personal numbers masked (the same event when nothing changes)."""
    data = event.as_dict()
    masked = mask_value(data)
    if masked == data:
        return event
    return Event.from_parameters(masked) or event


def is_sqlite_file(url: Any) -> bool:
    """True for a SQLite database in a file (not in memory)."""
    text = str(url)
    return text.startswith("sqlite") and ":memory:" not in text and text.rstrip("/") not in ("sqlite:", "sqlite")


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:  # noqa: ARG001 - event signature
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class MaskingSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` that never writes a personal number to the database."""

    def __init__(self, *args: Any, host: Optional[Text] = None, **kwargs: Any) -> None:
        if not host and not kwargs.get("dialect") and not args:
            host = settings().tracker_database_url
        super().__init__(*args, host=host, **kwargs)
        engine: sa.engine.Engine = self.__dict__["engine"]  # set by SQLTrackerStore.__init__
        if is_sqlite_file(engine.url):
            url = engine.url
            engine.dispose()  # the table-creating engine predates the pragmas
            # SQLAlchemy 1.4 gives file databases a NullPool (a connection per session): keep them.
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                                           connect_args={"check_same_thread": False, "timeout": 30})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        events: List[Event] = list(super()._additional_events(session, tracker))
        return iter([masked_event(event) for event in events])
