"""One database for the knowledge base and the cases: engine, sessions, migrations.

``DATABASE_URL`` selects any SQLAlchemy URL (PostgreSQL in production); the
default is a SQLite file under ``var/``.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from knowledge.settings import settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def default_url() -> str:
    """The installation's database (``DATABASE_URL``, else ``var/gongyou.db``; see :mod:`knowledge.settings`)."""
    cfg = settings()
    if cfg.database_url.startswith("sqlite"):
        cfg.var_dir.mkdir(parents=True, exist_ok=True)
    return cfg.database_url


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:  # noqa: ARG001 - SQLAlchemy event signature
    # WAL lets the console read while the action server writes; wait for locks instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: Optional[str] = None) -> Engine:
    """A new engine for ``url`` (default: :func:`default_url`)."""
    url = url or default_url()
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 10})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # A database that hangs must not hang the assistant: give up on a connection after 5 s
        # and on a statement after 10 s (the channels then answer with the hotlines).
        connect_args = {"connect_timeout": 5, "options": "-c statement_timeout=10000"} \
            if url.startswith("postgresql") else {}
        engine = sa.create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10,
                                  connect_args=connect_args)
    return engine


@lru_cache(maxsize=8)
def engine_for(url: Optional[str] = None) -> Engine:
    """A shared engine per URL (one connection pool per process)."""
    return make_engine(url or default_url())


def session_factory(url: Optional[str] = None) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def upgrade(url: Optional[str] = None) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", (url or default_url()).replace("%", "%%"))
    command.upgrade(config, "head")
