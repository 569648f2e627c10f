"""``make soak`` (not part of ``make test``): 10,000 generated bad inputs through the REST
channel, the web widget's /api/chat and WeChat, then normal conversations.

It counts the answers by status class, keeps the slowest reply, reads the servers'
memory before and after, and checks that every normal message afterwards is answered.
Targets: no server error (5xx) at all, memory growth under 10 %. The figures go to
``reports/soak.md`` and ``reports/soak.json``.
"""
from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Tuple
from xml.sax.saxutils import escape

import pytest

from bot.bench import rss_mb
from bot.channels.wechat import signature_of

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
TOTAL = int(os.environ.get("SOAK_INPUTS", "10000"))
WORKERS = 6
pytestmark = pytest.mark.slow

ATTACKS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "'; DROP TABLE cases; --", "\" OR 1=1 --",
           "{{7*7}}${7*7}", "../../etc/passwd", "/restart", "/request_human{\"case_reference\":\"GY-1\"}",
           "/nlu_fallback", "\u202e反转文字", "\x00\x01\x02", "ｆｕｌｌｗｉｄｔｈ　１２３", "%00%ff", "\\u0000"]
WORDS = ["老板", "拖欠", "工资", "辞退", "怎么办", "江苏", "淮安", "三个月", "一万二", "工伤", "老闆", "薪資", "😭", "🙏",
         "ok", "help", "Зарплата", "راتب", "賃金", "12333", "138 1234 5678", "6222 0212 3456 7890 123"]
NORMAL = [["你好"], ["老板拖欠我三个月工资怎么办", "江苏淮安", "每个月六千"], ["上海最低工资是多少"],
          ["我工作12年了，一年有几天年假"], ["公司无缘无故把我开了，我在苏州", "干了三年", "月薪八千"],
          ["从脚手架上摔下来，老板不肯给我申请工伤"], ["我要转人工", "不用"]]


def _text(rng: random.Random) -> str:
    kind = rng.randrange(8)
    if kind == 0:
        return "".join(chr(rng.randrange(0, 0x2FFFF)) for _ in range(rng.randrange(0, 300)))
    if kind == 1:
        return "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(rng.randrange(0, 400)))
    if kind == 2:
        return "".join(rng.choice(WORDS + ATTACKS) for _ in range(rng.randrange(0, 30)))
    if kind == 3:
        return rng.choice(ATTACKS)
    if kind == 4:
        return "欠薪" * rng.randrange(1, 60_000)  # up to 240 kB of Chinese
    if kind == 5:
        return rng.choice(["", " ", "\t\n", "\u200b"])
    if kind == 6:
        return "".join(rng.choice("0123456789 -.") for _ in range(rng.randrange(1, 40)))
    return rng.choice(WORDS) * rng.randrange(1, 50)


def _rest_body(rng: random.Random) -> bytes:
    kind = rng.randrange(10)
    sender = "soak-" + uuid.UUID(int=rng.getrandbits(128)).hex[:16]
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))  # not UTF-8 / not JSON
    if kind == 1:
        depth = rng.randrange(100, 60_000)
        return b"[" * depth + b"]" * depth  # deeply nested
    if kind == 2:
        return json.dumps(rng.choice([[], "x", 42, None, {"sender": ["a"]}, {"message": "no sender"},
                                      {"sender": "", "message": "x"}, {"sender": sender, "message": {"t": 1}}])).encode()
    if kind == 3:
        return json.dumps({"sender": sender, "message": _text(rng),
                           "metadata": {"k" + str(i): "v" * rng.randrange(1, 400) for i in range(rng.randrange(1, 20))}}
                          ).encode("utf-8", "surrogatepass")
    return json.dumps({"sender": sender, "message": _text(rng)}, ensure_ascii=rng.random() < 0.5).encode(
        "utf-8", "surrogatepass")  # lone surrogates become invalid UTF-8: a bad body to refuse


def _post(url: str, body: bytes, headers: Dict[str, str], timeout: float = 60) -> Tuple[int, float, bytes]:
    started = time.perf_counter()
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, time.perf_counter() - started, response.read()
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        return 599, time.perf_counter() - started, str(error).encode()  # no answer at all counts as a failure


def _one(servers, i: int) -> Tuple[str, int, float]:
    rng = random.Random(i)
    address = f"198.{18 + rng.randrange(2)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    channel = ("rest", "web", "wechat")[i % 3]
    if channel == "rest":
        status, seconds, _ = _post(f"{servers.rasa}/webhooks/rest/webhook", _rest_body(rng),
                                   {"Content-Type": "application/json", "X-Forwarded-For": address})
    elif channel == "web":
        status, seconds, _ = _post(f"{servers.web}/api/chat", _rest_body(rng),
                                   {"Content-Type": "application/json", "X-Forwarded-For": address})
    else:
        openid = "o" + uuid.UUID(int=rng.getrandbits(128)).hex[:27]
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]  # noqa: TID251 - WeChat's real time
        query = f"timestamp={timestamp}&nonce={nonce}&signature={signature_of(os.environ['WECHAT_TOKEN'], timestamp, nonce)}"
        if rng.random() < 0.2:
            xml = _text(rng).encode("utf-8", "replace")  # not XML at all
        else:
            xml = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{timestamp}"
                   f"</CreateTime><MsgType>text</MsgType><Content>{escape(_text(rng)[:2000])}</Content>"
                   f"<MsgId>{rng.getrandbits(60)}</MsgId></xml>").encode("utf-8", "replace")
        status, seconds, _ = _post(f"{servers.rasa}/webhooks/wechat/webhook?{query}", xml, {"Content-Type": "text/xml"})
    return channel, status, seconds


def _memory(servers) -> Dict[str, float]:
    return {s.name: round(rss_mb(s.process.pid), 1) for s in servers.items if s.process}


def _normal_round(servers) -> List[str]:
    """Every normal conversation once; returns the messages that got no useful answer."""
    unanswered = []
    for conversation in NORMAL:
        sender = "soak-normal-" + uuid.uuid4().hex[:10]
        for message in conversation:
            reply = servers.text(sender, message)
            if not reply.strip() or "系统暂时出了点问题" in reply:
                unanswered.append(message)
    return unanswered


def test_soak(servers, wechat_api):
    for _ in range(3):  # warm up: caches, models, connections
        _normal_round(servers)
    before = _memory(servers)
    started = time.perf_counter()
    codes: Counter = Counter()
    by_channel: Dict[str, Counter] = {"rest": Counter(), "web": Counter(), "wechat": Counter()}
    slowest = (0.0, "")
    with ThreadPoolExecutor(WORKERS) as pool:
        for channel, status, seconds in pool.map(lambda i: _one(servers, i), range(TOTAL)):
            klass = f"{status // 100}xx"
            codes[klass] += 1
            by_channel[channel][klass] += 1
            if seconds > slowest[0]:
                slowest = (seconds, channel)
    bad_seconds = time.perf_counter() - started
    unanswered = []
    for _ in range(3):
        unanswered += _normal_round(servers)
    after = _memory(servers)
    growth = {name: round(100 * (after[name] - before[name]) / before[name], 1) for name in before}
    report = {
        "inputs": TOTAL, "seconds": round(bad_seconds, 1), "status_classes": dict(codes),
        "by_channel": {k: dict(v) for k, v in by_channel.items()},
        "slowest_reply_s": round(slowest[0], 2), "slowest_channel": slowest[1],
        "memory_mb_before": before, "memory_mb_after": after, "memory_growth_percent": growth,
        "normal_messages_after": 3 * sum(len(c) for c in NORMAL), "normal_unanswered": unanswered,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "soak.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = ["# Soak test (`make soak`)", "", f"{TOTAL} generated bad inputs in {bad_seconds:.0f} s "
             f"({WORKERS} at once), a third each through REST, /api/chat and WeChat.", "",
             "| | 2xx | 4xx | 5xx |", "|---|---|---|---|"]
    for channel, counter in by_channel.items():
        lines.append(f"| {channel} | {counter['2xx']} | {counter['4xx']} | {counter['5xx']} |")
    lines += ["", f"Slowest reply: {slowest[0]:.2f} s ({slowest[1]}).", "",
              "| process | RSS before (MB) | after (MB) | growth |", "|---|---|---|---|"]
    lines += [f"| {name} | {before[name]} | {after[name]} | {growth[name]} % |" for name in before]
    lines += ["", f"Normal messages afterwards: {report['normal_messages_after']}, unanswered: {len(unanswered)}.", ""]
    (REPORTS / "soak.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    assert codes["5xx"] == 0, report
    assert not unanswered, unanswered
    assert all(g < 10 for g in growth.values()), growth
