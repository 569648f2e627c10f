"""Small values with an expiry that every process of an installation shares.

Redis when one is configured (``REDIS_HOST``: the scaled-out deployment), else the
database every process already shares (table ``shared_values``). Used by the WeChat
channel for its access token, the MsgIds already answered and each user's numbered
choices, so any Rasa server can take any message and one token serves them all.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from typing import Optional, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from knowledge import clock, models
from knowledge.db import session_scope
from knowledge.settings import settings

logger = logging.getLogger(__name__)


class SharedValues(Protocol):
    """The few operations the channels need."""

    def get(self, key: str) -> Optional[str]:
        """The value, or None when absent or expired."""

    def put(self, key: str, value: str, ttl: float) -> None:
        """Set the value for ``ttl`` seconds."""

    def add(self, key: str, value: str, ttl: float) -> bool:
        """Set the value only if there is none (or it expired); True when this call set it."""

    def delete(self, key: str) -> None:
        """Remove the value."""


class RedisValues:
    """Shared values in Redis (native expiry; ``add`` is SET NX)."""

    def __init__(self, client: object):
        self.client = client

    def get(self, key: str) -> Optional[str]:
        value = self.client.get(key)  # type: ignore[attr-defined]
        return value.decode("utf-8") if isinstance(value, bytes) else value

    def put(self, key: str, value: str, ttl: float) -> None:
        self.client.set(key, value, px=max(1, int(ttl * 1000)))  # type: ignore[attr-defined]

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self.client.set(key, value, px=max(1, int(ttl * 1000)), nx=True))  # type: ignore[attr-defined]

    def delete(self, key: str) -> None:
        self.client.delete(key)  # type: ignore[attr-defined]


class DatabaseValues:
    """Shared values in the ``shared_values`` table; expired rows are ignored and replaced."""

    def __init__(self, url: Optional[str] = None):
        self.url = url

    def get(self, key: str) -> Optional[str]:
        V = models.SharedValue
        with session_scope(self.url) as session:
            row = session.execute(sa.select(V.value).where(V.key == key, V.expires_at > clock.utcnow())).first()
        return row[0] if row else None

    def put(self, key: str, value: str, ttl: float) -> None:
        expires = clock.utcnow() + timedelta(seconds=ttl)
        with session_scope(self.url) as session:
            row = session.get(models.SharedValue, key)
            if row is None:
                session.add(models.SharedValue(key=key, value=value, expires_at=expires))
            else:
                row.value, row.expires_at = value, expires

    def add(self, key: str, value: str, ttl: float) -> bool:
        V = models.SharedValue
        now = clock.utcnow()
        expires = now + timedelta(seconds=ttl)
        try:
            with session_scope(self.url) as session:
                session.add(V(key=key, value=value, expires_at=expires))
            return True
        except IntegrityError:
            # Taken: only an expired value may be replaced, in one conditional UPDATE.
            with session_scope(self.url) as session:
                done = session.execute(sa.update(V).where(V.key == key, V.expires_at <= now)
                                       .values(value=value, expires_at=expires))
                return bool(done.rowcount)

    def delete(self, key: str) -> None:
        with session_scope(self.url) as session:
            session.execute(sa.delete(models.SharedValue).where(models.SharedValue.key == key))


def purge_expired(url: Optional[str] = None) -> int:
    """Delete expired rows of ``shared_values`` (run with the retention purge); how many."""
    with session_scope(url) as session:
        done = session.execute(sa.delete(models.SharedValue).where(models.SharedValue.expires_at <= clock.utcnow()))
        return int(done.rowcount or 0)


@lru_cache(maxsize=1)
def shared_values() -> SharedValues:
    """Redis when configured, else the database."""
    cfg = settings()
    if cfg.redis_configured:
        import redis

        client = redis.Redis(host=cfg.redis_host, port=cfg.redis_port, db=cfg.redis_db,
                             password=cfg.redis_password or None, socket_timeout=2, socket_connect_timeout=2)
        logger.info("shared values in Redis at %s:%s", cfg.redis_host, cfg.redis_port)
        return RedisValues(client)
    return DatabaseValues()
