"""``make bench``: reply latency, concurrent conversations, memory and lookup speed.

Starts the real action server, Rasa server and web server on their own ports and
var dir (nothing is shared with ``make run``), drives them over the REST channel
and writes ``reports/bench.md``. Numbers are measured, never asserted.
"""
from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
os.environ.setdefault("GONGYOU_VAR_DIR", str(BENCH_VAR))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_VAR / 'gongyou.db'}")
os.environ.setdefault("TRACKER_DATABASE_URL", f"sqlite:///{BENCH_VAR / 'tracker.db'}")
PORTS = {"rasa": 35005, "actions": 35055, "web": 35080}

# Realistic first messages and follow-ups; a conversation is a first message plus answers.
FIRST = ["老板拖欠我三个月工资怎么办", "我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少", "加班费怎么算",
         "公司一直不跟我签劳动合同怎么办", "上班时受伤了怎么认定工伤", "产假有多少天", "你好", "怎么申请法律援助",
         "最低工资是多少", "公司不给交社保怎么办"]
FOLLOW = ["江苏淮安", "一万五", "还在干", "跳过", "三年", "8000", "跳过", "谢谢"]


def _percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


async def _say(session, url: str, sender: str, text: str, latencies: List[float]) -> None:
    started = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as resp:
        await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}")
    latencies.append(time.perf_counter() - started)


async def _conversation(session, url: str, turns: int, latencies: List[float], rng: random.Random) -> None:
    sender = "bench-" + uuid.uuid4().hex[:10]
    await _say(session, url, sender, rng.choice(FIRST), latencies)
    for text in rng.sample(FOLLOW, k=min(turns - 1, len(FOLLOW))):
        await _say(session, url, sender, text, latencies)


async def _run_load(url: str, conversations: int, turns: int, concurrency: int) -> Dict[str, float]:
    import aiohttp

    latencies: List[float] = []
    rng = random.Random(42)
    semaphore = asyncio.Semaphore(concurrency)
    errors = 0

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def one() -> None:
            nonlocal errors
            async with semaphore:
                try:
                    await _conversation(session, url, turns, latencies, rng)
                except Exception:  # noqa: BLE001 - counted, the run goes on
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(conversations)))
        elapsed = time.perf_counter() - started
    return {"messages": len(latencies), "seconds": elapsed, "per_second": len(latencies) / elapsed,
            "p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95), "max": max(latencies),
            "mean": statistics.mean(latencies), "errors": errors}


def _rss_mb(pid: int) -> float:
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in children:
                out.append(int(child))
                out.extend(_children(int(child)))
    except FileNotFoundError:
        pass
    return out


def _lookup_speed() -> Dict[str, float]:
    from knowledge.db import session_scope
    from knowledge.search import search

    queries = ["江苏 产假", "深圳最低工资", "工伤认定 时限", "淮安 仲裁委 电话", "北京 婚假", "经济补偿 封顶", "仲裁时效",
               "农民工 法律援助", "上海 最低工资", "广东 高温津贴"]
    timings = []
    with session_scope() as session:
        search(session, "江苏 产假", on=date.today())  # warm the place matcher
        for _ in range(5):
            for q in queries:
                started = time.perf_counter()
                search(session, q, on=date.today())
                timings.append(time.perf_counter() - started)
    return {"n": len(timings), "p50": _percentile(timings, 0.5), "p95": _percentile(timings, 0.95)}


def main() -> int:
    """Run the benchmarks and write reports/bench.md."""
    import shutil

    from bot import serve
    from bot.settings import MODEL_PATH
    from knowledge.db import session_scope, upgrade
    from knowledge.loader import load, read_data

    if BENCH_VAR.exists():
        shutil.rmtree(BENCH_VAR)
    BENCH_VAR.mkdir(parents=True)
    upgrade()
    with session_scope() as session:
        load(session, read_data())
    items = serve.services(PORTS["rasa"], PORTS["actions"], PORTS["web"])
    started = time.perf_counter()
    for service in items:
        serve.start(service, log_dir=str(BENCH_VAR / "logs"))
    serve.wait_ready(items, timeout=300)
    startup = time.perf_counter() - started
    url = f"http://localhost:{PORTS['rasa']}/webhooks/rest/webhook"
    try:
        asyncio.run(_run_load(url, conversations=5, turns=2, concurrency=1))  # warm-up
        sequential = asyncio.run(_run_load(url, conversations=40, turns=5, concurrency=1))
        concurrent = asyncio.run(_run_load(url, conversations=200, turns=5, concurrency=50))
        memory = {s.name: _rss_mb(s.process.pid) for s in items if s.process}
    finally:
        serve.stop(items)
    lookups = _lookup_speed()
    lines = [
        "# Benchmarks",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on this machine ({os.cpu_count()} cores); model "
        f"{MODEL_PATH.stat().st_size / 1e6:.1f} MB. Servers: one Rasa server, one action server, SQLite.",
        "",
        f"Start-up of the three servers with a trained model: {startup:.1f} s.",
        "",
        "| load | messages | msgs/s | p50 ms | p95 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in (("1 conversation at a time", sequential), ("50 conversations at once", concurrent)):
        lines.append(f"| {name} | {r['messages']} | {r['per_second']:.1f} | {r['p50'] * 1000:.0f} | "
                     f"{r['p95'] * 1000:.0f} | {r['max'] * 1000:.0f} | {r['errors']} |")
    lines += ["", "Resident memory after the load (MB): " +
              ", ".join(f"{name} {mb:.0f}" for name, mb in memory.items()), "",
              f"Staff lookups (`gongyou lookup`, in process): p50 {lookups['p50'] * 1000:.1f} ms, "
              f"p95 {lookups['p95'] * 1000:.1f} ms over {lookups['n']} queries.", ""]
    report = "\n".join(lines)
    out = ROOT / "reports" / "bench.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
