"""What every channel does around the dialogue, so a worker never meets silence.

- a per-sender rate limit (a token bucket) with a polite answer when it is hit;
- the dialogue runs inside a guard: an exception, an empty answer or an action
  server that is down adds a notice with the national hotlines (read from the
  data file, so it works with the database down too);
- nothing the worker typed is written to the log.
"""
from __future__ import annotations

import asyncio
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


class RateLimiter:
    """A token bucket per sender: ``burst`` messages at once, then one per ``60/per_minute`` seconds."""

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
    """Whether the action server answers its health check (remembered for a few seconds)."""

    def __init__(self, webhook_url: Optional[str], ttl: float = 5.0, timeout: float = 0.5):
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

    def __init__(self, rate_limiter: Optional[RateLimiter] = None, watch: Optional[ActionServerWatch] = None):
        self.rate_limiter = rate_limiter or RateLimiter.from_settings()
        self.watch = watch or ActionServerWatch(settings().action_server_url)

    def allow(self, sender: str) -> bool:
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
