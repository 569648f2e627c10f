"""Scale-out: two Rasa servers and two action servers behind nginx, one PostgreSQL, one Redis.

What is proven here, on loopback (see tests/scale/conftest.py and bot/cluster.py):

- 50 conversations at once, each turn sent to the other Rasa server than the turn before
  (directly, or through nginx's round robin with the server that answered read from the
  X-Upstream header): every turn is answered, and each conversation stays coherent — its
  tracker, read from either server, holds every user message once and in order, and what
  one server learnt (the place, the wage, the hours) is used by the other in its answer;
- a hand-off opened and completed on different servers leaves its case in PostgreSQL;
- messages of one conversation arriving at both servers at the same moment are all kept
  (the lock store, bot/lock_store.py);
- one Rasa server stopped in mid-conversation: nginx sends its traffic to the other, and
  once started again it carries on conversations it never saw, from PostgreSQL.
"""
from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import aiohttp
import pytest

from bot.channels.guard import RATE_LIMITED
from tests.scale.conftest import REPORT

pytestmark = pytest.mark.scale
_DONE: Dict[str, list] = {}  # what one test leaves for the next

# (what the worker types, adcode the bot must resolve it to, name in the bot's answer)
PLACES = [
    ("江苏淮安", "320800", "江苏省淮安市"),
    ("浙江杭州", "330100", "浙江省杭州市"),
    ("广东深圳", "440300", "广东省深圳市"),
    ("湖北武汉", "420100", "湖北省武汉市"),
    ("四川成都", "510100", "四川省成都市"),
    ("上海浦东", "310115", "上海市浦东新区"),
    ("北京朝阳", "110105", "北京市朝阳区"),
    ("山东青岛", "370200", "山东省青岛市"),
    ("河南郑州", "410100", "河南省郑州市"),
]


@dataclass
class Flow:
    """A worker's conversation: the messages, and what the reply to some of them must say.

    The answer comes first (design.md): the reply to the place (turn 1) is the local answer. Later
    replies need what earlier turns told the *other* server: a figure computed from two turns, or
    the next question of the form.
    """

    name: str
    turns: List[str]
    expect: Dict[int, Tuple[str, ...]]  # turn → texts its reply contains ("{name}": the place's name)
    slots: Dict[str, object] = field(default_factory=dict)


LOCAL_ANSWER = ("按{name}适用的规定", "《")
FLOWS = [
    # Three months (turn 0) × 20,000 a month (turn 2) = 60,000; leaving (turn 3) → the left date is asked.
    Flow("wage_arrears", ["老板拖欠我三个月工资怎么办", "{place}", "大概两万块", "已经不干了", "上个月"],
         {1: LOCAL_ANSWER, 2: ("60,000",), 3: ("离开",), 4: ("劳动仲裁时效",)},
         slots={"monthly_wage": 20000.0, "still_employed": False}),
    # 6,000 a month (turn 2) and 30 hours (turn 3) told to two different servers → 1,551.72 in turn 3.
    Flow("overtime", ["加班费怎么算", "{place}", "月薪六千", "每月加班三十个小时", "没有"],
         {1: LOCAL_ANSWER, 3: ("1,551.72",)}, slots={"monthly_wage": 6000.0, "workday_overtime_hours": 30.0}),
    Flow("social_insurance", ["公司不给交社保怎么办", "{place}", "还在干"], {1: LOCAL_ANSWER},
         slots={"still_employed": True}),
    Flow("work_injury", ["上班时受伤了怎么认定工伤", "{place}", "上个月", "没有"],
         {1: LOCAL_ANSWER, 2: ("工伤认定申请期限",)}, slots={"employer_applied": False}),
    Flow("handoff", ["公司不给交社保怎么办", "{place}", "还在干", "转人工", "需要", "{phone}"],
         {1: LOCAL_ANSWER, 3: ("GY-",), 5: ("139****",)}),
]


def _check_replies(c: "Conversation", turns: range) -> None:
    """Each expected text in the reply to its turn."""
    for turn in turns:
        answer = _texts(c.replies[turn])
        for expected in c.flow.expect.get(turn, ()):
            expected = expected.format(name=c.place[2])
            assert expected in answer, f"{c.sender} ({c.flow.name}, turn {turn}): {expected} not in {answer[:400]}"


def _texts(messages: List[Dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _address_of(sender: str) -> str:
    """A stable made-up client address (TEST-NET-2, 198.51.100.0/24) for one simulated worker."""
    return f"198.51.100.{zlib.crc32(sender.encode()) % 254 + 1}"


class Client:
    """REST turns against a chosen Rasa server or nginx; remembers which server answered."""

    def __init__(self, cluster, session: aiohttp.ClientSession):
        self.cluster, self.session = cluster, session
        self.port_to_server = {url.rsplit(":", 1)[1]: i for i, url in enumerate(cluster.rasa_urls)}

    async def say(self, target: "int | str", sender: str, message: str) -> Tuple[List[Dict], int]:
        """``target`` is 0 or 1 (a Rasa server) or "nginx"; returns the messages and the server index."""
        base = self.cluster.nginx_url if target == "nginx" else self.cluster.rasa_urls[int(target)]
        # Each conversation comes from its own worker's address, as it does through a proxy: without it
        # every simulated worker would share 127.0.0.1 and the per-address limit would (rightly) refuse them.
        headers = {"X-Forwarded-For": _address_of(sender)}
        async with self.session.post(f"{base}/webhooks/rest/webhook", headers=headers,
                                     json={"sender": sender, "message": message}) as response:
            body = await response.text()
            assert response.status == 200, f"{target}: HTTP {response.status} for {message!r}: {body[:300]}"
            messages = await response.json(content_type=None)
            if target == "nginx":
                # X-Upstream lists every server tried ("a, b" after a failover): the last one answered.
                upstream = response.headers.get("X-Upstream", "")
                server = self.port_to_server[upstream.split(",")[-1].strip().rsplit(":", 1)[1]]
            else:
                server = int(target)
        assert messages and _texts(messages).strip(), f"empty reply to {message!r} ({sender}, server {server})"
        assert RATE_LIMITED not in _texts(messages), f"rate-limited: {message!r} ({sender}, server {server})"
        return messages, server

    async def tracker(self, server: int, sender: str) -> Dict:
        url = f"{self.cluster.rasa_urls[server]}/conversations/{sender}/tracker"
        async with self.session.get(url, params={"token": self.cluster.token}) as response:
            assert response.status == 200, await response.text()
            return await response.json()


def _user_texts(tracker: Dict) -> List[str]:
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


def _check_tracker(tracker: Dict, sent: List[str], sender: str) -> None:
    """Every user message once, in order (as stored: personal numbers masked), each answered before the next."""
    from knowledge.privacy import mask_pii

    expected = [mask_pii(text) for text in sent]
    assert _user_texts(tracker) == expected, f"{sender}: user events {_user_texts(tracker)} != sent {expected}"
    answered, waiting = 0, False
    for event in tracker["events"]:
        if event["event"] == "user":
            assert not waiting, f"{sender}: a user message without a bot reply before the next"
            waiting = True
        elif event["event"] == "bot" and waiting:
            waiting, answered = False, answered + 1
    assert answered == len(sent), f"{sender}: {answered} of {len(sent)} messages answered in the tracker"


@dataclass
class Conversation:
    index: int
    flow: Flow
    place: Tuple[str, str, str]
    via_nginx: bool  # odd turns through nginx, even turns to the other server than the one before
    sender: str = ""
    sent: List[str] = field(default_factory=list)
    replies: List[List[Dict]] = field(default_factory=list)
    servers: List[int] = field(default_factory=list)
    latencies: List[float] = field(default_factory=list)

    def message(self, turn: int) -> str:
        return self.flow.turns[turn].format(place=self.place[0], phone=f"1391234{self.index:04d}")

    async def run(self, client: Client) -> None:
        self.sender = f"scale-{self.index:02d}-{uuid.uuid4().hex[:8]}"
        for turn in range(len(self.flow.turns)):
            if self.via_nginx and turn % 2 == 1:
                target: object = "nginx"
            elif turn == 0:
                target = self.index % 2
            else:
                target = 1 - self.servers[-1]  # certainly the other server
            text = self.message(turn)
            started = time.perf_counter()
            messages, server = await client.say(target, self.sender, text)  # type: ignore[arg-type]
            self.latencies.append(time.perf_counter() - started)
            self.sent.append(text)
            self.replies.append(messages)
            self.servers.append(server)


def _percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _nginx_log(cluster) -> List[List[str]]:
    lines = cluster.nginx_access_log.read_text(encoding="utf-8").splitlines()
    return [line.split("|") for line in lines if line.strip()]


def test_fifty_conversations_alternating_between_two_rasa_servers(cluster):
    conversations = [Conversation(i, FLOWS[i % len(FLOWS)], PLACES[i % len(PLACES)], via_nginx=(i % 3 == 0))
                     for i in range(50)]

    async def run_all() -> float:
        timeout = aiohttp.ClientTimeout(total=180)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=100)) as session:
            client = Client(cluster, session)
            started = time.perf_counter()
            await asyncio.gather(*(c.run(client) for c in conversations))
            elapsed = time.perf_counter() - started
            # Each conversation's tracker, from both servers: the same, complete and in order.
            for c in conversations:
                trackers = [await client.tracker(server, c.sender) for server in (0, 1)]
                assert trackers[0]["events"] == trackers[1]["events"], f"{c.sender}: servers disagree"
                _check_tracker(trackers[0], c.sent, c.sender)
                c.tracker = trackers[0]  # type: ignore[attr-defined]
            return elapsed

    elapsed = asyncio.run(run_all())

    for c in conversations:
        # Successive turns were answered by different servers.
        if not c.via_nginx:
            assert all(a != b for a, b in zip(c.servers, c.servers[1:])), (c.sender, c.servers)
        assert set(c.servers) == {0, 1}, (c.sender, c.servers)
        # What one server learnt (the place, the wage, the hours) is used by the other in its reply.
        _check_replies(c, range(len(c.flow.turns)))
        slots = c.tracker["slots"]  # type: ignore[attr-defined]
        assert slots["place"] == c.place[1], (c.sender, slots["place"])
        for slot, value in c.flow.slots.items():
            assert slots[slot] == value, (c.sender, slot, slots[slot])

    through_nginx = Counter(s for c in conversations if c.via_nginx for t, s in enumerate(c.servers) if t % 2 == 1)
    assert set(through_nginx) == {0, 1}, f"nginx sent every request to one server: {through_nginx}"
    latencies = [x for c in conversations for x in c.latencies]
    REPORT["50 conversations"] = {
        "turns": len(latencies), "seconds": round(elapsed, 1), "turns/s": round(len(latencies) / elapsed, 1),
        "p50 ms": round(_percentile(latencies, 0.5) * 1000), "p95 ms": round(_percentile(latencies, 0.95) * 1000),
        "turns per Rasa server": dict(Counter(s for c in conversations for s in c.servers)),
        "nginx turns per Rasa server": dict(through_nginx),
    }
    _DONE["conversations"] = conversations  # for the hand-off test


def test_handoff_cases_are_in_postgresql(cluster):
    from knowledge.db import session_factory
    from knowledge.models import Case

    conversations = _DONE.get("conversations")
    if not conversations:
        pytest.skip("needs the 50 conversations of the test before")
    handoffs = [c for c in conversations if c.flow.name == "handoff"]
    assert len(handoffs) == 10
    session = session_factory(cluster.database_url)()
    try:
        for c in handoffs:
            opened = _texts(c.replies[3])
            reference = re.search(r"GY-[0-9A-Z]+-[0-9A-Z]+", opened)
            assert reference, f"{c.sender}: no case reference in {opened!r}"
            # The case was opened on one server and the consent given on the other.
            assert c.servers[3] != c.servers[4], (c.sender, c.servers)
            assert reference.group(0) in _texts(c.replies[5]), _texts(c.replies[5])
            case = session.query(Case).filter_by(reference=reference.group(0)).one()
            assert case.sender_id == c.sender
            assert case.place_adcode == c.place[1]  # the facts of earlier turns are on the case
            assert case.topic == "social_insurance"
            assert case.consent_at is not None and case.callback_phone == c.message(5)
            assert {e.kind for e in case.events} >= {"created", "consent"}
        assert session.query(Case).count() >= len(handoffs)
    finally:
        session.close()
    assert str(cluster.database_url).startswith("postgresql")


def test_nginx_balanced_rasa_and_action_servers(cluster):
    log = _nginx_log(cluster)
    public, actions = str(cluster.ports["nginx"]), str(cluster.ports["nginx_actions"])
    rest = [f for f in log if f[1] == public and f[3] == "/webhooks/rest/webhook"]
    webhook = [f for f in log if f[1] == actions and f[3] == "/webhook"]
    assert rest and webhook
    assert {f[4] for f in rest + webhook} == {"200"}, Counter(f[4] for f in rest + webhook)
    rasa_upstreams = Counter(f[5] for f in rest)
    action_upstreams = Counter(f[5] for f in webhook)
    assert set(rasa_upstreams) == {u.split("//")[1] for u in cluster.rasa_urls}, rasa_upstreams
    assert set(action_upstreams) == {u.split("//")[1] for u in cluster.actions_urls}, action_upstreams
    # Round robin: neither server got less than a third.
    for counter in (rasa_upstreams, action_upstreams):
        assert min(counter.values()) >= sum(counter.values()) / 3, counter
    REPORT["nginx"] = {"REST requests per Rasa server": dict(rasa_upstreams),
                       "action calls per action server": dict(action_upstreams)}


def test_web_server_and_chat_through_nginx(cluster):
    import json
    import urllib.request

    with urllib.request.urlopen(f"{cluster.nginx_url}/", timeout=30) as response:
        assert response.status == 200 and "<html" in response.read().decode().lower()
    with urllib.request.urlopen(f"{cluster.nginx_url}/api/hotlines", timeout=30) as response:
        hotlines = json.loads(response.read().decode())
    assert any(h["phone"] == "12333" for h in hotlines), hotlines  # read from PostgreSQL
    body = json.dumps({"sender": "scale-web-" + uuid.uuid4().hex[:8], "message": "你好"}).encode()
    request = urllib.request.Request(f"{cluster.nginx_url}/api/chat", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert "工友" in _texts(json.loads(response.read().decode()))


def test_lock_store_issues_unique_tickets_to_concurrent_servers(cluster):
    """Eight clients (as eight Rasa processes would) draw tickets for one conversation at once."""
    from bot.lock_store import AtomicRedisLockStore

    def store() -> AtomicRedisLockStore:
        return AtomicRedisLockStore(host="127.0.0.1", port=cluster.ports["redis"], db=0,
                                    password=cluster.redis_password, key_prefix="locktest")

    conversation = "lock-" + uuid.uuid4().hex[:8]
    tickets: List[int] = []
    guard = threading.Lock()
    start = threading.Barrier(8)

    def draw() -> None:
        mine = store()
        start.wait()
        drawn = [mine.issue_ticket(conversation, 60) for _ in range(25)]
        with guard:
            tickets.extend(drawn)

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(tickets) == list(range(200)), f"{200 - len(set(tickets))} tickets were drawn twice"
    one = store()
    assert one.get_lock(conversation).now_serving == 0
    for ticket in range(200):
        one.cleanup(conversation, ticket)
    assert one.get_lock(conversation) is None  # the last release deleted the lock


def test_messages_of_one_conversation_arriving_at_both_servers_at_once_are_all_kept(cluster):
    async def run() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as session:
            client = Client(cluster, session)

            async def one(k: int) -> None:
                sender = f"scale-race-{k}-{uuid.uuid4().hex[:6]}"
                said = PLACES[k % len(PLACES)][0]
                await client.say(k % 2, sender, "老板拖欠我工资")
                burst = [said, "大概两万块", "已经不干了"]
                await asyncio.gather(*(client.say((k + i + 1) % 2, sender, m) for i, m in enumerate(burst)))
                tracker = await client.tracker(k % 2, sender)
                users = _user_texts(tracker)
                assert Counter(users) == Counter(["老板拖欠我工资", *burst]), f"{sender}: {users}"

            await asyncio.gather(*(one(k) for k in range(10)))

    started = time.perf_counter()
    asyncio.run(run())
    REPORT["concurrent messages of one conversation"] = {"conversations": 10, "seconds":
                                                         round(time.perf_counter() - started, 1)}


@pytest.fixture(scope="module")
def wechat_api():
    """The stand-in for WeChat's API that the cluster's Rasa servers are configured with."""
    from knowledge.settings import settings
    from tests.e2e.wechat_api import FakeWeChatApi

    cfg = settings()
    api = FakeWeChatApi(int(cfg.wechat_api_base.rsplit(":", 1)[1]), cfg.wechat_appid, cfg.wechat_secret)
    api.start()
    yield api
    api.stop()


def test_two_rasa_servers_share_one_wechat_token_and_take_any_wechat_message(cluster, wechat_api):
    """Each WeChat user's messages alternate between the servers; late replies go out on one token."""
    import urllib.parse
    import urllib.request

    from tests.e2e.wechat_api import msg_id, new_openid, reply_content, signed_query, text_xml

    def post(server: int, xml: str) -> str:
        url = f"{cluster.rasa_urls[server]}/webhooks/wechat/webhook?{urllib.parse.urlencode(signed_query())}"
        request = urllib.request.Request(url, data=xml.encode("utf-8"), headers={"Content-Type": "text/xml"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.read().decode("utf-8")

    def delivered(openid: str, seconds: float = 30) -> List[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not wechat_api.messages_to(openid):
            time.sleep(0.2)
        return wechat_api.messages_to(openid)

    # A long answer: the first part is the passive reply, the rest goes through the customer-service
    # API. Three users on each server: both servers use the same token, fetched once.
    question = "我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少"
    users = [new_openid() for _ in range(6)]
    threads = [threading.Thread(target=post, args=(i % 2, text_xml(u, question, msg_id()))) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(delivered(u) for u in users), "a late reply was lost"
    assert (wechat_api.tokens_issued, wechat_api.refused) == (1, 0)

    # WeChat retries a message after 5 s, possibly to the other server: it is answered once.
    openid, retried = new_openid(), msg_id()
    assert reply_content(post(0, text_xml(openid, "加班费怎么算", retried)))
    assert reply_content(post(1, text_xml(openid, "加班费怎么算", retried))) == ""

    # Numbered choices offered by one server are understood by the other.
    offered = reply_content(post(1, text_xml(openid, "我要转人工", msg_id())))
    assert "回复数字选择" in offered
    follow = reply_content(post(0, text_xml(openid, "2", msg_id())))
    assert follow and "号码" not in follow  # choice 2 declines the call-back

    # The token expires: whichever server meets the refusal fetches it again, once, for both.
    wechat_api.expire()
    later = [new_openid() for _ in range(2)]
    for i, u in enumerate(later):
        post(i, text_xml(u, question, msg_id()))
    assert all(delivered(u) for u in later), "a late reply was lost after the token expired"
    assert wechat_api.tokens_issued == 2
    REPORT["WeChat across two servers"] = {"tokens issued": wechat_api.tokens_issued,
                                           "sends refused": wechat_api.refused,
                                           "stable_token calls": wechat_api.stable_calls}


def test_a_restarted_rasa_server_carries_on_conversations_from_postgresql(cluster):
    # Turn 3 goes to the restarted server; its reply needs turns 0-2, two of them told to the other server.
    flows = [FLOWS[0], FLOWS[1]]
    conversations = [Conversation(100 + i, flows[i % 2], PLACES[(i * 2) % len(PLACES)], via_nginx=False)
                     for i in range(4)]
    a, b = 0, 1
    report: Dict[str, object] = {}

    async def turns(targets: Dict[int, object], turn: int) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as session:
            client = Client(cluster, session)

            async def one(c: Conversation) -> None:
                if turn == 0:
                    c.sender = f"scale-restart-{c.index}-{uuid.uuid4().hex[:6]}"
                messages, server = await client.say(targets[c.index], c.sender, c.message(turn))  # type: ignore
                c.sent.append(c.message(turn))
                c.replies.append(messages)
                c.servers.append(server)

            await asyncio.gather(*(one(c) for c in conversations))

    asyncio.run(turns({c.index: b for c in conversations}, 0))
    asyncio.run(turns({c.index: a for c in conversations}, 1))  # the place, told to server A
    old_pid = cluster.rasa[b].process.pid
    cluster.stop_rasa(b)
    # B is down: nginx sends everything to A.
    asyncio.run(turns({c.index: "nginx" for c in conversations}, 2))
    assert [c.servers[2] for c in conversations] == [a] * len(conversations)
    report["restart of a Rasa server (s)"] = round(cluster.start_rasa(b), 1)
    assert cluster.rasa[b].process.pid != old_pid
    asyncio.run(turns({c.index: b for c in conversations}, 3))  # a new process, knowing nothing but the database

    async def check() -> None:
        async with aiohttp.ClientSession() as session:
            client = Client(cluster, session)
            for c in conversations:
                tracker = await client.tracker(b, c.sender)
                _check_tracker(tracker, c.sent, c.sender)
                assert tracker["slots"]["place"] == c.place[1], (c.sender, tracker["slots"]["place"])

    asyncio.run(check())
    for c in conversations:
        _check_replies(c, range(4))
    REPORT.update(report)
