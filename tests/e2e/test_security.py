"""The holes found from outside, closed, tried as an attacker and a careless client would,
against the real servers: the console's login and sessions, the action server, personal
numbers written in every way, abuse from one address, headers, malformed bodies."""
from __future__ import annotations

import http.cookiejar
import json
import os
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
import sqlalchemy as sa

from knowledge.settings import settings

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-test-password"
ROOT = Path(__file__).resolve().parents[2]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ARG002
        return None


class Browser:
    """A plain HTTP client with cookies, as a script (not Chromium) would use the console."""

    def __init__(self, base: str, address: str = "") -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.address = address or f"198.51.100.{uuid.uuid4().int % 250 + 1}"

    def request(self, path: str, form: Optional[Dict[str, str]] = None,
                headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data,
                                         headers={"X-Forwarded-For": self.address, **(headers or {})})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode("utf-8", "replace")

    def login(self, name: str, password: str = PASSWORD, **headers: str) -> Tuple[int, Dict[str, str], str]:
        return self.request("/staff/login", {"name": name, "password": password}, headers)

    def csrf(self) -> str:
        import re

        status, _, page = self.request("/staff/search")
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        assert status == 200 and match, (status, page[:300])
        return match.group(1)


@pytest.fixture()
def account(kb_url):
    """A new staff account (and a way to change it as the CLI would)."""
    from knowledge.db import session_scope
    from knowledge.staff import add_user

    name = "sec-" + uuid.uuid4().hex[:8]
    with session_scope() as session:
        add_user(session, name, "admin", PASSWORD)
    return name


def _user(name: str):
    from knowledge.db import session_scope
    from knowledge.models import StaffUser

    with session_scope() as session:
        user = session.execute(sa.select(StaffUser).where(StaffUser.name == name)).scalars().one()
        session.expunge(user)
        return user


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "gongyou"), *args], input=stdin, text=True,
                          capture_output=True, env={**os.environ}, timeout=60)


# -- the console: lock-out, per-address limit, sessions that end, cookies, origin ----------

def test_five_wrong_passwords_lock_the_account_through_the_login_form(servers, account):
    client = Browser(servers.web)
    for _ in range(5):
        status, _, page = client.login(account, "wrong-password-1")
        assert status == 401 and "用户名或密码不对" in page
    assert _user(account).locked_until is not None  # each failure was committed, not rolled back
    status, _, page = client.login(account)  # the right password, too late
    assert status == 401 and "锁定" in page
    from knowledge.db import session_scope
    from knowledge.models import LoginEvent

    with session_scope() as session:
        reasons = [e.reason for e in session.execute(sa.select(LoginEvent).where(LoginEvent.name == account)).scalars()]
    assert reasons.count("password") == 5 and reasons[-1] == "locked"


def test_one_address_trying_many_names_is_stopped(servers, account):
    client = Browser(servers.web)
    for i in range(10):
        client.login(f"nobody-{i}-{uuid.uuid4().hex[:4]}", "guess-password")
    status, _, page = client.login(account)  # even the right password, from that address
    assert status == 401 and "15分钟" in page
    status, _, _ = Browser(servers.web).login(account)  # another address is not affected
    assert status == 302


def test_a_session_ends_on_logout_disable_and_demotion(servers, account):
    client = Browser(servers.web)
    assert client.login(account)[0] == 302
    assert client.request("/staff/admin")[0] == 200
    stolen = list(client.jar)  # a copy of the cookie, as someone who saw it would keep it
    assert client.request("/staff/logout", {"csrf": client.csrf()}, {"Origin": servers.web})[0] == 302
    replay = Browser(servers.web, client.address)
    for cookie in stolen:
        replay.jar.set_cookie(cookie)
    status, headers, _ = replay.request("/staff/cases")
    assert status == 302 and "/staff/login" in headers["Location"]

    assert client.login(account)[0] == 302
    assert _cli("user", "role", account, "staff").returncode == 0
    assert client.request("/staff/admin")[0] == 302  # the demotion ended the session
    assert client.login(account)[0] == 302
    assert client.request("/staff/admin")[0] == 403  # the role is read from the account now
    result = _cli("user", "disable", account)
    assert result.returncode == 0, result.stderr
    assert client.request("/staff/cases")[0] == 302
    assert client.login(account)[0] == 401
    assert account in _cli("user", "list").stdout


def test_an_old_scrypt_hash_still_logs_in_and_is_upgraded_to_argon2(servers, kb_url):
    import hashlib

    from knowledge.db import session_scope
    from knowledge.models import StaffUser

    name, salt = "old-" + uuid.uuid4().hex[:8], os.urandom(16)
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, dklen=32, n=2 ** 14, r=8, p=1)
    with session_scope() as session:
        session.add(StaffUser(name=name, role="staff", password_hash=f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"))
    assert Browser(servers.web).login(name)[0] == 302
    assert _user(name).password_hash.startswith("$argon2id$")
    assert Browser(servers.web).login(name)[0] == 302


def test_behind_a_tls_proxy_the_cookie_is_secure_and_hsts_is_sent(servers, account):
    client = Browser(servers.web)
    status, headers, _ = client.login(account, **{"X-Forwarded-Proto": "https"})
    assert status == 302
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("__Host-gongyou_staff=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie and "SameSite=Strict" in cookie
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    # Over plain HTTP (no proxy saying otherwise) there is no Secure cookie to lose.
    plain = Browser(servers.web).login(account)[1]["Set-Cookie"]
    assert plain.startswith("gongyou_staff=") and "Secure" not in plain


def test_a_login_posted_from_another_site_is_refused(servers, account):
    status, headers, page = Browser(servers.web).login(account, Origin="https://evil.example")
    assert status == 403 and "Set-Cookie" not in headers


def test_messages_in_the_url_are_codes_not_text(servers):
    status, _, page = Browser(servers.web).request("/staff/login?msg=%3Cb%3Ehacked%3C%2Fb%3E")
    assert status == 200 and "hacked" not in page
    assert "已退出" in Browser(servers.web).request("/staff/login?msg=logged_out")[2]


# -- the action server ------------------------------------------------------------------

def _action_call(servers, body: bytes, secret: Optional[str]) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Gongyou-Action-Secret"] = secret
    request = urllib.request.Request(f"{servers.actions}/webhook", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _finish_call(sender: str, reference: str) -> bytes:
    """What an attacker posted: action_handoff_finish with made-up slots, to rewrite a case's number."""
    return json.dumps({"next_action": "action_handoff_finish", "sender_id": sender, "version": "3.6.21",
                       "tracker": {"sender_id": sender, "slots": {"case_reference": reference, "callback_consent": True,
                                                                  "callback_phone": "13800000000"},
                                   "events": [], "latest_message": {}, "paused": False, "followup_action": None,
                                   "active_loop": {}, "latest_action_name": None},
                       "domain": {}}).encode()


def test_the_action_server_refuses_calls_without_the_secret(servers, sender, db):
    from knowledge.models import Case

    servers.text(sender, "我要转人工")
    case = db.execute(sa.select(Case).where(Case.sender_id == sender)).scalars().one()
    assert _action_call(servers, _finish_call(sender, case.reference), None) == 403
    assert _action_call(servers, _finish_call(sender, case.reference), "guessed") == 403
    # Even with the secret, one conversation cannot touch another's case.
    assert _action_call(servers, _finish_call("someone-else", case.reference), settings().action_secret()) == 200
    db.expire_all()
    assert db.get(Case, case.id).callback_phone is None


def test_the_action_server_listens_on_this_machine_only(servers):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this finds the outward address
        outward = probe.getsockname()[0]
    if outward.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError):
        socket.create_connection((outward, servers.ports["actions"]), timeout=3).close()


# -- personal numbers written every way -----------------------------------------------------

@pytest.mark.parametrize("phone", ["138 1234 5678", "138－1234－5678", "138.1234.5678", "138\u30001234\u30005678",
                                   "138\u200b1234\u200b5678", "+86 138-1234-5678"])
def test_a_phone_written_any_way_is_masked_and_never_read_as_a_wage(servers, sender, phone):
    servers.text(sender, f"老板拖欠我工资，我电话{phone}")
    tracker = servers.tracker(sender)
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    for text in (user["text"], user["parse_data"]["text"]):
        assert "1234" not in text and text.endswith("5678"), text
    assert not [e for e in user["parse_data"]["entities"] if "5678" in str(e.get("value")) or e["entity"] == "money"], \
        user["parse_data"]["entities"]
    # No fact was read from it (the question slot keeps the masked words, as the stored event does).
    assert all("5678" not in str(value) for name, value in tracker["slots"].items() if name != "question"), \
        tracker["slots"]
    assert "1234" not in str(tracker["slots"].get("question"))


def test_a_card_in_groups_is_masked_and_the_wage_beside_it_is_kept(servers, sender):
    servers.text(sender, "公司拖欠我工资，每个月工资8000，工资卡6222 0212 3456 7890 123")
    tracker = servers.tracker(sender)
    stored = json.dumps(tracker["events"], ensure_ascii=False)
    assert "0212 3456" not in stored and "6222" not in stored
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    money = [e["value"] for e in user["parse_data"]["entities"] if e["entity"] == "money"]
    assert money == [8000], user["parse_data"]["entities"]


def test_a_callback_number_in_groups_reaches_the_case_in_full(servers, sender, db):
    from knowledge.models import Case

    servers.text(sender, "我要转人工")
    servers.text(sender, "需要")
    servers.text(sender, "139 1234 5678")
    case = db.execute(sa.select(Case).where(Case.sender_id == sender)).scalars().one()
    assert case.callback_phone == "13912345678"
    assert "1234 5678" not in json.dumps(servers.tracker(sender)["events"], ensure_ascii=False)


# -- abuse from one address, bodies, metadata -------------------------------------------------

def _rest(servers, body: bytes, address: str) -> Tuple[int, bytes]:
    request = urllib.request.Request(f"{servers.rasa}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json", "X-Forwarded-For": address})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_many_new_senders_from_one_address_are_slowed_down(servers):
    from bot.channels.guard import RATE_LIMITED

    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    limited = 0
    for _ in range(settings().address_burst + 10):
        status, body = _rest(servers, json.dumps({"sender": f"many-{uuid.uuid4().hex}", "message": "你好"}).encode(),
                             address)
        assert status == 200
        limited += json.loads(body)[0]["text"] == RATE_LIMITED
    assert limited >= 5
    other = servers.text("test-" + uuid.uuid4().hex[:8], "你好")  # other workers are answered as usual
    assert RATE_LIMITED not in other


def test_one_address_cannot_open_case_after_case(servers, db):
    from knowledge.models import Case

    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    before = db.execute(sa.select(sa.func.count()).select_from(Case)).scalar_one()
    replies = []
    for _ in range(settings().cases_per_hour + 2):
        sender = "cases-" + uuid.uuid4().hex[:8]
        replies.append(servers.text(sender, "我要找人工", address=address))
    db.expire_all()
    after = db.execute(sa.select(sa.func.count()).select_from(Case)).scalar_one()
    assert after - before == settings().cases_per_hour
    assert "暂时不再新建" in replies[-1] and "12348" in replies[-1]


def test_a_huge_body_is_refused_and_large_metadata_is_not_stored(servers, sender):
    huge = json.dumps({"sender": sender, "message": "欠薪" * (settings().max_body_bytes // 4)}).encode()
    assert _rest(servers, huge, "198.51.100.7")[0] == 413
    meta = {"sender": sender, "message": "你好", "metadata": {"note": "x" * 5000}}
    assert _rest(servers, json.dumps(meta).encode(), "198.51.100.7")[0] == 200
    small = {"sender": sender, "message": "你好", "metadata": {"page": "https://union.example/help"}}
    assert _rest(servers, json.dumps(small).encode(), "198.51.100.7")[0] == 200
    users = [e for e in servers.tracker(sender)["events"] if e["event"] == "user"]
    assert "note" not in (users[0].get("metadata") or {})
    assert users[1]["metadata"]["page"] == "https://union.example/help"


@pytest.mark.parametrize("body", [b"[" * 50_000 + b"]" * 50_000, b'{"sender": "x", "message": ' + b"[" * 50_000 + b"}"])
def test_deeply_nested_json_gets_a_400_not_a_500(servers, body):
    assert _rest(servers, body, "198.51.100.8")[0] == 400
    request = urllib.request.Request(f"{servers.web}/api/chat", data=body, headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 400


def test_a_message_without_sender_is_refused(servers):
    status, body = _rest(servers, json.dumps({"message": "你好"}).encode(), "198.51.100.9")
    assert status == 400 and b"sender" in body


# -- headers, banners, secrets on disk and in the process list ----------------------------------

def _get(url: str) -> Tuple[int, Dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")


def test_pages_may_not_be_framed_and_leak_nothing(servers):
    for path in ("/", "/static/index.html", "/staff/login"):
        status, headers, _ = _get(servers.web + path)
        assert status == 200, path
        assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "base-uri 'none'" in headers["Content-Security-Policy"]
        assert "form-action 'self'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "same-origin"
        assert "aiohttp" not in headers.get("Server", "") and "Python" not in headers.get("Server", "")
    assert _get(servers.web + "/api/hotlines")[1]["Referrer-Policy"] == "same-origin"


def test_rasa_tells_strangers_no_version(servers):
    status, _, body = _get(servers.rasa + "/")
    assert status == 200 and "Rasa" not in body and "3.6" not in body
    assert _get(servers.rasa + "/version")[0] == 401
    status, _, body = _get(f"{servers.rasa}/version?token={servers.token}")
    assert status == 200 and "version" in body


def test_the_token_is_not_on_a_command_line_and_data_files_are_private(servers):
    rasa = next(s for s in servers.items if s.name == "rasa").process
    cmdline = Path(f"/proc/{rasa.pid}/cmdline").read_bytes().decode()
    assert servers.token not in cmdline and settings().action_secret() not in cmdline
    var = settings().var_dir
    for path in [*var.glob("*.db"), var / "action-secret", var / "web-secret"]:
        if path.exists():
            assert path.stat().st_mode & 0o077 == 0, path
