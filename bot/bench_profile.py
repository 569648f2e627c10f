"""Where one message's time goes: NLU, dialogue policies, custom actions, the conversation store.

``python -m bot.bench_profile --model M --endpoints E --conversations ours|starter [--patched]``
loads the model in this process the way ``rasa run`` does (same endpoints, same
log level; ``--patched`` applies :mod:`bot.rasa_server`'s fixes as ``bot.serve``
does), plays the benchmark conversations one message at a time and prints one
JSON object: milliseconds per message spent in each part, as medians and means.

Wall-clock timers wrap Rasa's own steps; the parts do not overlap:

* ``nlu``: ``MessageProcessor.parse_message`` (the whole NLU pipeline);
* ``policies``: ``MessageProcessor._predict_next_with_tracker`` (rules, memoization, TED);
* ``action_server``: the HTTP call to the action server (its work included);
* ``action_handling``: the rest of running custom actions in Rasa (request body,
  checking the reply, turning it into events and messages);
* ``tracker_store``: reading and writing the conversation;
* ``other``: everything else inside ``Agent.handle_message`` (lock, events, templates).

The HTTP layer of the REST channel is not included: compare with the REST latency.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import json
import logging
import os
import statistics
import sys
import time
import uuid
from collections import defaultdict
from typing import Any, Dict, List, Optional

PARTS = ("nlu", "policies", "action_server", "action_handling", "tracker_store", "other")


class Timers:
    """Wall time per part for the message being handled (nested timers subtract from their parent)."""

    def __init__(self) -> None:
        self.current: Dict[str, float] = defaultdict(float)
        self.stack: List[List[Any]] = []  # [name, started, time of nested timers]

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)
        timers = self

        if inspect.iscoroutinefunction(original):
            @functools.wraps(original)
            async def timed(*args: Any, **kwargs: Any) -> Any:
                timers._enter(name)
                try:
                    return await original(*args, **kwargs)
                finally:
                    timers._leave()
        else:
            @functools.wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:
                timers._enter(name)
                try:
                    return original(*args, **kwargs)
                finally:
                    timers._leave()
        setattr(owner, attribute, timed)

    def _enter(self, name: str) -> None:
        self.stack.append([name, time.perf_counter(), 0.0])

    def _leave(self) -> None:
        name, started, nested = self.stack.pop()
        elapsed = time.perf_counter() - started
        self.current[name] += elapsed - nested
        if self.stack:
            self.stack[-1][2] += elapsed

    def take(self) -> Dict[str, float]:
        out, self.current = dict(self.current), defaultdict(float)
        return out


def install(timers: Timers) -> None:
    from rasa.core import tracker_store
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.utils.endpoints import EndpointConfig

    timers.wrap(MessageProcessor, "handle_message", "other")
    timers.wrap(MessageProcessor, "parse_message", "nlu")
    timers.wrap(MessageProcessor, "_predict_next_with_tracker", "policies")
    timers.wrap(RemoteAction, "run", "action_handling")
    timers.wrap(EndpointConfig, "request", "action_server")
    for cls in (tracker_store.SQLTrackerStore, tracker_store.InMemoryTrackerStore):
        for method in ("retrieve", "retrieve_full_tracker", "save", "keys"):
            if method in cls.__dict__:
                timers.wrap(cls, method, "tracker_store")


async def _run(model: str, endpoints_path: str, conversations: List[List[str]], rounds: int) -> Dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints

    timers = Timers()
    install(timers)
    endpoints = AvailableEndpoints.read_endpoints(endpoints_path) if endpoints_path else AvailableEndpoints()
    agent = await load_agent(model_path=model, endpoints=endpoints)

    async def play(record: List[Dict[str, float]]) -> None:
        for conversation in conversations:
            sender = "profile-" + uuid.uuid4().hex[:10]
            for text in conversation:
                timers.take()
                started = time.perf_counter()
                await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
                parts = timers.take()
                parts["total"] = time.perf_counter() - started
                record.append(parts)

    await play([])  # warm-up: first calls build caches and connections
    samples: List[Dict[str, float]] = []
    for _ in range(rounds):
        await play(samples)
    out: Dict[str, Any] = {"messages": len(samples), "median_ms": {}, "mean_ms": {}}
    for part in (*PARTS, "total"):
        values = [s.get(part, 0.0) * 1000 for s in samples]
        out["median_ms"][part] = round(statistics.median(values), 2)
        out["mean_ms"][part] = round(statistics.mean(values), 2)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--endpoints", default="")
    parser.add_argument("--conversations", choices=("ours", "starter"), required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--patched", action="store_true", help="apply bot.rasa_server's fixes first")
    args = parser.parse_args(argv)

    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow import environment as tf_environment

    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.INFO)  # as `rasa run` does by default: no debug output
    tf_environment.setup_tf_environment()  # TF_*_PARALLELISM_THREADS, as `rasa` does
    if args.patched:
        from bot.rasa_server import apply_patches, configure_endpoints

        apply_patches()
        configure_endpoints()
    from bot import bench

    conversations = bench.OUR_CONVERSATIONS if args.conversations == "ours" else bench.STARTER_CONVERSATIONS
    result = asyncio.run(_run(args.model, args.endpoints, conversations, args.rounds))
    sys.stdout.write("\nPROFILE " + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # TensorFlow and aiohttp sessions can hang a normal interpreter exit


if __name__ == "__main__":
    raise SystemExit(main())
