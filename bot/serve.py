"""Run the whole assistant: action server, Rasa server and web server, stopped together.

One Ctrl-C (SIGINT) or SIGTERM stops all three; if one of them dies the others
are stopped too, so a half-running assistant never lingers.

One Rasa process handles one message at a time (model inference and the dialogue
run on one event loop). With ``REDIS_HOST`` set, the Rasa server uses
``deploy/endpoints.cluster.yml`` (Redis lock store, SQL tracker store) and runs
``GONGYOU_RASA_WORKERS`` Sanic worker processes (default: one per CPU core, at
most 4; each holds its own copy of the model, ~1.4 GB). Rasa allows more than
one worker only with a Redis (or custom) lock store. ``GONGYOU_ACTIONS_WORKERS``
(default 1) does the same for the stateless action server.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from bot.settings import (
    ACTIONS_PORT,
    HOST,
    MODEL_PATH,
    RASA_PORT,
    ROOT,
    VAR_DIR,
    WEB_PORT,
    database_url,
    rasa_auth_token,
    tracker_database_url,
)


@dataclass
class Service:
    """One child process and the URL that says it is ready."""

    name: str
    command: List[str]
    health_url: str
    env: Dict[str, str] = field(default_factory=dict)
    process: Optional[subprocess.Popen] = None


WECHAT_ENV = ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_AES_KEY")


CLUSTER_ENDPOINTS = "deploy/endpoints.cluster.yml"
MAX_DEFAULT_WORKERS = 4


def redis_configured() -> bool:
    """True when a Redis lock store is configured (``REDIS_HOST``): several Rasa workers may run."""
    return bool(os.environ.get("REDIS_HOST"))


def endpoints_file() -> str:
    """``deploy/endpoints.cluster.yml`` with Redis, else ``endpoints.yml``."""
    return CLUSTER_ENDPOINTS if redis_configured() else "endpoints.yml"


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise SystemExit(f"{name} must be at least 1, not {number}")
    return number


def rasa_workers() -> int:
    """Sanic workers for the Rasa server: 1 without Redis (Rasa refuses more with its
    in-memory lock store); with Redis ``GONGYOU_RASA_WORKERS``, default one per core (≤ 4)."""
    if not redis_configured():
        return 1
    return _positive_int("GONGYOU_RASA_WORKERS", max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)))


def actions_workers() -> int:
    """Sanic workers for the action server (stateless): ``GONGYOU_ACTIONS_WORKERS``, default 1."""
    return _positive_int("GONGYOU_ACTIONS_WORKERS", 1)


def service_env() -> Dict[str, str]:
    """Environment shared by the children (quiet TensorFlow, project on the path)."""
    # deploy/endpoints.cluster.yml names all four; an unset one would stop Rasa (empty password: none).
    redis = {"REDIS_PORT": os.environ.get("REDIS_PORT") or "6379", "REDIS_DB": os.environ.get("REDIS_DB") or "0",
             "REDIS_PASSWORD": os.environ.get("REDIS_PASSWORD", "")} if redis_configured() else {}
    return {
        **os.environ,
        **redis,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        # 127.0.0.1, not localhost: Rasa opens a new connection for every action call, and aiohttp
        # resolves a host name in a thread each time (an IP address needs no lookup).
        "ACTION_SERVER_URL": os.environ.get("ACTION_SERVER_URL", f"http://127.0.0.1:{ACTIONS_PORT}/webhook"),
        "RASA_URL": os.environ.get("RASA_URL", f"http://127.0.0.1:{RASA_PORT}"),
        "GONGYOU_VAR_DIR": str(VAR_DIR),
        "DATABASE_URL": database_url(),
        "TRACKER_DATABASE_URL": tracker_database_url(),
        # Rasa refuses unset ${VARS} in credentials.yml; an empty value leaves the WeChat channel off.
        **{name: os.environ.get(name, "") for name in WECHAT_ENV},
    }


def services(rasa_port: int = RASA_PORT, actions_port: int = ACTIONS_PORT, web_port: int = WEB_PORT,
             with_web: bool = True) -> List[Service]:
    """The processes ``make run`` starts, in start order."""
    python = sys.executable
    out = [
        Service(
            "actions",
            [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions_port)],
            f"http://localhost:{actions_port}/health",
            env={"SANIC_WORKERS": str(actions_workers())},
        ),
        Service(
            "rasa",
            # bot.rasa_server is `rasa` with the project's performance fixes (see there).
            [python, "-m", "bot.rasa_server", "run", "--model", str(MODEL_PATH), "--port", str(rasa_port),
             "--credentials", "credentials.yml", "--endpoints", endpoints_file(),
             "--enable-api", "--auth-token", rasa_auth_token(), "--cors", "*",
             "--interface", HOST],
            f"http://localhost:{rasa_port}/",
            env={"ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
                 "SANIC_WORKERS": str(rasa_workers())},
        ),
    ]
    if with_web:
        out.append(Service(
            "web",
            [python, "-m", "bot.web", "--port", str(web_port)],
            f"http://localhost:{web_port}/healthz",
            env={"RASA_URL": f"http://127.0.0.1:{rasa_port}"},
        ))
    return out


def answers(url: str) -> bool:
    """True when ``url`` answers below HTTP 500 within 2 s (a service's health check)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except Exception:
        return False


def start(service: Service, log_dir: Optional[str] = None) -> None:
    """Start one service (output to the terminal, or to ``log_dir/<name>.log``)."""
    stdout = None
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        stdout = open(os.path.join(log_dir, f"{service.name}.log"), "ab")
    service.process = subprocess.Popen(
        service.command, cwd=ROOT, env={**service_env(), **service.env},
        stdout=stdout, stderr=subprocess.STDOUT if stdout else None,
    )


def wait_ready(items: List[Service], timeout: float = 240.0) -> None:
    """Block until every service answers its health URL; raise if one exits or time runs out."""
    deadline = time.monotonic() + timeout
    pending = list(items)
    while pending:
        for service in list(pending):
            assert service.process is not None
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited with code {service.process.returncode} while starting")
            if answers(service.health_url):
                pending.remove(service)
        if pending and time.monotonic() > deadline:
            raise TimeoutError("not ready in time: " + ", ".join(s.name for s in pending))
        if pending:
            time.sleep(0.5)


def stop(items: List[Service], grace: float = 15.0) -> None:
    """Stop services: SIGTERM, then SIGKILL after ``grace`` seconds."""
    for service in items:
        if service.process and service.process.poll() is None:
            service.process.terminate()
    deadline = time.monotonic() + grace
    for service in items:
        if service.process:
            try:
                service.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.process.kill()


def run_forever() -> int:
    """``make run``: start everything, report the addresses, stop all on Ctrl-C or a crash."""
    items = services()
    started = time.monotonic()

    def _terminate(signum, frame):  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        for service in items:
            start(service)
        wait_ready(items)
        print(
            f"\n工友 is ready in {time.monotonic() - started:.0f} s:\n"
            f"  chat page      http://localhost:{WEB_PORT}/\n"
            f"  staff console  http://localhost:{WEB_PORT}/staff\n"
            f"  REST channel   http://localhost:{RASA_PORT}/webhooks/rest/webhook\n"
            f"  WeChat channel http://localhost:{RASA_PORT}/webhooks/wechat/webhook\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            for service in items:
                if service.process and service.process.poll() is not None:
                    print(f"{service.name} stopped (code {service.process.returncode}); stopping the rest.", flush=True)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
        return 0
    finally:
        stop(items)
