"""What every channel does around the dialogue, so a worker never meets silence.

- rate limits (token buckets) per sender and per client address, with a polite
  answer when one is hit (the address is the peer, or the client named in
  ``X-Forwarded-For`` by one of ``GONGYOU_TRUSTED_PROXIES``);
- the dialogue runs inside a guard: an exception, an empty answer or an action
  server that is down adds a notice with the national hotlines (read from the
  data file, so it works with the database down too);
- nothing the worker typed is written to the log.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from knowledge.hotlines import emergency_numbers, national_hotlines
from knowledge.privacy import install_log_masking
from knowledge.settings import settings

logger = logging.getLogger(__name__)
# Channels are loaded after Rasa has set up logging: from here on its log masks personal numbers.
install_log_masking()

RATE_LIMITED = "您发得太快了，请稍等半分钟再发。您的对话都还在，不会丢。"
# Longest message passed to the dialogue; the normaliser keeps the head and tail of longer ones.
MAX_MESSAGE_CHARS = 20_000


def service_notice() -> str:
    """'The assistant is having trouble' with the national hotlines and emergency numbers."""
    lines = "、".join(f"{h.name} {h.phone}" for h in national_hotlines())
    urgent = "、".join(f"{h.phone}" for h in emergency_numbers()[:2])
    return (f"抱歉，系统暂时出了点问题，这次没法完整回答您，请稍后再问一次；"
            f"也可以直接打电话：{lines}。遇到危险请立即拨打{urgent}。")


# Metadata a client may attach to a message (kept in the conversation): a small flat object.
MAX_METADATA_BYTES = 2048


def client_address(peer: Optional[str], forwarded_for: Optional[str]) -> str:
    """The client's address: the peer, or the last hop of X-Forwarded-For that is not a trusted proxy."""
    trusted = settings().trusted_proxies
    peer = peer or ""
    if peer in trusted and forwarded_for:
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if hop not in trusted:
                return hop[:64]
    return peer


def small_metadata(value: Any) -> Dict[str, Any]:
    """``value`` if it is a flat object of at most MAX_METADATA_BYTES of JSON, else nothing."""
    if not isinstance(value, dict):
        return {}
    flat = {str(k)[:64]: v for k, v in value.items() if isinstance(v, (str, int, float, bool)) or v is None}
    flat.pop("client_ref", None)  # set by the channel, never by the client
    if len(json.dumps(flat, ensure_ascii=False)) > MAX_METADATA_BYTES:
        return {}
    return flat


class RateLimiter:
    """A token bucket per key: ``burst`` messages at once, then one per ``60/per_minute`` seconds."""

    def __init__(self, per_minute: float = 20.0, burst: int = 15, max_senders: int = 50_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_senders = max_senders
        self.buckets: "OrderedDict[str, List[float]]" = OrderedDict()

    @classmethod
    def from_settings(cls) -> "RateLimiter":
        """``GONGYOU_RATE_PER_MINUTE`` (default 20) and ``GONGYOU_RATE_BURST`` (default 15)."""
        cfg = settings()
        return cls(cfg.rate_per_minute, cfg.rate_burst)

    def allow(self, sender: str, now: Optional[float] = None) -> bool:
        """Take one token for ``sender``; False when the bucket is empty."""
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.pop(sender, [self.burst, now])
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self.buckets[sender] = [tokens - 1.0 if allowed else tokens, now]
        while len(self.buckets) > self.max_senders:
            self.buckets.popitem(last=False)
        return allowed


class ActionServerWatch:
    """Whether the action server answers its health check (remembered for a few seconds).

    The time-out is generous: a busy action server (50 conversations on 2 cores) took over
    half a second to answer /health, and a reply that had worked then carried the "system
    trouble" notice. A server that is down refuses the connection at once anyway.
    """

    def __init__(self, webhook_url: Optional[str], ttl: float = 5.0, timeout: float = 2.0):
        self.url = self._health_url(webhook_url) if webhook_url else None
        self.ttl, self.timeout = ttl, timeout
        self.checked, self.up = 0.0, True

    @staticmethod
    def _health_url(webhook_url: str) -> str:
        parts = urlsplit(webhook_url)
        path = parts.path[: -len("/webhook")] if parts.path.endswith("/webhook") else parts.path.rstrip("/")
        return urlunsplit((parts.scheme, parts.netloc, path + "/health", "", ""))

    async def healthy(self) -> bool:
        """True unless a recent health check failed."""
        if not self.url:
            return True
        now = time.monotonic()
        if now - self.checked < self.ttl:
            return self.up
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
                async with session.get(self.url) as resp:
                    self.up = resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            self.up = False
        self.checked = now
        if not self.up:
            logger.warning("action server not answering at %s", self.url)
        return self.up


class DialogueGuard:
    """Runs one user message through the dialogue and makes sure something useful comes back."""

    def __init__(self, rate_limiter: Optional[RateLimiter] = None, watch: Optional[ActionServerWatch] = None,
                 address_limiter: Optional[RateLimiter] = None):
        cfg = settings()
        self.rate_limiter = rate_limiter or RateLimiter.from_settings()
        self.address_limiter = address_limiter or RateLimiter(cfg.address_per_minute, cfg.address_burst)
        self.watch = watch or ActionServerWatch(cfg.action_server_url)

    def allow(self, sender: str, address: Optional[str] = None) -> bool:
        """False when ``sender`` or the client ``address`` has sent too much lately."""
        if address and not self.address_limiter.allow(address):
            return False
        return self.rate_limiter.allow(sender)

    async def run(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, sender: str,
                  channel: str, metadata: Optional[Dict[str, Any]] = None,
                  collector: Optional[CollectingOutputChannel] = None) -> List[Dict[str, Any]]:
        """The bot's messages for ``text``, with the hotline notice added when the dialogue failed."""
        collector = collector or CollectingOutputChannel()
        failed = False
        try:
            await on_new_message(UserMessage(text[:MAX_MESSAGE_CHARS], collector, sender,
                                             input_channel=channel, metadata=metadata))
        except Exception:  # noqa: BLE001 - any failure becomes the hotline notice, never an HTTP 500
            # The message itself is not logged: it may hold personal data.
            logger.exception("%s: processing a message failed", channel)
            failed = True
        if failed or not collector.messages or not await self.watch.healthy():
            collector.messages.append({"recipient_id": sender, "text": service_notice()})
        return collector.messages
