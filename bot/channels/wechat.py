"""WeChat Official Account channel for Rasa (``wechat`` in credentials.yml).

Implements WeChat's server protocol: URL verification (GET, SHA-1 signature of
token/timestamp/nonce), text messages and events in plain and safe (AES) mode,
refusal of bad signatures and stale timestamps, one answer per ``MsgId`` when
WeChat retries, a passive reply when the bot answers within WeChat's 5 seconds,
and otherwise an empty acknowledgement followed by the customer-service
message API (the access token, answered MsgIds and numbered choices shared by
every process through :mod:`bot.shared_state`; its base URL is configurable).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot.channels.guard import RATE_LIMITED, DialogueGuard
from bot.channels.wechat_text import choice, render, split
from bot.shared_state import SharedValues, shared_values
from knowledge.settings import settings

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
# WeChat gives up after 5 s; answer passively only if the bot is faster than this.
PASSIVE_DEADLINE_SECONDS = 4.0
# Requests older than this are refused (replayed or badly delayed).
MAX_AGE_SECONDS = 300
UNSUPPORTED_NOTE = "抱歉，我暂时只能看懂文字。请用文字说说您遇到的问题，比如“老板拖欠我三个月工资怎么办”。"
VOICE_NOTE = ("抱歉，这条语音我听不到内容。麻烦您用文字说说遇到的问题，比如“老板拖欠我三个月工资怎么办”；"
              "不方便打字的话，可以回复“转人工”，请工作人员给您回电话。")


def signature_of(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts joined."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


# API answers that mean "this access token is no longer valid": fetch it again and retry once.
TOKEN_INVALID = {40001, 40014, 42001}
SEEN_SECONDS = 600         # WeChat retries a message within 15 s; remember its MsgId well beyond that
CHOICES_SECONDS = 86_400   # numbered choices stay answerable for a day


class AccessToken:
    """The API access token, shared by every process through :mod:`bot.shared_state`.

    Fetched with WeChat's ``stable_token`` call: it hands every caller the same token while
    that token is valid, so two Rasa servers no longer invalidate each other's (the older
    ``/cgi-bin/token`` issues a new one on every call and ends the previous one).
    """

    def __init__(self, api_base: str, appid: str, secret: str, store: Optional[SharedValues] = None):
        self.api_base, self.appid, self.secret = api_base.rstrip("/"), appid, secret
        self._store = store
        self.key = f"wechat:token:{appid}"
        self.lock = asyncio.Lock()

    @property
    def store(self) -> SharedValues:
        if self._store is None:
            self._store = shared_values()
        return self._store

    async def get(self, session: aiohttp.ClientSession, refused: Optional[str] = None) -> str:
        """The shared token; ``refused``: the token WeChat just refused (fetch past it)."""
        async with self.lock:
            cached = await asyncio.to_thread(self.store.get, self.key)
            if cached and cached != refused:
                return cached
            token, expires_in = await self._fetch(session, force=False)
            if token == refused:  # WeChat still hands out the refused one: ask for a new one
                token, expires_in = await self._fetch(session, force=True)
            await asyncio.to_thread(self.store.put, self.key, token, max(60, expires_in - 300))
            return token

    async def _fetch(self, session: aiohttp.ClientSession, force: bool) -> Tuple[str, int]:
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": force}
        async with session.post(f"{self.api_base}/cgi-bin/stable_token", json=body) as resp:
            data = await resp.json(content_type=None)
        if "access_token" not in data:
            raise RuntimeError(f"WeChat token refused: {data.get('errcode')} {data.get('errmsg')}")
        return str(data["access_token"]), int(data.get("expires_in", 7200))


class WeChatInput(InputChannel):
    """Rasa input channel for a WeChat Official Account."""

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        """Values in credentials.yml win; else the installation's settings (WECHAT_* variables)."""
        credentials = credentials or {}
        cfg = settings()
        return cls(
            token=str(credentials.get("token") or cfg.wechat_token),
            appid=str(credentials.get("appid") or cfg.wechat_appid),
            secret=str(credentials.get("secret") or cfg.wechat_secret),
            aes_key=str(credentials.get("aes_key") or cfg.wechat_aes_key),
            api_base=str(credentials.get("api_base") or cfg.wechat_api_base),
        )

    def __init__(self, token: str, appid: str = "", secret: str = "", aes_key: str = "",
                 api_base: str = DEFAULT_API_BASE) -> None:
        self.token, self.appid, self.secret, self.aes_key = token, appid, secret, aes_key
        self.crypto = WeChatCrypto(token, aes_key, appid) if token and aes_key and appid else None
        self.access_token = AccessToken(api_base, appid, secret)
        self.api_base = api_base.rstrip("/")
        self.background: set = set()
        self.guard = DialogueGuard()

    # --- protocol ---------------------------------------------------------
    def _fresh(self, timestamp: str) -> bool:
        try:
            # WeChat stamps its requests with the real time: compare with the system clock, not the
            # product's (which tests may set to another day).
            return abs(time.time() - int(timestamp)) <= MAX_AGE_SECONDS  # noqa: TID251
        except (TypeError, ValueError):
            return False

    def _signed(self, request: Request) -> bool:
        args = request.args
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        return (bool(self.token) and self._fresh(timestamp)
                and args.get("signature", "") == signature_of(self.token, timestamp, nonce))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("wechat_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.token else "not configured"})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self._signed(request):
                return response.text("invalid signature", status=403)
            return response.text(request.args.get("echostr", ""))

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._signed(request):
                return response.text("invalid signature", status=403)
            safe = request.args.get("encrypt_type") == "aes"
            body = request.body.decode("utf-8", errors="replace")
            if safe:
                if self.crypto is None:
                    return response.text("safe mode is not configured", status=403)
                try:
                    body = self.crypto.decrypt_message(body, request.args.get("msg_signature", ""),
                                                       request.args.get("timestamp", ""), request.args.get("nonce", ""))
                except Exception:  # noqa: BLE001 - any bad envelope (signature, padding, XML) is refused
                    return response.text("invalid message", status=403)
            try:
                message = parse_message(body)
            except Exception:  # noqa: BLE001 - malformed XML is refused, never crashes the server
                return response.text("invalid message", status=400)
            if message is None:  # well-formed XML that is not a WeChat message
                return response.text("invalid message", status=400)
            reply = await self._handle(message, on_new_message)
            if reply is None:
                return response.text("success")
            xml = TextReply(content=reply, message=message).render()
            if safe and self.crypto is not None:
                xml = self.crypto.encrypt_message(xml, request.args.get("nonce", ""), request.args.get("timestamp"))
            return response.text(xml, content_type="application/xml")

        return hook

    # --- conversation -----------------------------------------------------
    async def _handle(self, message: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Optional[str]:
        user = message.source
        if message.type == "event":
            if getattr(message, "event", "") == "subscribe":
                return await self._ask(user, "/greet", on_new_message, message)
            return None
        # WeChat's own speech recognition (when the account has it switched on) is answered as text.
        heard = (getattr(message, "recognition", None) or "").strip() if message.type == "voice" else ""
        if message.type == "voice" and not heard:
            return VOICE_NOTE
        if message.type not in ("text", "voice"):
            return UNSUPPORTED_NOTE
        key = str(message.id or f"{user}:{message.time}")
        if not await asyncio.to_thread(self._store().add, f"wechat:msg:{self.appid}:{key}", "1", SEEN_SECONDS):
            # WeChat retries after 5 s, perhaps to another server: answer the first delivery only.
            return None
        if not self.guard.allow(user):
            return RATE_LIMITED
        text = heard or message.content or ""
        picked = choice(text, await self._choices(user))
        return await self._ask(user, picked or text, on_new_message, message)

    async def _ask(self, user: str, text: str, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                   message: Any) -> Optional[str]:
        collector = CollectingOutputChannel()
        task = asyncio.ensure_future(self.guard.run(
            on_new_message, text, user, self.name(),
            {"wechat_msg_id": str(message.id or ""), "client_ref": settings().client_ref(f"wechat:{user}")}, collector))
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=PASSIVE_DEADLINE_SECONDS)
        except asyncio.TimeoutError:
            # Too slow for a passive reply: acknowledge now, deliver through the customer-service API.
            follow = asyncio.ensure_future(self._deliver_later(task, collector, user))
            self.background.add(follow)
            follow.add_done_callback(self.background.discard)
            return None
        pieces = await self._pieces(collector.messages, user)
        if len(pieces) > 1:
            later = asyncio.ensure_future(self._send(user, pieces[1:]))
            self.background.add(later)
            later.add_done_callback(self.background.discard)
        return pieces[0] if pieces else None

    def _store(self) -> SharedValues:
        return self.access_token.store

    async def _choices(self, user: str) -> Optional[List[Dict[str, str]]]:
        """The numbered choices last offered to ``user`` (by whichever server answered)."""
        saved = await asyncio.to_thread(self._store().get, f"wechat:choices:{self.appid}:{user}")
        return json.loads(saved) if saved else None

    async def _pieces(self, messages: List[Dict[str, Any]], user: str) -> List[str]:
        text, buttons = render(messages)
        key = f"wechat:choices:{self.appid}:{user}"
        if buttons:
            await asyncio.to_thread(self._store().put, key, json.dumps(buttons, ensure_ascii=False), CHOICES_SECONDS)
        else:
            await asyncio.to_thread(self._store().delete, key)
        return split(text)

    async def _deliver_later(self, task: "asyncio.Future", collector: CollectingOutputChannel, user: str) -> None:
        try:
            await task
        except Exception:  # noqa: BLE001 - logged; the worker still gets an apology
            logger.exception("wechat: processing failed")
            await self._send(user, ["抱歉，系统有点忙，请稍后再发一次。"])
            return
        await self._send(user, await self._pieces(collector.messages, user))

    async def _send(self, user: str, pieces: List[str]) -> None:
        """Send text through the customer-service message API, one piece at a time.

        A refused token (another process refreshed it, or it expired early) is fetched again
        and the piece sent once more; other refusals are logged.
        """
        if not pieces:
            return
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                token = await self.access_token.get(session)
                for piece in pieces:
                    body = {"touser": user, "msgtype": "text", "text": {"content": piece}}
                    data = await self._post(session, token, body)
                    if data.get("errcode", 0) in TOKEN_INVALID:
                        logger.info("wechat: access token refused (%s); fetching it again", data.get("errcode"))
                        token = await self.access_token.get(session, refused=token)
                        data = await self._post(session, token, body)
                    if data.get("errcode", 0) != 0:
                        logger.warning("wechat: send refused: %s %s", data.get("errcode"), data.get("errmsg"))
        except Exception:  # noqa: BLE001 - the API being down must not break the server
            logger.exception("wechat: customer-service API unreachable")

    async def _post(self, session: aiohttp.ClientSession, token: str, body: Dict[str, Any]) -> Dict[str, Any]:
        async with session.post(f"{self.api_base}/cgi-bin/message/custom/send",
                                params={"access_token": token}, json=body) as resp:
            return dict(await resp.json(content_type=None))
