"""A local server speaking the documented WeChat API calls around the channel: GET /cgi-bin/token,
POST /cgi-bin/stable_token and POST /cgi-bin/message/custom/send. It records what it got.

Tokens behave as WeChat's do: only the newest is valid. ``/cgi-bin/token`` issues a new one on
every call (ending the previous one); ``stable_token`` hands out the current one unless asked to
``force_refresh``; a token made to expire (``expire()``) is refused with 42001, any other stale
one with 40001."""
from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Set

from aiohttp import web

from bot.channels.wechat import signature_of

# --- what WeChat sends to the channel --------------------------------------------------------

def wechat_time() -> int:
    """WeChat stamps requests with the real time, and the channel checks them against it."""
    return int(time.time())  # noqa: TID251 - a protocol timestamp, not the product's date


def msg_id() -> int:
    return uuid.uuid4().int % 10**15


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def signed_query(**extra: Any) -> Dict[str, Any]:
    """The query string WeChat signs its calls with (the account's token: ``WECHAT_TOKEN``)."""
    token = os.environ["WECHAT_TOKEN"]
    timestamp, nonce = str(extra.pop("timestamp", wechat_time())), uuid.uuid4().hex[:10]
    return {"timestamp": timestamp, "nonce": nonce, "signature": signature_of(token, timestamp, nonce), **extra}


def text_xml(openid: str, content: str, msg_id: int) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_gongyou]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{wechat_time()}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def reply_content(reply_xml: str) -> str:
    """The text of a passive reply ('' for WeChat's empty acknowledgement, "success")."""
    if not reply_xml.lstrip().startswith("<"):
        return ""
    return ET.fromstring(reply_xml).findtext("Content") or ""


# --- WeChat's API, called by the channel ------------------------------------------------------


class FakeWeChatApi:
    def __init__(self, port: int, appid: str, secret: str):
        self.port, self.appid, self.secret = port, appid, secret
        self.sent: List[Dict[str, Any]] = []
        self.tokens_issued = 0
        self.stable_calls = 0
        self.refused = 0
        self.current: Optional[str] = None
        self.expired: Set[str] = set()
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner

    def _issue(self) -> str:
        self.tokens_issued += 1
        self.current = f"token-{self.tokens_issued}"
        return self.current

    def _credentials_ok(self, appid: object, secret: object, grant_type: object) -> bool:
        return appid == self.appid and secret == self.secret and grant_type == "client_credential"

    async def token(self, request: web.Request) -> web.Response:
        q = request.query
        if not self._credentials_ok(q.get("appid"), q.get("secret"), q.get("grant_type")):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        return web.json_response({"access_token": self._issue(), "expires_in": 7200})

    async def stable_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not self._credentials_ok(body.get("appid"), body.get("secret"), body.get("grant_type")):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.stable_calls += 1
        token = self._issue() if body.get("force_refresh") or self.current is None else self.current
        return web.json_response({"access_token": token, "expires_in": 7200})

    def expire(self) -> None:
        """The current token expires now (as it does after two hours)."""
        if self.current:
            self.expired.add(self.current)
        self.current = None

    async def send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        if not token or token != self.current:
            self.refused += 1
            if token in self.expired:
                return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.sent.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/stable_token", self.stable_token)
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
