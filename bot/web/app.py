"""aiohttp application: the chat page, the embeddable widget and its small API.

The widget talks only to this server (``/api/chat`` forwards to Rasa's REST
channel), so a union's site embeds it with one ``<script>`` tag and never needs
to reach the Rasa server or know its token. Hotline numbers shown when the
server cannot be reached come from the knowledge base (``/api/hotlines``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import aiohttp
from aiohttp import web

from bot.web.security import Handler, client_address, no_banner, read_json, security_headers
from knowledge.settings import settings

STATIC_DIR = Path(__file__).parent / "static"
MAX_MESSAGE_CHARS = 20000


async def healthz(request: web.Request) -> web.Response:  # noqa: ARG001
    return web.json_response({"status": "ok"})


async def index(request: web.Request) -> web.FileResponse:  # noqa: ARG001
    return web.FileResponse(STATIC_DIR / "index.html")


async def chat(request: web.Request) -> web.Response:
    """Forward one user message to Rasa's REST channel and return the bot's messages.

    The client's address goes along (X-Forwarded-For), so Rasa's limits per address apply
    to each worker and not to this server as a whole.
    """
    if (request.content_length or 0) > settings().max_body_bytes:
        return web.json_response({"error": "消息太长"}, status=413)
    body = await read_json(request)
    if not isinstance(body, dict):
        return web.json_response({"error": "请求格式不对"}, status=400)
    sender = str(body.get("sender") or "")[:64]
    message = str(body.get("message") or "")[:MAX_MESSAGE_CHARS]
    if not sender.strip():
        return web.json_response({"error": "缺少会话编号"}, status=400)
    session: aiohttp.ClientSession = request.app["http"]
    try:
        async with session.post(f"{request.app['rasa_url']}/webhooks/rest/webhook",
                                json={"sender": sender, "message": message},
                                headers={"X-Forwarded-For": client_address(request)}) as resp:
            if resp.status != 200:
                return web.json_response({"error": "助手暂时无法回答"}, status=502)
            messages: List[Dict[str, Any]] = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError):
        return web.json_response({"error": "助手暂时无法连接"}, status=503)
    return web.json_response(messages)


async def hotlines(request: web.Request) -> web.Response:
    """National hotlines from the knowledge base, for when the assistant cannot be reached."""
    from knowledge.db import session_scope
    from knowledge.queries import service_points

    out = []
    try:
        with session_scope() as session:
            for route in ("emergency", "labour_inspection", "legal_aid", "union"):
                for point in service_points(session, route, None, limit=3):
                    if point.phone and point.jurisdiction == "000000":
                        out.append({"type": route, "name": point.name, "phone": point.phone})
    except Exception:  # noqa: BLE001 - the page must load even if the database is down
        out = []
    return web.json_response(out, headers={"Cache-Control": "max-age=300"})


@web.middleware
async def widget_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The widget is embedded on other sites: its script and API may be called from any origin."""
    response = await handler(request)
    if request.path.startswith("/api/") or request.path.startswith("/static/gongyou-widget"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response


async def preflight(request: web.Request) -> web.Response:  # noqa: ARG001
    return web.Response(status=204)


async def _http_session(app: web.Application):
    app["http"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    yield
    await app["http"].close()


def create_app() -> web.Application:
    """The web application (chat page at /, widget at /static/gongyou-widget.js)."""
    # 2 MB for the console's CSV upload; /api/chat takes GONGYOU_MAX_BODY_BYTES at most.
    app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[security_headers, widget_cors])
    app.on_response_prepare.append(no_banner)  # type: ignore[arg-type]
    app["rasa_url"] = settings().rasa_url
    app.cleanup_ctx.append(_http_session)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", index)
    app.router.add_post("/api/chat", chat)
    app.router.add_route("OPTIONS", "/api/chat", preflight)
    app.router.add_get("/api/hotlines", hotlines)
    app.router.add_static("/static/", STATIC_DIR, show_index=False)
    from bot.web import documents, staff

    staff.add_routes(app)  # the hotline staff console at /staff
    documents.add_routes(app)  # documents from a conversation at /documents
    return app
