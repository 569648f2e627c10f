"""Values shared by every process, in the database (used when no Redis is configured)."""
from __future__ import annotations

import uuid

from bot.shared_state import DatabaseValues, purge_expired
from knowledge import clock


def test_a_value_is_seen_until_it_expires(kb_url):
    values, key = DatabaseValues(kb_url), "test:" + uuid.uuid4().hex
    with clock.frozen("2026-11-28T10:00:00+08:00"):
        values.put(key, "token-1", ttl=60)
        assert values.get(key) == "token-1"
        values.put(key, "token-2", ttl=60)
        assert values.get(key) == "token-2"
    with clock.frozen("2026-11-28T10:01:01+08:00"):
        assert values.get(key) is None


def test_add_sets_a_value_once_and_again_only_after_it_expired(kb_url):
    values, key = DatabaseValues(kb_url), "test:msg:" + uuid.uuid4().hex
    with clock.frozen("2026-11-28T10:00:00+08:00"):
        assert values.add(key, "1", ttl=600) is True
        assert values.add(key, "1", ttl=600) is False  # WeChat's retry, on any server: not answered twice
    with clock.frozen("2026-11-28T10:10:01+08:00"):
        assert values.add(key, "1", ttl=600) is True
        values.delete(key)
        assert values.get(key) is None


def test_expired_values_are_purged(kb_url):
    values, key = DatabaseValues(kb_url), "test:old:" + uuid.uuid4().hex
    with clock.frozen("2026-11-28T10:00:00+08:00"):
        values.put(key, "x", ttl=1)
    with clock.frozen("2026-11-29T10:00:00+08:00"):
        assert purge_expired(kb_url) >= 1
    with clock.frozen("2026-11-28T10:00:00+08:00"):
        assert values.get(key) is None
