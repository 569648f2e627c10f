"""A local server speaking the two documented WeChat API calls the channel uses:
GET /cgi-bin/token and POST /cgi-bin/message/custom/send. It records what it got."""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Dict, List

from aiohttp import web


class FakeWeChatApi:
    def __init__(self, port: int, appid: str, secret: str):
        self.port, self.appid, self.secret = port, appid, secret
        self.sent: List[Dict[str, Any]] = []
        self.tokens_issued = 0
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner

    async def token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("appid") != self.appid or q.get("secret") != self.secret or q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.tokens_issued += 1
        return web.json_response({"access_token": f"token-{self.tokens_issued}", "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        if not request.query.get("access_token", "").startswith("token-"):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.sent.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.send)
        self.runner = web.AppRunner(app)

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "localhost", self.port).start())
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)

    def messages_to(self, openid: str) -> List[str]:
        return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]
