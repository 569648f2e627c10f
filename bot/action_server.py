"""``python -m bot.action_server``: rasa_sdk's action server for ``actions/``, guarded.

The same Sanic application as ``rasa run actions`` (``rasa_sdk.endpoint.create_app``),
with what a deployment needs on top:

* it listens on ``GONGYOU_ACTIONS_HOST`` (default 127.0.0.1, this machine only;
  a deployment with the action server on another host sets its own address);
* ``POST /webhook`` requires the header ``X-Gongyou-Action-Secret`` with the
  installation's secret (``GONGYOU_ACTION_SECRET``, else generated once into
  ``var/action-secret``), which :mod:`bot.rasa_server` adds to every action call.
  Without it anyone who reaches the port could run ``action_handoff_finish``
  with made-up slots and rewrite a case. ``GET /health`` stays open.

Every deployment starts the action server through this module (``make run``,
docker-compose, the cluster test, the benchmark).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
from typing import Any, List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from bot.no_tensorflow import block_tensorflow
from knowledge.privacy import install_log_masking
from knowledge.settings import Settings, settings

block_tensorflow()  # before the actions (and spaCy) are imported

ACTION_SECRET_HEADER = "X-Gongyou-Action-Secret"
logger = logging.getLogger(__name__)


def guard(app: Sanic, secret: str) -> None:
    """Refuse action calls that do not carry ``secret`` (constant-time comparison)."""

    @app.on_request
    async def require_secret(request: Request) -> Optional[Any]:
        if request.path.rstrip("/") != "/webhook":
            return None
        given = request.headers.get(ACTION_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            logger.warning("refused an action call without the right %s header from %s",
                           ACTION_SECRET_HEADER, request.ip)
            return response.json({"error": "forbidden"}, status=403)
        return None


def warm_up() -> None:
    """Build what the first answer would otherwise build (place matcher, search terms, topic
    specification; about 6 s): the server reports healthy only once answers are fast."""
    from knowledge import places, search, topics, verdicts

    places.place_finder()
    search.terms()
    topics.spec()
    verdicts.verdicts()


def build_app(cfg: Settings) -> Sanic:
    """rasa_sdk's application for the ``actions`` package, with the secret check and, when
    ``purge_every_hours`` is set, the retention purge on a schedule (a long-running server
    would otherwise only purge when it is restarted)."""
    app = create_app("actions", cors_origins="")
    guard(app, cfg.action_secret())
    if cfg.purge_every_hours > 0:
        from datetime import timedelta

        from bot.retention import purge_periodically

        @app.after_server_start
        async def start_purging(app: Sanic, _: Any) -> None:
            app.ctx.purging = asyncio.ensure_future(purge_periodically(timedelta(hours=cfg.purge_every_hours)))

        @app.before_server_stop
        async def stop_purging(app: Sanic, _: Any) -> None:
            # Cancelled, not abandoned: otherwise asyncio logs "Task was destroyed but it is pending".
            task = getattr(app.ctx, "purging", None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return app


def main(argv: Optional[List[str]] = None) -> None:
    """Parse ``--port``/``--host`` (defaults from the settings) and serve."""
    cfg = settings()
    cfg.protect_files()
    parser = argparse.ArgumentParser(description="工友 action server (rasa_sdk, guarded)")
    parser.add_argument("--host", default=cfg.actions_host)
    parser.add_argument("--port", type=int, default=cfg.actions_port)
    args = parser.parse_args(argv)
    utils.configure_colored_logging("INFO")
    logging.getLogger(APPLICATION_ROOT_LOGGER_NAME).setLevel(logging.INFO)
    install_log_masking()
    warm_up()
    app = build_app(cfg)
    logger.info("action server on http://%s:%s (secret required)", args.host, args.port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
