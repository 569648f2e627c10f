"""Shared fixtures: a test database loaded from the data files, and (once per
session) the real action server, Rasa server and web server on test ports."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
# GONGYOU_TEST_VAR lets two test runs share a checkout without deleting each other's data.
TEST_VAR = Path(os.environ.get("GONGYOU_TEST_VAR", ROOT / "var" / "test"))
ARTIFACTS = ROOT / "test-artifacts"

# Everything the tests start uses its own var dir and ports, so `make test`
# never touches the data of a running `make run`.
os.environ.setdefault("GONGYOU_VAR_DIR", str(TEST_VAR))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TEST_VAR / 'gongyou.db'}")
os.environ.setdefault("TRACKER_DATABASE_URL", f"sqlite:///{TEST_VAR / 'tracker.db'}")
os.environ.setdefault("RASA_AUTH_TOKEN", "test-token-" + uuid.uuid4().hex)
# The WeChat channel is on in tests, talking to a local stand-in for WeChat's API (tests/e2e/wechat_api.py).
os.environ.setdefault("WECHAT_TOKEN", "gongyou-test-token")
os.environ.setdefault("WECHAT_APPID", "wx0123456789abcdef")
os.environ.setdefault("WECHAT_SECRET", "test-secret")
os.environ.setdefault("WECHAT_AES_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
os.environ.setdefault("WECHAT_API_BASE", f"http://localhost:{int(os.environ.get('TEST_WECHAT_API_PORT', '18099'))}")
TEST_PORTS = {"rasa": int(os.environ.get("TEST_RASA_PORT", "15005")),
              "actions": int(os.environ.get("TEST_ACTIONS_PORT", "15055")),
              "web": int(os.environ.get("TEST_WEB_PORT", "18080"))}
os.environ.setdefault("RASA_PORT", str(TEST_PORTS["rasa"]))
os.environ.setdefault("ACTIONS_PORT", str(TEST_PORTS["actions"]))
os.environ.setdefault("WEB_PORT", str(TEST_PORTS["web"]))
os.environ.setdefault("GONGYOU_HOST", "127.0.0.1")
os.environ.setdefault("GONGYOU_ACTION_SECRET", "test-action-secret-" + uuid.uuid4().hex)

# Every test runs on the same day, whatever the calendar says: the servers (GONGYOU_NOW) and
# this process (the clock set below) answer deadlines and "current" figures as on TEST_NOW.
# `tests/unit/test_any_date.py` runs the date-sensitive tests with the system clock moved.
TEST_NOW = os.environ.setdefault("GONGYOU_NOW", "2026-11-28T10:00:00+08:00")

from knowledge import clock  # noqa: E402 - after the environment it reads is set

clock.set_now(TEST_NOW)


def _fresh_test_var() -> None:
    if TEST_VAR.exists():
        shutil.rmtree(TEST_VAR)
    TEST_VAR.mkdir(parents=True)


@pytest.fixture(scope="session")
def kb_url() -> str:
    """A fresh test database, migrated and loaded from knowledge/data."""
    from knowledge.db import session_scope, upgrade
    from knowledge.loader import load, read_data

    if not getattr(kb_url, "_done", False):
        _fresh_test_var()
    upgrade()
    with session_scope() as session:
        load(session, read_data())
    kb_url._done = True  # type: ignore[attr-defined]
    return os.environ["DATABASE_URL"]


@pytest.fixture()
def db(kb_url):
    """A session on the loaded test database (rolled back after the test)."""
    from knowledge.db import session_factory

    session = session_factory(kb_url)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


class Servers:
    """Addresses of the running test servers and a REST helper."""

    def __init__(self, ports: Dict[str, int], items: Optional[List] = None, log_dir: Optional[Path] = None):
        self.ports = ports
        self.items = items or []  # the running bot.serve.Service objects (fault tests restart them)
        self.log_dir = log_dir
        self.rasa = f"http://localhost:{ports['rasa']}"
        self.actions = f"http://localhost:{ports['actions']}"
        self.web = f"http://localhost:{ports['web']}"
        self.token = os.environ["RASA_AUTH_TOKEN"]

    @staticmethod
    def address_of(sender: str) -> str:
        """A client address of its own for each conversation (documentation range 198.18.0.0/15)."""
        digest = hashlib.sha256(sender.encode()).digest()
        return f"198.{18 + digest[0] % 2}.{digest[1]}.{digest[2]}"

    def say(self, sender: str, message: str, timeout: float = 30, address: str = "") -> List[Dict]:
        """Send a message through the REST channel (from the sender's own address); return the bot's messages."""
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(f"{self.rasa}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json",
                                                  "X-Forwarded-For": address or self.address_of(sender)})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode())

    def text(self, sender: str, message: str, address: str = "", timeout: float = 30) -> str:
        """All text the bot sent in reply, joined."""
        return "\n".join(m.get("text", "") for m in self.say(sender, message, timeout=timeout, address=address))

    def tracker(self, sender: str) -> Dict:
        request = urllib.request.Request(f"{self.rasa}/conversations/{sender}/tracker?token={self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode())


@pytest.fixture(scope="session")
def servers(kb_url) -> Iterator[Servers]:
    """The real action server, Rasa server and web server, started once for the session."""
    from bot import serve
    from knowledge.settings import MODEL_PATH, settings

    if not MODEL_PATH.exists():
        pytest.fail("no trained model: run `make test` (it trains the model first)")
    items = serve.services(settings())
    log_dir = ARTIFACTS / "logs"
    try:
        for service in items:
            serve.start(service, settings(), log_dir=str(log_dir))
        serve.wait_ready(items, timeout=300)
        yield Servers(TEST_PORTS, items, log_dir)
    finally:
        serve.stop(items)


@pytest.fixture()
def sender() -> str:
    """A new conversation id."""
    return "test-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def wechat_api():
    """A local stand-in for WeChat's API (token and customer-service message), shared by all WeChat tests."""
    import os

    from tests.e2e.wechat_api import FakeWeChatApi

    api = FakeWeChatApi(int(os.environ["WECHAT_API_BASE"].rsplit(":", 1)[1]), os.environ["WECHAT_APPID"],
                        os.environ["WECHAT_SECRET"])
    api.start()
    yield api
    api.stop()
