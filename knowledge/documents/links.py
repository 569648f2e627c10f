"""Links to a case's documents that carry the case themselves, sealed, for 24 hours.

Nothing is stored to make a link work: the case facts (and any names the worker chose to
give) are compressed and encrypted into the link with Fernet (AES + HMAC, with the time it
was made); the web server opens it, checks its age against the injectable clock and builds
the file on request. Logs and proxies see only ciphertext. The key is derived from the
installation's action secret, which every process of a deployment shares.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from dataclasses import asdict
from datetime import date
from typing import Any, Dict, List

from cryptography.fernet import Fernet, InvalidToken

from knowledge import clock
from knowledge.documents.content import CaseFacts, Parties, available_kinds, spec
from knowledge.settings import settings

LINK_SECONDS = 24 * 3600


class LinkError(ValueError):
    """A link that cannot be opened: ``expired`` tells whether it was once valid."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def _fernet() -> Fernet:
    secret = settings().action_secret().encode()
    key = hmac.new(secret, b"gongyou-document-links", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(case: CaseFacts) -> str:
    """The case as an opaque, URL-safe token."""
    data: Dict[str, Any] = {"t": case.topic, "a": case.adcode, "f": dict(case.facts), "o": case.on.isoformat(),
                            "p": {k: v for k, v in asdict(case.parties).items() if v not in ("", 1)},
                            "r": case.reference}
    raw = zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 9)
    return _fernet().encrypt_at_time(raw, int(clock.timestamp())).decode("ascii")


def unseal(token: str) -> CaseFacts:
    """The case in ``token``; :class:`LinkError` when it is forged, damaged or older than 24 hours."""
    fernet = _fernet()
    now = int(clock.timestamp())
    try:
        raw = fernet.decrypt_at_time(token.encode("ascii"), LINK_SECONDS, now)
    except (InvalidToken, UnicodeEncodeError, ValueError):
        try:
            fernet.decrypt_at_time(token.encode("ascii"), 10 ** 9, now)
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise LinkError("not a document link") from None
        raise LinkError("the link has expired", expired=True) from None
    data = json.loads(zlib.decompress(raw).decode("utf-8"))
    return CaseFacts(data.get("t"), data.get("a"), data.get("f") or {}, date.fromisoformat(data["o"]),
                     Parties(**(data.get("p") or {})), data.get("r") or "")


def links_for(case: CaseFacts, base: str, staff: bool = False) -> Dict[str, Any]:
    """The page and the files of ``case``'s documents: {"page", "documents": [{kind, title, docx, pdf}]}."""
    token = seal(case)
    kinds = spec()["kinds"]
    documents: List[Dict[str, str]] = [
        {"kind": k, "title": kinds[k]["title"], "docx": f"{base}/documents/{token}/{k}.docx",
         "pdf": f"{base}/documents/{token}/{k}.pdf"} for k in available_kinds(case.topic, staff=staff)]
    return {"page": f"{base}/documents/{token}", "documents": documents}
