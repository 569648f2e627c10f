"""Rasa's REST channel, guarded: same URL and JSON as Rasa's own
(``POST /webhooks/rest/webhook`` with ``{"sender", "message"}``), plus

- a clear 400 for a body that is not the expected JSON (instead of Rasa's 500):
  not UTF-8, not an object, nested too deeply, no ``sender``;
- ``metadata`` kept only when it is a small flat object (at most 2 kB of JSON);
- rate limits per sender and per client address, with a polite reply;
- the hotline notice when the dialogue fails or the action server is down or slow
  (see :mod:`bot.channels.guard`).
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import RATE_LIMITED, DialogueGuard, client_address, small_metadata
from knowledge.settings import settings

MAX_SENDER_CHARS = 128


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class RestInput(RasaRestInput):
    """``bot.channels.rest.RestInput`` in credentials.yml; served at ``/webhooks/rest/webhook``."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "RestInput":
        return cls()

    def __init__(self) -> None:
        self.guard = DialogueGuard()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("gongyou_rest_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                return _bad_request("body must be UTF-8 JSON: {\"sender\": \"...\", \"message\": \"...\"}")
            if not isinstance(body, dict):
                return _bad_request("body must be a JSON object")
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, (str, int)) or isinstance(sender, bool) or not str(sender).strip() \
                    or len(str(sender)) > MAX_SENDER_CHARS:
                # No shared "default" conversation: every client names its own.
                return _bad_request(f"sender must be a non-empty string of at most {MAX_SENDER_CHARS} characters")
            if text is None:
                text = ""
            if not isinstance(text, str):
                return _bad_request("message must be a string")
            sender = str(sender)
            address = client_address(request.ip, request.headers.get("X-Forwarded-For"))
            if not self.guard.allow(sender, address):
                return response.json([{"recipient_id": sender, "text": RATE_LIMITED}])
            metadata = {**small_metadata(body.get("metadata")), "client_ref": settings().client_ref(address)}
            messages = await self.guard.run(on_new_message, text, sender, self.name(), metadata)
            return response.json(messages)

        return hook
