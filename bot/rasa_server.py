"""``python -m bot.rasa_server run …``: Rasa's own command line, with the project's
performance fixes applied first.

The fixes change no behaviour, only what is computed again and again:

* Rasa checks every action server reply against a JSON schema with
  ``jsonschema.validate(reply, schema)``, which first re-validates the (constant)
  schema itself against the JSON Schema meta-schema: about 20 ms of CPU per
  custom-action call, and this assistant calls the action server two or three
  times per message (slot validation on every message, then the answer). The
  schema is now checked once and its validator reused; a bad reply still
  raises the same ``ValidationError`` with the same message.
* Every event read from the conversation store or an action server reply is
  matched to its class by walking all subclasses of ``Event`` (about 30,
  recursively, with ``inspect.isabstract`` on each): half the time of reading a
  conversation. The name → class map is now built once (and rebuilt when an
  unknown name appears, so events defined later are still found).
* The SQL tracker store on SQLite (the default, one machine): Rasa opens a new
  connection for every read and write and SQLite's default journal syncs the disk
  several times per commit, 10-20 ms per message on a busy disk. Connections are
  now kept in a pool and the file uses write-ahead logging with
  ``synchronous=NORMAL`` (still crash-safe for the application; a power cut can
  lose the last messages, never corrupt the file) and waits for locks instead
  of failing when several Rasa workers share the file. Other databases
  (PostgreSQL) are left as Rasa configures them.

``bot.serve`` starts the Rasa server through this module; ``rasa run`` itself
works too, only slower.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, Text

_applied = False


def _cached_validator(cls: type) -> Any:
    validator = cls.__dict__.get("_gongyou_validator")
    if validator is None:
        from jsonschema.validators import validator_for

        schema = cls.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)  # once, as jsonschema.validate would on every call
        validator = validator_class(schema)
        setattr(cls, "_gongyou_validator", validator)
    return validator


def _is_sqlite_file(url: Any) -> bool:
    text = str(url)
    return text.startswith("sqlite") and ":memory:" not in text and text.rstrip("/") not in ("sqlite:", "sqlite")


def _sqlite_tracker_pragmas(dbapi_connection: Any, connection_record: Any) -> None:  # noqa: ARG001
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _patch_sql_tracker_store() -> None:
    import sqlalchemy as sa
    from rasa.core import tracker_store

    original_kwargs = tracker_store.create_engine_kwargs
    original_init = tracker_store.SQLTrackerStore.__init__

    def create_engine_kwargs(url: Any) -> Dict[Text, Any]:
        kwargs = original_kwargs(url)
        if _is_sqlite_file(url):
            # SQLAlchemy 1.4 gives file databases a NullPool (connect per session); keep them.
            kwargs.setdefault("poolclass", sa.pool.QueuePool)
            kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        return kwargs

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if _is_sqlite_file(self.engine.url):
            sa.event.listen(self.engine, "connect", _sqlite_tracker_pragmas)
            self.engine.dispose()  # the table-creating connection predates the pragmas

    tracker_store.create_engine_kwargs = create_engine_kwargs
    tracker_store.SQLTrackerStore.__init__ = __init__  # type: ignore[method-assign]


def _patch_event_lookup() -> None:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    classes: Dict[Text, Any] = {}

    def _event_class(type_name: Text) -> Any:
        found = classes.get(type_name)
        if found is None:
            # First match in Rasa's own order, as Event.resolve_by_type returns it.
            for cls in rasa.shared.utils.common.all_subclasses(Event):
                classes.setdefault(cls.type_name, cls)
            found = classes.get(type_name)
        return found

    def resolve_by_type(type_name: Text, default: Any = None) -> Any:
        """Returns a slots class by its type name."""
        found = _event_class(type_name)
        if found is not None:
            return found
        if type_name == "topic":
            return None  # backwards compatibility to support old TopicSet evts
        elif default is not None:
            return default
        else:
            raise ValueError(f"Unknown event name '{type_name}'.")

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]


def apply_patches() -> None:
    """Install the fixes (idempotent)."""
    global _applied
    if _applied:
        return
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        # Same as RemoteAction._validate_action_result in Rasa 3.6, with the validator reused:
        # jsonschema.validate() raises best_match(iter_errors(...)) after checking the schema.
        error = best_match(_cached_validator(type(self)).iter_errors(result))
        if error is not None:
            e: ValidationError = error
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    _patch_sql_tracker_store()
    _patch_event_lookup()
    _applied = True


def main() -> None:
    """Apply the fixes, then run Rasa's command line with our arguments."""
    apply_patches()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
