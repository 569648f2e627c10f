"""The speed-ups change nothing the worker or the operator sees: same answers, same errors.

Covers the per-turn caches and single-query chain walks in ``knowledge``, Rasa's fixes
in ``bot.rasa_server`` (compared with Rasa's own code), and how ``bot.serve`` chooses
one Rasa process or several Sanic workers.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import List, Optional

import pytest
import sqlalchemy as sa

from knowledge import models, queries
from knowledge.loader import DATA_DIR, cached_figure_catalogue, figure_catalogue
from knowledge.regions import region_index

# -- knowledge: one query per chain instead of one per level ---------------------------

def _figures_per_level(session, key_prefix: str, adcode: Optional[str], day: date) -> List[queries.FigureAnswer]:
    """The lookup as it was: one query per place on the chain, most specific first."""
    from sqlalchemy.orm import joinedload

    F = models.Figure
    labels = cached_figure_catalogue()  # the same labels; parsing the file each time would take minutes here
    key_filter = sa.or_(F.key == key_prefix, F.key.like(key_prefix.rstrip(".") + ".%"))
    for code in region_index().lookup_chain(adcode):
        rows = session.execute(
            sa.select(F).options(joinedload(F.provision).joinedload(models.Provision.regulation))
            .where(key_filter, F.jurisdiction == code, queries._valid_on(day))
            .order_by(F.key, F.valid_from.desc())
        ).scalars().unique().all()
        if rows:
            seen = {}
            for row in rows:
                seen.setdefault(row.key, row)
            return [queries._figure_answer(r, labels) for r in seen.values()]
    return []


def _service_points_per_level(session, route: str, adcode: Optional[str], limit: int) -> List[int]:
    S = models.ServicePoint
    out: List[int] = []
    for code in region_index().lookup_chain(adcode):
        out.extend(session.execute(
            sa.select(S.id).where(S.route == route, S.jurisdiction == code, S.active.is_(True))
            .order_by((S.origin == models.ORIGIN_FILES).asc(), S.id)).scalars().all())
        if len(out) >= limit:
            break
    return out[:limit]


def _places(session) -> List[Optional[str]]:
    """No place, every province, and a sample of the places the knowledge base has something
    for, each with one of its districts (where local, provincial and national rules meet)."""
    codes = set(session.execute(sa.select(models.Figure.jurisdiction).distinct()).scalars())
    codes |= set(session.execute(sa.select(models.ServicePoint.jurisdiction).distinct()).scalars())
    index = region_index()
    sample = sorted(c for c in codes if index.get(c) and not c.endswith("0000"))[::40]
    sample += [child.adcode for code in sample for child in index.children(code)[:1]]
    return [None, *(r.adcode for r in index.provinces()), *sample, "320800", "320891"]


def test_figures_are_those_of_the_level_by_level_lookup(db):
    keys = sorted(figure_catalogue())
    prefixes = sorted({key.split(".")[0] for key in keys}) + keys[::12]
    for adcode in _places(db):
        for day in (date(2026, 11, 28),) if adcode else (date(2020, 1, 1), date(2026, 11, 28)):
            for prefix in prefixes:
                assert queries.figures(db, prefix, adcode, day) == _figures_per_level(db, prefix, adcode, day), \
                    (prefix, adcode, day)


def test_service_points_are_those_of_the_level_by_level_lookup(db):
    routes = sorted(set(db.execute(sa.select(models.ServicePoint.route).distinct()).scalars()))
    for adcode in _places(db):
        for route in routes:
            for limit in (1, 3, 5):
                assert [p.id for p in queries.service_points(db, route, adcode, limit)] == \
                    _service_points_per_level(db, route, adcode, limit), (route, adcode, limit)


def test_the_figure_catalogue_is_read_once_and_again_when_the_file_changes(tmp_path):
    assert cached_figure_catalogue() == figure_catalogue()
    assert cached_figure_catalogue() is cached_figure_catalogue()
    shutil.copy(DATA_DIR / "figure_keys.yml", tmp_path / "figure_keys.yml")
    first = cached_figure_catalogue(tmp_path)
    path = tmp_path / "figure_keys.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("keys:", "keys:\n  test.only: {unit: day, label: 测试}", 1),
                    encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    second = cached_figure_catalogue(tmp_path)
    assert "test.only" in second and "test.only" not in first


def test_an_answer_reads_each_figure_prefix_once(db):
    from actions.answers import compose

    counted: List[str] = []
    engine = db.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        counted.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        answer = compose(db, "maternity_protection", {"place": "440100"}, "440100", on=date(2026, 11, 28))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert any("【孕产期保护和产假】" in m["text"] for m in answer.messages)
    # Was 31 with one query per level and repeated prefixes; 16 since every route that applies is
    # shown (five service-point queries instead of three).
    assert len(counted) <= 16, len(counted)


# -- bot.rasa_server: Rasa's own behaviour, computed once -------------------------------

@pytest.fixture(scope="module")
def originals():
    """Rasa's functions before the fixes, to compare with."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    import bot.rasa_server as rasa_server

    if rasa_server._applied:
        pytest.skip("the fixes were applied before this module ran")
    saved = {"validate": RemoteAction._validate_action_result, "resolve": Event.resolve_by_type}
    rasa_server.apply_patches()
    return saved


BAD_REPLIES = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},
    {"events": [], "responses": ["text"]},
    {"events": [{"event": "slot", "name": "place", "value": "320800", "timestamp": "yesterday"}]},
]


def test_action_replies_are_checked_as_rasa_checks_them(originals):
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    action = RemoteAction("action_answer_topic", EndpointConfig("http://127.0.0.1:1/webhook"))
    good = {"events": [{"event": "slot", "name": "place", "value": "320800", "timestamp": None}],
            "responses": [{"text": "你好", "buttons": [], "custom": {"routes": []}}]}
    assert action._validate_action_result(good) is True
    assert originals["validate"](action, good) is True
    for bad in BAD_REPLIES:
        with pytest.raises(ValidationError) as ours:
            action._validate_action_result(bad)
        with pytest.raises(ValidationError) as rasas:
            originals["validate"](action, bad)
        assert ours.value.message == rasas.value.message
        assert "Failed to validate Action server response" in ours.value.message


def test_events_are_resolved_as_rasa_resolves_them(originals):
    import rasa.shared.utils.common
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet

    for cls in rasa.shared.utils.common.all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is originals["resolve"](cls.type_name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "action", "name": "action_listen"}) == ActionExecuted("action_listen")

    class LateEvent(ActionExecuted):  # defined after the first look-ups: still found
        type_name = "gongyou_test_late_event"

    assert Event.resolve_by_type("gongyou_test_late_event") is LateEvent


def test_the_sqlite_conversation_store_keeps_connections_and_writes_ahead(tmp_path):
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered

    from bot.tracker_store import MaskingSQLTrackerStore

    path = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(Domain.empty(), host=f"sqlite:///{path}")
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

    async def round_trip():
        tracker = await store.get_or_create_tracker("worker-1")
        tracker.update(UserUttered("你好", {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        return await store.retrieve("worker-1")

    again = asyncio.run(round_trip())
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["你好"]
    with sqlite3.connect(path) as raw:  # another process (the console) can read meanwhile
        assert raw.execute("SELECT count(*) FROM events WHERE sender_id='worker-1'").fetchone()[0] >= 2


# -- bot.serve: one process, or Sanic workers with Redis -------------------------------

def _settings(**env: str):
    from knowledge.settings import Settings

    return Settings.from_env({"RASA_PORT": "15005", "ACTIONS_PORT": "15055", "WEB_PORT": "18080", **env})


def test_without_redis_one_rasa_process_and_the_plain_endpoints():
    from bot import serve

    # GONGYOU_RASA_WORKERS is ignored: Rasa refuses workers without a Redis lock store.
    cfg = _settings(GONGYOU_RASA_WORKERS="3")
    items = {s.name: s for s in serve.services(cfg)}
    rasa = items["rasa"]
    assert rasa.command[1:3] == ["-m", "bot.rasa_server"]
    assert rasa.command[rasa.command.index("--endpoints") + 1] == "endpoints.yml"
    assert rasa.env["SANIC_WORKERS"] == "1" and items["actions"].env["SANIC_WORKERS"] == "1"
    assert serve.service_env(cfg)["ACTION_SERVER_URL"] == "http://127.0.0.1:15055/webhook"
    assert serve.service_env(cfg)["REDIS_HOST"] == ""


def test_with_redis_several_workers_and_the_cluster_endpoints():
    from bot import serve
    from knowledge.settings import SettingError

    cfg = _settings(REDIS_HOST="127.0.0.1")
    rasa = {s.name: s for s in serve.services(cfg)}["rasa"]
    assert rasa.command[rasa.command.index("--endpoints") + 1] == "deploy/endpoints.cluster.yml"
    assert int(rasa.env["SANIC_WORKERS"]) == max(1, min(os.cpu_count() or 1, 4))
    assert serve.service_env(cfg)["REDIS_PORT"] == "6379" and serve.service_env(cfg)["REDIS_DB"] == "0"
    assert _settings(REDIS_HOST="127.0.0.1", GONGYOU_RASA_WORKERS="3").rasa_workers == 3
    with pytest.raises(SettingError, match="GONGYOU_RASA_WORKERS"):
        _settings(REDIS_HOST="127.0.0.1", GONGYOU_RASA_WORKERS="many")


def test_the_cluster_endpoints_name_a_redis_lock_store_rasa_accepts_for_workers(monkeypatch):
    from rasa.core.utils import AvailableEndpoints, number_of_sanic_workers

    for name, value in {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0",
                        "ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook", "GONGYOU_ACTION_SECRET": "s",
                        "TRACKER_DATABASE_URL": "sqlite:///tracker.db", "SANIC_WORKERS": "2",
                        "REDIS_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(Path(__file__).resolve().parents[2] / "deploy" /
                                                      "endpoints.cluster.yml"))
    assert endpoints.lock_store.type == "bot.lock_store.AtomicRedisLockStore"  # a custom lock store: Rasa allows workers
    assert number_of_sanic_workers(endpoints.lock_store) == 2
