"""``make bench``: latency, throughput, memory and start-up of 工友, next to Rasa's own starter bot.

One run, about 10 minutes on 2 cores (more the first time: the starter bot is trained):

1. Rasa's starter assistant (``rasa init --no-prompt`` in a temporary folder, trained
   there; cached in ``var/bench/starter-rasa-<version>/``), served with plain
   ``rasa run --enable-api`` (in-memory conversation store; it has no custom actions).
2. 工友 as ``make run`` serves it: one Rasa process, the action server, SQLite.
3. 工友 with several Sanic workers (``bot.serve`` with ``REDIS_HOST``): a throw-away
   ``redis-server`` on loopback for the lock store, the conversations in one SQLite file.

For each: cold start (processes started → first successful reply), NLU parse latency
(``/model/parse`` with the token), REST round trips of realistic multi-turn conversations
at 1, 10, 20 and 50 concurrent users (p50/p95/p99, messages per second), peak resident
memory (RSS, children included) of each server, and for the single-process set-ups where
one message's time goes (``bot.bench_profile``). Training time is read from
``models/gongyou.train.json`` (or ``models/train.log``); our model is never retrained here.

Writes ``reports/bench.json`` (every figure) and ``reports/bench.md``. Numbers are
measured, never asserted; the targets are reported as met or not met.
Options: ``--quick`` (short runs for development), ``--duration S`` per load level,
``--levels 1,10,20,50``, ``--skip-starter``, ``--skip-cluster``, ``--skip-profile``.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from bot.debian import ensure_command
from knowledge import clock
from knowledge.settings import MODEL_PATH, Settings, settings

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
RUN_DIR = BENCH_DIR / "run"  # emptied at the start of every run; the starter cache stays
PORTS = {"rasa": 35005, "actions": 35055, "starter": 35105, "redis": 36379}
LEVELS = (1, 10, 20, 50)
REPORTS = ROOT / "reports"

# Realistic conversations: a worker's first message, then answers to the bot's questions
# (place, amounts, dates; "跳过" skips one), ending in the cited answer and a thanks.
OUR_CONVERSATIONS: List[List[str]] = [
    ["老板拖欠我三个月工资怎么办", "江苏淮安", "一共欠了两万四", "还在干", "谢谢"],
    ["我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少", "没有理由就让我走了", "上个月15号", "谢谢"],
    ["产假有多少天", "广东广州", "跳过", "好的，谢谢"],
    ["你好", "加班费怎么算", "上海", "8000元", "20个小时", "没有"],
    ["公司一直不跟我签劳动合同怎么办", "浙江杭州", "没签", "去年3月", "6000块", "谢谢"],
    ["上班时受伤了怎么认定工伤", "北京朝阳区", "上个月", "没申请", "谢谢"],
    ["最低工资是多少", "四川成都", "跳过"],
    ["公司不给交社保怎么办", "湖北武汉", "还在干", "再见"],
    ["怎么申请法律援助", "山东济南", "谢谢"],
    ["年假有几天", "河南郑州", "工作十年了", "谢谢"],
]
# The starter bot's own stories and rules (greet / mood / did that help / bot challenge / bye).
STARTER_CONVERSATIONS: List[List[str]] = [
    ["hi", "I'm great", "bye"],
    ["hello", "I am very sad", "yes", "goodbye"],
    ["hey there", "not good", "no"],
    ["good morning", "are you a bot?", "perfect", "see you later"],
    ["hey", "I am feeling very good", "bye bye"],
    ["hello there", "I'm sad", "yes, it did", "thanks, bye"],
    ["hi", "very bad", "not really"],
    ["good evening", "am I talking to a human?", "great", "goodbye"],
]


# -- small helpers -------------------------------------------------------------------

def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000, 1)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out.append(int(child))
                out.extend(_children(int(child)))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its children (Sanic workers), in MB."""
    total = 0
    for proc in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live children (Sanic workers)."""
    ticks = 0
    for proc in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


class PeakMemory:
    """Samples the RSS (children included) of named processes every 0.25 s; keeps the peak."""

    def __init__(self, pids: Dict[str, int]):
        self.pids = pids
        self.peak: Dict[str, float] = {name: 0.0 for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.25)

    def sample(self) -> None:
        for name, pid in self.pids.items():
            self.peak[name] = max(self.peak[name], rss_mb(pid))

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _address(index: int) -> str:
    """A made-up client address (TEST-NET-3, 203.0.113.0/24, then 198.18.0.0/15) for simulated user ``index``."""
    return f"203.0.113.{index + 1}" if index < 254 else f"198.18.{index // 254}.{index % 254 + 1}"


def _post_json(url: str, body: Dict[str, Any], timeout: float = 10) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-Forwarded-For": _address(255)})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode())


def wait_first_reply(rest_url: str, text: str, started: float, processes: Sequence[subprocess.Popen],
                     also_healthy: Sequence[str] = (), timeout: float = 420) -> float:
    """Seconds from ``started`` until the REST channel answers ``text`` with at least one message
    (and every URL in ``also_healthy`` answers); raises if a process exits or time runs out."""
    from bot.serve import answers as serve_answers

    deadline = started + timeout
    sender = "bench-coldstart-" + uuid.uuid4().hex[:8]
    while time.perf_counter() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with code {process.returncode} while starting")
        try:
            # A long timeout: the first message after loading is slow, and an abandoned request
            # would be cancelled in Rasa and retried, counting the wrong reply.
            if all(serve_answers(u) for u in also_healthy) and _post_json(rest_url, {"sender": sender, "message": text},
                                                                     timeout=180):
                return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"no reply from {rest_url} within {timeout:.0f} s")


# -- load ----------------------------------------------------------------------------


async def _load_level(rest_url: str, conversations: List[List[str]], users: int, duration: float,
                      min_messages: int) -> Dict[str, Any]:
    """``users`` simulated users, each playing conversations back to back (one message at a
    time, waiting for the reply) for ``duration`` seconds and at least ``min_messages`` in all."""
    import aiohttp

    from bot.channels.guard import RATE_LIMITED

    latencies: List[float] = []
    errors = 0
    empty = 0
    rng = random.Random(users)
    started = time.perf_counter()
    deadline = started + duration
    last_done = started

    def more() -> bool:
        return time.perf_counter() < deadline or len(latencies) + errors < min_messages

    # Every message on a new connection, as messages from many phones and browsers arrive: with
    # kept-alive connections each simulated user would stay on one Sanic worker all run long.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def user(index: int) -> None:
            nonlocal errors, empty, last_done
            order = list(range(len(conversations)))
            rng.shuffle(order)
            k = index
            while more():
                script = conversations[order[k % len(order)]]
                k += 1
                sender = f"bench-{users}-{index}-{uuid.uuid4().hex[:8]}"
                for text in script:
                    if not more():
                        return
                    sent = time.perf_counter()
                    try:
                        # Each simulated user from their own address, as through a proxy: from one
                        # address the per-address limit would answer most messages with a refusal.
                        async with session.post(rest_url, json={"sender": sender, "message": text},
                                                headers={"X-Forwarded-For": _address(index)}) as resp:
                            body = await resp.read()
                            if resp.status != 200:
                                raise RuntimeError(f"HTTP {resp.status}")
                        replies = json.loads(body or b"[]")
                        if any(RATE_LIMITED in str(m.get("text", "")) for m in replies):
                            raise RuntimeError("rate-limited")  # cheap refusals must not count as replies
                        latencies.append(time.perf_counter() - sent)
                        if not replies:
                            empty += 1
                    except Exception:  # noqa: BLE001 - counted; the run goes on
                        errors += 1
                    last_done = time.perf_counter()

        await asyncio.gather(*(user(i) for i in range(users)))
    elapsed = max(last_done - started, 1e-9)
    return {
        "users": users, "messages": len(latencies), "errors": errors, "empty_replies": empty,
        "seconds": round(elapsed, 2), "messages_per_second": round(len(latencies) / elapsed, 2),
        "p50_ms": _ms(_percentile(latencies, 0.50)), "p95_ms": _ms(_percentile(latencies, 0.95)),
        "p99_ms": _ms(_percentile(latencies, 0.99)), "mean_ms": _ms(statistics.mean(latencies)) if latencies else None,
        "max_ms": _ms(max(latencies)) if latencies else None,
    }


def load_levels(rest_url: str, conversations: List[List[str]], levels: Sequence[int], duration: float,
                pids: Dict[str, int]) -> Dict[str, Dict[str, Any]]:
    """Each load level in turn, with the servers' CPU time per message (less sensitive than
    wall-clock throughput to other programs on the machine)."""
    out: Dict[str, Dict[str, Any]] = {}
    for users in levels:
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load_before = os.getloadavg()[0]
        result = asyncio.run(_load_level(rest_url, conversations, users, duration, min_messages=max(40, 4 * users)))
        spent = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        result["cpu_ms_per_message"] = {name: round(1000 * sec / max(1, result["messages"]), 1)
                                        for name, sec in spent.items()}
        result["load_average_1min"] = round(max(load_before, os.getloadavg()[0]), 2)
        _log(f"  {users:>2} users: {result['messages']} msgs, {result['messages_per_second']} msg/s, "
             f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
             f"errors {result['errors']}, CPU ms/msg {result['cpu_ms_per_message']}")
        out[str(users)] = result
    return out


def warm_up(rest_url: str, conversations: List[List[str]]) -> None:
    """Play every conversation once (first calls build caches, connections, TensorFlow graphs)."""
    for script in conversations:
        sender = "bench-warmup-" + uuid.uuid4().hex[:8]
        for text in script:
            _post_json(rest_url, {"sender": sender, "message": text}, timeout=120)


def parse_latency(base_url: str, token: str, conversations: List[List[str]], rounds: int = 3) -> Dict[str, Any]:
    """Sequential ``POST /model/parse?token=…`` over every distinct message."""
    texts = sorted({t for script in conversations for t in script})
    url = f"{base_url}/model/parse?token={token}"
    _post_json(url, {"text": texts[0]}, timeout=60)
    timings: List[float] = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            _post_json(url, {"text": text}, timeout=60)
            timings.append(time.perf_counter() - started)
    return {"n": len(timings), "p50_ms": _ms(_percentile(timings, 0.5)), "p95_ms": _ms(_percentile(timings, 0.95))}


def profile_turns(model: Path, conversations: str, env: Dict[str, str], endpoints: str = "",
                  patched: bool = False) -> Optional[Dict[str, Any]]:
    """Run :mod:`bot.bench_profile` in its own process; None if it fails."""
    command = [sys.executable, "-m", "bot.bench_profile", "--model", str(model), "--conversations", conversations]
    if endpoints:
        command += ["--endpoints", endpoints]
    if patched:
        command.append("--patched")
    log = RUN_DIR / "logs" / f"profile-{conversations}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None
    log.write_text(result.stdout + result.stderr, encoding="utf-8")
    for line in result.stdout.splitlines():
        if line.startswith("PROFILE "):
            return json.loads(line[len("PROFILE "):])
    _log(f"  profile failed (exit {result.returncode}); see {log.relative_to(ROOT)}")
    return None


def _stop(processes: Sequence[subprocess.Popen], grace: float = 20.0) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# -- training figures ----------------------------------------------------------------

_STAMP = re.compile(rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", re.M)


def _log_span(text: bytes) -> Optional[float]:
    """Seconds between the first and last timestamped log line (Rasa's training output)."""
    stamps = _STAMP.findall(text)
    if len(stamps) < 2:
        return None
    first, last = (datetime.datetime.strptime(s.decode(), "%Y-%m-%d %H:%M:%S") for s in (stamps[0], stamps[-1]))
    return (last - first).total_seconds()


def our_training() -> Dict[str, Any]:
    """How long our model took to train, as recorded when it was trained (never retrained here)."""
    from bot.training import TRAIN_RECORD_PATH
    from knowledge.settings import MODEL_HASH_PATH, MODELS_DIR

    out: Dict[str, Any] = {"seconds": None, "source": None}
    current_hash = MODEL_HASH_PATH.read_text().strip() if MODEL_HASH_PATH.exists() else None
    if TRAIN_RECORD_PATH.exists():
        record = json.loads(TRAIN_RECORD_PATH.read_text())
        if record.get("fingerprint") == current_hash:
            out.update(seconds=record.get("seconds"), source=str(TRAIN_RECORD_PATH.relative_to(ROOT)),
                       what="wall time of `rasa train` (start-up included)", when=record.get("finished"),
                       restored_from_cache=record.get("restored_from_cache"))
            return out
    log = MODELS_DIR / "train.log"
    if log.exists():
        text = log.read_bytes()
        out.update(seconds=_log_span(text), source=str(log.relative_to(ROOT)),
                   what="first to last timestamped line of the training log (start-up of ~10 s not included)",
                   restored_from_cache=sorted({m.decode() for m in re.findall(rb"Restored component '(\w+)'", text)}))
    return out


# -- the starter bot -----------------------------------------------------------------

def _rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def starter_project() -> Dict[str, Any]:
    """Rasa's starter project, trained; built with ``rasa init --no-prompt`` once per Rasa version."""
    version = _rasa_version()
    home = BENCH_DIR / f"starter-rasa-{version}"
    meta_path = home / "bench-meta.json"
    models = sorted((home / "models").glob("*.tar.gz")) if home.exists() else []
    if meta_path.exists() and models:
        meta = json.loads(meta_path.read_text())
        meta.update(cached=True, model=str(models[-1]), dir=str(home))
        return meta
    _log(f"Building Rasa's starter bot (rasa init --no-prompt, Rasa {version}); cached in {home.relative_to(ROOT)}")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="starter-", dir=BENCH_DIR))
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PYTHONPATH", None)
    started = time.perf_counter()
    # cwd: the temporary folder, so Rasa's training cache (.rasa/) starts empty there too.
    result = subprocess.run([str(Path(sys.executable).with_name("rasa")), "init", "--no-prompt", "--init-dir", str(work)],
                            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    (work / "init.log").write_bytes(result.stdout)
    models = sorted((work / "models").glob("*.tar.gz"))
    if result.returncode != 0 or not models:
        raise RuntimeError(f"rasa init failed (exit {result.returncode}); see {work / 'init.log'}")
    meta = {"rasa_version": version, "init_seconds": round(seconds, 1), "train_log_seconds": _log_span(result.stdout),
            "built": clock.china_now().isoformat(timespec="seconds"), "model_mb": round(models[-1].stat().st_size / 1e6, 1)}
    (work / "bench-meta.json").write_text(json.dumps(meta, indent=2))
    if home.exists():
        shutil.rmtree(home)
    work.rename(home)
    meta.update(cached=False, model=str(home / "models" / models[-1].name), dir=str(home))
    return meta


def measure_starter(levels: Sequence[int], duration: float, profile: bool, token: str) -> Dict[str, Any]:
    meta = starter_project()
    home = Path(meta["dir"])
    port = PORTS["starter"]
    base = f"http://localhost:{port}"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("SANIC_WORKERS", None)
    log = open(RUN_DIR / "logs" / "starter.log", "ab")
    _log("Starter bot: plain `rasa run --enable-api` (one process, in-memory store, no action server)")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--enable-api", "--auth-token", token, "--port", str(port),
         "--model", meta["model"], "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    out: Dict[str, Any] = {"setup": "starter", "training": meta}
    try:
        with PeakMemory({"rasa": process.pid}) as memory:
            out["cold_start_s"] = round(wait_first_reply(f"{base}/webhooks/rest/webhook", "hi", started, [process]), 1)
            _log(f"  cold start {out['cold_start_s']} s")
            warm_up(f"{base}/webhooks/rest/webhook", STARTER_CONVERSATIONS)
            out["parse"] = parse_latency(base, token, STARTER_CONVERSATIONS)
            _log(f"  /model/parse p50 {out['parse']['p50_ms']} ms, p95 {out['parse']['p95_ms']} ms")
            out["load"] = load_levels(f"{base}/webhooks/rest/webhook", STARTER_CONVERSATIONS, levels, duration,
                                      {"rasa": process.pid})
        out["peak_rss_mb"] = {k: round(v) for k, v in memory.peak.items()}
    finally:
        _stop([process])
        log.close()
    if profile:
        out["profile"] = profile_turns(Path(meta["model"]), "starter", {**env, "PYTHONPATH": str(ROOT)})
    return out


# -- 工友 -----------------------------------------------------------------------------

def measure_ours(label: str, levels: Sequence[int], duration: float, profile: bool, cfg: Settings) -> Dict[str, Any]:
    """Start the action server and Rasa server as ``bot.serve`` does (with ``cfg``) and measure them."""
    from bot import serve

    items = serve.services(cfg, with_web=False)
    token = cfg.rasa_auth_token()
    base = f"http://localhost:{cfg.rasa_port}"
    rest = f"{base}/webhooks/rest/webhook"
    _log(f"工友, {label}: {cfg.rasa_workers} Rasa worker(s), endpoints {cfg.endpoints_file}")
    out: Dict[str, Any] = {"setup": label, "rasa_workers": cfg.rasa_workers, "endpoints": cfg.endpoints_file}
    started = time.perf_counter()
    for service in items:
        serve.start(service, cfg, log_dir=str(RUN_DIR / "logs" / label))
    try:
        pids = {s.name: s.process.pid for s in items if s.process}
        with PeakMemory(pids) as memory:
            out["cold_start_s"] = round(wait_first_reply(
                rest, "你好", started, [s.process for s in items if s.process],
                also_healthy=[f"http://localhost:{cfg.actions_port}/health"]), 1)
            _log(f"  cold start {out['cold_start_s']} s")
            warm_up(rest, OUR_CONVERSATIONS)
            out["parse"] = parse_latency(base, token, OUR_CONVERSATIONS)
            _log(f"  /model/parse p50 {out['parse']['p50_ms']} ms, p95 {out['parse']['p95_ms']} ms")
            out["load"] = load_levels(rest, OUR_CONVERSATIONS, levels, duration, pids)
        out["peak_rss_mb"] = {k: round(v) for k, v in memory.peak.items()}
        _log(f"  peak memory (MB): {out['peak_rss_mb']}")
        if profile:
            _log("  profiling single messages (model loaded in a separate process) …")
            profile_cfg = cfg.with_values(tracker_database_url=f"sqlite:///{RUN_DIR / 'tracker-profile.db'}")
            profile_env = {**serve.service_env(profile_cfg), **items[1].env}
            out["profile"] = profile_turns(MODEL_PATH, "ours", profile_env, endpoints="endpoints.yml", patched=True)
    finally:
        serve.stop(items)
    return out


def start_redis() -> Optional[subprocess.Popen]:
    """A throw-away redis-server on loopback (installed with apt when missing); None if impossible."""
    try:
        redis_server = ensure_command("redis-server", "redis-server")
    except (RuntimeError, subprocess.CalledProcessError):
        return None
    port = PORTS["redis"]
    if not _port_free(port):
        raise RuntimeError(f"port {port} (bench redis) is in use")
    process = subprocess.Popen(
        [redis_server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--dir", str(RUN_DIR)],
        stdout=open(RUN_DIR / "logs" / "redis.log", "ab"), stderr=subprocess.STDOUT)
    for _ in range(50):
        if not _port_free(port):
            return process
        time.sleep(0.1)
    _stop([process])
    return None


def lookup_speed(database_url: str) -> Dict[str, Any]:
    """Staff look-ups (``gongyou lookup``), in process."""
    from knowledge.db import session_scope
    from knowledge.search import search

    queries = ["江苏 产假", "深圳最低工资", "工伤认定 时限", "淮安 仲裁委 电话", "北京 婚假", "经济补偿 封顶", "仲裁时效",
               "农民工 法律援助", "上海 最低工资", "广东 高温津贴"]
    timings = []
    with session_scope(database_url) as session:
        search(session, "江苏 产假", on=clock.today())  # warm the place matcher
        for _ in range(5):
            for q in queries:
                started = time.perf_counter()
                search(session, q, on=clock.today())
                timings.append(time.perf_counter() - started)
    return {"n": len(timings), "p50_ms": _ms(_percentile(timings, 0.5)), "p95_ms": _ms(_percentile(timings, 0.95))}


def document_speed(database_url: str) -> Dict[str, Any]:
    """Each document of a wage-arrears case built three times: text, Word and PDF (median ms)."""
    from datetime import date

    from knowledge.db import session_scope
    from knowledge.documents import CaseFacts, Parties, available_kinds, compose
    from knowledge.documents.docx_file import to_docx
    from knowledge.documents.pdf_file import FontMissing, to_pdf

    case = CaseFacts("wage_arrears", "320803", {"monthly_wage": 8000.0, "arrears_months": 3.0,
                                                "still_employed": False, "left_date": "2026-10-15"},
                     date(2026, 11, 28), Parties(name="张三", employer="某某制造有限公司"))
    out: Dict[str, Any] = {}
    with session_scope(database_url) as session:
        for kind in available_kinds("wage_arrears", staff=True):
            timings: Dict[str, List[float]] = {"compose": [], "docx": [], "pdf": []}
            for _ in range(3):
                started = time.perf_counter()
                doc = compose(session, kind, case)
                composed = time.perf_counter()
                to_docx(doc)
                written = time.perf_counter()
                timings["compose"].append(composed - started)
                timings["docx"].append(written - composed)
                try:
                    to_pdf(doc)
                    timings["pdf"].append(time.perf_counter() - written)
                except FontMissing:  # reported as missing: no Chinese font on this machine
                    pass
            out[kind] = {part: _ms(_percentile(values, 0.5)) for part, values in timings.items() if values}
    return out


# -- report --------------------------------------------------------------------------

def _ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    if ours is None or theirs in (None, 0):
        return None
    return round(ours / theirs, 2)


def _cpu_total(setup: Dict[str, Any], users: str) -> Optional[float]:
    cpu = (setup.get("load", {}).get(users) or {}).get("cpu_ms_per_message")
    return round(sum(cpu.values()), 1) if cpu else None


def comparisons(results: Dict[str, Any]) -> Dict[str, Any]:
    """Our figures as ratios to the starter's, and the targets met or not."""
    starter = results.get("starter")
    if not starter:
        return {}

    def level(setup: Dict[str, Any], users: str, key: str) -> Optional[float]:
        return (setup.get("load", {}).get(users) or {}).get(key)

    out: Dict[str, Any] = {}
    for key in ("single", "cluster"):
        ours = results.get(key)
        if not ours:
            continue
        ours_mem = sum(ours["peak_rss_mb"].values())
        ratios = {
            "p50_1_user": _ratio(level(ours, "1", "p50_ms"), level(starter, "1", "p50_ms")),
            "p95_20_users": _ratio(level(ours, "20", "p95_ms"), level(starter, "20", "p95_ms")),
            "throughput_20_users": _ratio(level(ours, "20", "messages_per_second"), level(starter, "20", "messages_per_second")),
            "cold_start": _ratio(ours.get("cold_start_s"), starter.get("cold_start_s")),
            "memory_rasa": _ratio(ours["peak_rss_mb"].get("rasa"), starter["peak_rss_mb"].get("rasa")),
            "memory_all_servers": _ratio(ours_mem, starter["peak_rss_mb"].get("rasa")),
            "cpu_per_message_20_users": _ratio(_cpu_total(ours, "20"), _cpu_total(starter, "20")),
        }

        def met(value: Optional[float], ok: Callable[[float], bool]) -> Optional[bool]:
            return None if value is None else bool(ok(value))

        targets = {
            "p95_20_users_no_worse": met(ratios["p95_20_users"], lambda r: r <= 1.0),
            "throughput_20_users_at_least_2x": met(ratios["throughput_20_users"], lambda r: r >= 2.0),
            "p50_1_user_within_1.2x": met(ratios["p50_1_user"], lambda r: r <= 1.2),
            "cold_start_no_slower": met(ratios["cold_start"], lambda r: r <= 1.0),
        }
        out[key] = {"ratios": ratios, "targets": targets}
    return out


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _x(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}×"


def render_markdown(results: Dict[str, Any]) -> str:
    meta = results["meta"]
    names = {"starter": "Rasa starter bot (`rasa init`), 1 process",
             "single": "工友, 1 Rasa process (`make run`)",
             "cluster": f"工友, {(results.get('cluster') or {}).get('rasa_workers', '?')} Rasa workers + Redis lock store"}
    setups = [k for k in ("starter", "single", "cluster") if results.get(k)]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {meta['measured']} on {meta['host']} ({meta['cpus']} cores, {meta['memory_gb']} GB), "
        f"Rasa {meta['rasa']}, Python {meta['python']}; load average at the start {meta['load_average']}. "
        f"{meta['duration_s']:.0f} s per load level. `make bench` (bot/bench.py) wrote this file and `reports/bench.json`.",
        "",
        "Each simulated user plays realistic multi-turn conversations back to back over the REST channel, "
        "sending the next message when the reply has arrived (工友: a labour question, the place, amounts or dates, "
        "the cited answer, thanks; the starter bot: its own greet / mood / did-that-help / bot-challenge stories). "
        "Latency is one REST round trip (message in, all replies out), each message on a new connection.",
        "",
        "## Latency and throughput",
        "",
        "| set-up | users | messages | msg/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/msg (Rasa + actions) | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in setups:
        for users, r in results[key]["load"].items():
            cpu = r.get("cpu_ms_per_message") or {}
            cpu_text = " + ".join(_fmt(cpu[name]) for name in ("rasa", "actions") if name in cpu)
            lines.append(f"| {names[key]} | {users} | {r['messages']} | {_fmt(r['messages_per_second'], 1)} | "
                         f"{_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} | {_fmt(r['p99_ms'])} | {r['errors']} | "
                         f"{cpu_text} | {_fmt(r.get('load_average_1min'), 1)} |")
    lines += ["", "CPU ms/msg: CPU time the servers used during the level divided by the messages answered "
              "(changes little when other programs share the machine, unlike msg/s). Load avg: the machine's "
              "1-minute load average around the level (everything running, this benchmark included)."]
    lines += ["", "## NLU, start-up, memory, training", "",
              "| set-up | /model/parse p50 ms | p95 ms | cold start s | peak RSS MB (Rasa) | peak RSS MB (action server) |",
              "|---|---|---|---|---|---|"]
    for key in setups:
        r = results[key]
        lines.append(f"| {names[key]} | {_fmt(r['parse']['p50_ms'], 1)} | {_fmt(r['parse']['p95_ms'], 1)} | "
                     f"{_fmt(r['cold_start_s'], 1)} | {_fmt(r['peak_rss_mb'].get('rasa'))} | "
                     f"{_fmt(r['peak_rss_mb'].get('actions'))} |")
    lines += ["", "Cold start: processes started → first successful REST reply (工友: action server healthy too). "
              "Peak RSS: sampled every 0.25 s, children (Sanic workers) included."]
    training = results.get("training", {})
    starter = results.get("starter") or {}
    s_train = starter.get("training") or {}
    if training.get("seconds"):
        text = f"Training: 工友 {training['seconds']:.0f} s — {training.get('what')}, from `{training.get('source')}`"
        if training.get("restored_from_cache"):
            text += (f"; that run reused {', '.join(training['restored_from_cache'])} from Rasa's training cache, "
                     "so a training from scratch takes longer")
    else:
        text = "Training: 工友 not recorded"
    if s_train:
        text += (f". Starter bot: `rasa init --no-prompt` {s_train.get('init_seconds')} s wall clock, "
                 f"{_fmt(s_train.get('train_log_seconds'))} s from first to last line of its training log "
                 f"(built {s_train.get('built')}" + ("; cached since" if s_train.get("cached") else "") + ")")
    lines += ["", text + "."]
    if results.get("comparison"):
        lines += ["", "## 工友 relative to the starter bot (ratio ours / starter; lower is better except throughput)", "",
                  "| set-up | p50, 1 user | p95, 20 users | msg/s, 20 users | cold start | memory (Rasa) | "
                  "memory (all servers) | CPU per message, 20 users |",
                  "|---|---|---|---|---|---|---|---|"]
        for key, c in results["comparison"].items():
            r = c["ratios"]
            lines.append(f"| {names[key]} | {_x(r['p50_1_user'])} | {_x(r['p95_20_users'])} | "
                         f"{_x(r['throughput_20_users'])} | {_x(r['cold_start'])} | "
                         f"{_x(r['memory_rasa'])} | {_x(r['memory_all_servers'])} | "
                         f"{_x(r.get('cpu_per_message_20_users'))} |")
        lines += ["", "Targets: p95 at 20 users no worse than the starter's; throughput at 20 users at least 2× the "
                  "starter's single process; p50 for one user within 1.2× the starter's; cold start no slower.", "",
                  "| set-up | p95 @20 ≤ 1× | msg/s @20 ≥ 2× | p50 @1 ≤ 1.2× | cold start ≤ 1× |", "|---|---|---|---|---|"]
        for key, c in results["comparison"].items():
            t = c["targets"]
            mark = {True: "met", False: "**not met**", None: "–"}
            lines.append(f"| {names[key]} | {mark[t['p95_20_users_no_worse']]} | {mark[t['throughput_20_users_at_least_2x']]} | "
                         f"{mark[t['p50_1_user_within_1.2x']]} | {mark[t['cold_start_no_slower']]} |")
    profiles = [(k, results[k].get("profile")) for k in setups if results[k].get("profile")]
    if profiles:
        lines += ["", "## Where one message's time goes (ms per message, median / mean; one user, in process)", "",
                  "| set-up | NLU | policies | action server | action handling in Rasa | conversation store | other | total |",
                  "|---|---|---|---|---|---|---|---|"]
        for key, p in profiles:
            med, mean = p["median_ms"], p["mean_ms"]
            cells = " | ".join(f"{med[part]:.1f} / {mean[part]:.1f}" for part in
                               ("nlu", "policies", "action_server", "action_handling", "tracker_store", "other", "total"))
            lines.append(f"| {names[key]} | {cells} |")
        lines += ["", "Measured by `bot.bench_profile` (timers around Rasa's own steps over the same conversations); "
                  "the HTTP layer of the REST channel is not included."]
    if results.get("lookups"):
        lk = results["lookups"]
        lines += ["", f"Staff look-ups (`gongyou lookup`, in process): p50 {_fmt(lk['p50_ms'], 1)} ms, "
                      f"p95 {_fmt(lk['p95_ms'], 1)} ms over {lk['n']} queries."]
    if results.get("documents"):
        lines += ["", "Documents (median of 3, in process; the PDF's time is mostly embedding the Chinese font):", "",
                  "| Document | compose ms | Word ms | PDF ms |", "|---|---|---|---|"]
        for kind, t in results["documents"].items():
            lines.append(f"| {kind} | {_fmt(t.get('compose'))} | {_fmt(t.get('docx'))} | {_fmt(t.get('pdf'))} |")
    if results.get("notes"):
        lines += ["", "Notes:", *[f"- {n}" for n in results["notes"]]]
    return "\n".join(lines) + "\n"


# -- main ----------------------------------------------------------------------------

def main(argv: Optional[List[str]] = None) -> int:
    """Run the benchmarks and write reports/bench.json and reports/bench.md."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description="工友 benchmarks (see module docstring)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load level (default 20)")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="concurrent users, comma-separated")
    parser.add_argument("--quick", action="store_true", help="short runs for development (4 s per level, no profile)")
    parser.add_argument("--skip-starter", action="store_true")
    parser.add_argument("--skip-cluster", action="store_true")
    parser.add_argument("--skip-profile", action="store_true")
    args = parser.parse_args(argv)
    duration = 4.0 if args.quick else args.duration
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    profile = not (args.skip_profile or args.quick)

    # The bench's own databases, ports and secrets, whatever `make run` is configured with: loading the
    # knowledge base and thousands of test conversations must never touch real data.
    cfg = settings().with_values(
        var_dir=RUN_DIR, database_url=f"sqlite:///{RUN_DIR / 'gongyou.db'}",
        tracker_database_url=f"sqlite:///{RUN_DIR / 'tracker.db'}",
        rasa_auth_token_env="bench-" + secrets.token_hex(12), action_secret_env="bench-" + secrets.token_hex(12),
        rasa_port=PORTS["rasa"], actions_port=PORTS["actions"], rasa_url=f"http://127.0.0.1:{PORTS['rasa']}",
        action_server_url=f"http://127.0.0.1:{PORTS['actions']}/webhook",
        redis_host="", redis_port=6379, redis_db=0, now=None,
        # A load test sends far faster than any worker types: the per-sender and per-address
        # limits (#14) would answer most messages with a cheap refusal and flatter every figure.
        rate_per_minute=1e9, rate_burst=10**9, address_per_minute=1e9, address_burst=10**9)

    from knowledge.db import session_scope, upgrade
    from knowledge.loader import load, read_data

    bench_started = time.perf_counter()
    if RUN_DIR.exists():
        shutil.rmtree(RUN_DIR)
    (RUN_DIR / "logs").mkdir(parents=True)
    for name in ("rasa", "actions", "starter"):
        if not _port_free(PORTS[name]):
            raise SystemExit(f"port {PORTS[name]} ({name}) is in use: is another bench running?")
    upgrade(cfg.database_url)
    with session_scope(cfg.database_url) as session:
        load(session, read_data())

    with open("/proc/meminfo") as f:
        memory_gb = round(int(f.readline().split()[1]) / 1024 / 1024)
    results: Dict[str, Any] = {"meta": {
        "measured": clock.china_now().strftime("%Y-%m-%d %H:%M"), "host": platform.node() or "this machine",
        "cpus": os.cpu_count(), "memory_gb": memory_gb, "rasa": _rasa_version(), "python": platform.python_version(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()), "duration_s": duration, "levels": levels,
        "model_mb": round(MODEL_PATH.stat().st_size / 1e6, 1),
    }, "notes": []}
    results["training"] = our_training()

    if not args.skip_starter:
        results["starter"] = measure_starter(levels, duration, profile, cfg.rasa_auth_token())
    results["single"] = measure_ours("single", levels, duration, profile, cfg)
    if not args.skip_cluster:
        redis = start_redis()
        if redis is None:
            results["notes"].append("redis-server could not be started: the multi-worker set-up was not measured.")
        else:
            try:
                results["cluster"] = measure_ours("cluster", levels, duration, False, cfg.with_values(
                    redis_host="127.0.0.1", redis_port=PORTS["redis"], redis_db=0,
                    tracker_database_url=f"sqlite:///{RUN_DIR / 'tracker-cluster.db'}"))
            finally:
                _stop([redis])
    results["notes"].append("The per-sender and per-address rate limits are lifted for the bench (its simulated "
                            "users send far faster than people type); a refused message counts as an error.")
    results["lookups"] = lookup_speed(cfg.database_url)
    results["documents"] = document_speed(cfg.database_url)
    results["comparison"] = comparisons(results)
    results["meta"]["bench_seconds"] = round(time.perf_counter() - bench_started)
    results["notes"].append(
        f"工友's servers ran from {ROOT.name} with the conversation store in SQLite (var/bench/run/); the multi-worker "
        "set-up shares one SQLite file between the workers (PostgreSQL in production).")
    results["notes"].append(f"The whole run took {results['meta']['bench_seconds'] / 60:.1f} minutes.")

    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report = render_markdown(results)
    (REPORTS / "bench.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
