"""What every page and API of the web server gets: security headers, the client's real
address and whether the request came over HTTPS (believing a proxy only when it is one
of ``GONGYOU_TRUSTED_PROXIES``), and JSON bodies read without ever failing with a 500."""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

from knowledge.settings import settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Pages (the chat page and the console) may not be framed, leak the URL, or load from elsewhere.
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def _peer(request: web.BaseRequest) -> str:
    return request.remote or ""


def from_trusted_proxy(request: web.BaseRequest) -> bool:
    """True when the request reached us through one of the configured proxies."""
    return _peer(request) in settings().trusted_proxies


def client_address(request: web.BaseRequest) -> str:
    """The client's address: the peer, or the last untrusted hop of X-Forwarded-For behind a trusted proxy."""
    peer = _peer(request)
    if peer in settings().trusted_proxies:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in settings().trusted_proxies:
                return hop[:64]
    return peer


def is_secure(request: web.BaseRequest) -> bool:
    """HTTPS to the browser: TLS here, a trusted proxy saying so, or GONGYOU_SECURE_COOKIES set."""
    if request.secure or settings().secure_cookies:
        return True
    return from_trusted_proxy(request) and request.headers.get("X-Forwarded-Proto", "").lower() == "https"


async def read_json(request: web.Request) -> Optional[Any]:
    """The JSON body, or None when it is not JSON (bad UTF-8, too deeply nested, …)."""
    try:
        return json.loads(await request.text())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers for every response; pages get a CSP that forbids framing, HTTPS gets HSTS."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _headers(request, response)
        raise
    _headers(request, response)
    return response


def _headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")  # other sites learn nothing; own forms keep their Origin
    if (response.content_type or "").startswith("text/html") or request.path in ("/", "/static/index.html"):
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    if is_secure(request):
        headers.setdefault("Strict-Transport-Security", HSTS)


async def no_banner(request: web.Request, response: web.StreamResponse) -> None:  # noqa: ARG001 - signal signature
    """No software name or version in the ``Server`` header."""
    response.headers["Server"] = "gongyou"
