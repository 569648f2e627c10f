"""aiohttp application serving the chat page, the widget assets and the staff console."""
from __future__ import annotations

import os
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"


async def healthz(request: web.Request) -> web.Response:  # noqa: ARG001
    return web.json_response({"status": "ok"})


async def index(request: web.Request) -> web.FileResponse:  # noqa: ARG001
    return web.FileResponse(STATIC_DIR / "index.html")


def create_app() -> web.Application:
    """The web application (chat page at /, staff console at /staff)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app["rasa_url"] = os.environ.get("RASA_URL", "http://localhost:5005")
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC_DIR, show_index=False)
    return app
