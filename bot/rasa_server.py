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

It also fills in what the endpoints file leaves to the installation
(:mod:`knowledge.settings`), so no secret is ever on a command line or in a file
under version control:

* the HTTP API token (``--auth-token``) with ``--enable-api``, read here, not
  passed in the command line where ``ps`` shows it;
* the action server's URL (``ACTION_SERVER_URL``), the shared secret header the
  action server requires (``GONGYOU_ACTION_SECRET``) unless the endpoints file
  sets one, and a short timeout for action calls (``GONGYOU_ACTION_TIMEOUT``,
  default 4 s; Rasa waits five minutes): when an action call hangs the REST and
  WeChat channels answer with the hotlines instead of leaving the worker waiting.

Every deployment starts Rasa through this module (``make run``, the Dockerfile,
docker-compose, the cluster test, the benchmark; ``tests/unit/test_launchers.py``
checks it). Plain ``rasa run`` works in the project too (with the files' local
defaults), only slower and without the action secret.
"""
from __future__ import annotations

import logging
import sys
from typing import Any, Dict, List, Text

_applied = False


def _cached_validator(cls: type) -> Any:
    validator = cls.__dict__.get("_gongyou_validator")
    if validator is None:
        from jsonschema.validators import validator_for

        schema = getattr(cls, "action_response_format_spec")()  # noqa: B009 - on RemoteAction subclasses
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)  # once, as jsonschema.validate would on every call
        validator = validator_class(schema)
        setattr(cls, "_gongyou_validator", validator)  # noqa: B010 - a class attribute Rasa does not declare
    return validator


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

    Event.resolve_by_type = staticmethod(resolve_by_type)


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

    RemoteAction._validate_action_result = _validate_action_result
    _patch_event_lookup()
    _applied = True


ACTION_SECRET_HEADER = "X-Gongyou-Action-Secret"


def _answer_when_actions_fail() -> None:
    """An action call that times out or cannot connect ends the turn with the hotline notice.

    Rasa would log the error, drop the action's events and go on predicting: a form would call
    the hung server again and again, and the worker would wait for minutes and get nothing.
    """
    import asyncio

    import aiohttp
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import BotUttered, FollowupAction

    from bot.channels.guard import service_notice

    run = RemoteAction.run
    if getattr(run, "_gongyou", False):
        return

    from collections import OrderedDict

    # Turns (sender, time of the user's message) in which an action call already failed: the rest
    # of that turn's action calls are skipped, so the worker waits for one timeout, not several.
    failed_turns: "OrderedDict[Any, bool]" = OrderedDict()

    def unreachable(error: BaseException) -> bool:
        # RasaException wraps a refused connection; a hung server shows as a timeout.
        return isinstance(error, (asyncio.TimeoutError, aiohttp.ClientConnectionError)) or \
            isinstance(error.__cause__, (asyncio.TimeoutError, aiohttp.ClientConnectionError)) or \
            "Couldn't connect" in str(error)

    async def guarded(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        message = tracker.latest_message
        turn = (tracker.sender_id, getattr(message, "timestamp", None))
        if turn in failed_turns:
            return [FollowupAction("action_listen")]
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except Exception as error:
            if not unreachable(error):
                raise
            logging.getLogger(__name__).error("action %s failed (%s): answering with the hotlines",
                                              self.name(), type(error).__name__)
        failed_turns[turn] = True
        while len(failed_turns) > 10_000:
            failed_turns.popitem(last=False)
        # Rasa sends a returned BotUttered to the channel; the turn then ends.
        return [BotUttered(service_notice()), FollowupAction("action_listen")]

    guarded._gongyou = True  # type: ignore[attr-defined]
    RemoteAction.run = guarded


def configure_endpoints() -> None:
    """Give the action endpoint the installation's URL, secret header and timeout (idempotent)."""
    import rasa.core.actions.action as rasa_action
    from rasa.core.utils import AvailableEndpoints

    from knowledge.settings import settings

    cfg = settings()
    # RemoteAction passes this as the timeout of every action call.
    rasa_action.DEFAULT_REQUEST_TIMEOUT = cfg.action_timeout
    _answer_when_actions_fail()
    read = AvailableEndpoints.read_endpoints
    if getattr(read, "_gongyou", False):
        return

    def read_endpoints(cls: Any, endpoint_file: Text) -> AvailableEndpoints:
        endpoints = read.__func__(cls, endpoint_file)
        if endpoints.action is not None:
            endpoints.action.url = cfg.action_server_url
            headers = dict(endpoints.action.headers or {})
            if not headers.get(ACTION_SECRET_HEADER):
                headers[ACTION_SECRET_HEADER] = cfg.action_secret()
            endpoints.action.headers = headers
        return endpoints

    read_endpoints._gongyou = True  # type: ignore[attr-defined]
    AvailableEndpoints.read_endpoints = classmethod(read_endpoints)


def harden_http() -> None:
    """What Rasa's HTTP server shows strangers: no version (``/`` says ok, ``/version`` needs the
    token), and no request body larger than ``GONGYOU_MAX_BODY_BYTES`` (Sanic answers 413)."""
    import hmac
    import os

    import rasa.server
    from sanic import response

    from knowledge.settings import settings

    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(settings().max_body_bytes))
    if getattr(rasa.server.create_app, "_gongyou", False):
        return

    def add_root_route(app: Any) -> None:
        @app.get("/")
        async def health(request: Any) -> Any:  # noqa: ARG001 - Sanic handler signature
            return response.text("ok")

    original = rasa.server.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        token = kwargs.get("auth_token") or ""

        @app.middleware("request")
        async def version_needs_token(request: Any) -> Any:
            if request.path.rstrip("/") == "/version" and not (
                    token and hmac.compare_digest(str(request.args.get("token", "")), token)):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return app

    create_app._gongyou = True  # type: ignore[attr-defined]
    rasa.server.add_root_route = add_root_route
    rasa.server.create_app = create_app


def with_auth_token(argv: List[str]) -> List[str]:
    """``argv`` with ``--auth-token`` added for ``run --enable-api`` when it has none."""
    if argv[:1] != ["run"] or "--enable-api" not in argv or "--auth-token" in argv or "-t" in argv:
        return list(argv)
    from knowledge.settings import settings

    return [*argv, "--auth-token", settings().rasa_auth_token()]


def main() -> None:
    """Apply the fixes and settings, then run Rasa's command line with our arguments."""
    from knowledge.settings import settings

    settings().protect_files()
    apply_patches()
    configure_endpoints()
    harden_http()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *with_auth_token(sys.argv[1:])]
    rasa_main()


if __name__ == "__main__":
    main()
