"""Run the whole assistant: action server, Rasa server and web server, stopped together.

One Ctrl-C (SIGINT) or SIGTERM stops all three; if one of them dies the others
are stopped too, so a half-running assistant never lingers.

Every way of running Gongyou starts the same three commands (:func:`commands`):
``make run`` here, the Dockerfile and ``docker-compose.yml``, the scale-out
cluster (:mod:`bot.cluster`) and the benchmark. ``tests/unit/test_launchers.py``
checks that they do.

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
from typing import IO, Dict, List, Optional

from knowledge.settings import MODEL_PATH, ROOT, Settings, settings

# The launchers every deployment uses (python -m <module> …).
RASA_LAUNCHER = "bot.rasa_server"
ACTIONS_LAUNCHER = "bot.action_server"
WEB_LAUNCHER = "bot.web"


@dataclass
class Service:
    """One child process and the URL that says it is ready."""

    name: str
    command: List[str]
    health_url: str
    env: Dict[str, str] = field(default_factory=dict)
    process: Optional[subprocess.Popen] = None
    log: Optional[IO[bytes]] = None


def rasa_command(cfg: Settings, python: str = "python", model: str = "models/gongyou.tar.gz") -> List[str]:
    """The Rasa server: Rasa's own ``rasa run`` through :mod:`bot.rasa_server` (token read inside)."""
    return [python, "-m", RASA_LAUNCHER, "run", "--model", model, "--port", str(cfg.rasa_port),
            "--credentials", "credentials.yml", "--endpoints", cfg.endpoints_file,
            "--enable-api", "--cors", "*", "--interface", cfg.host]


def actions_command(cfg: Settings, python: str = "python") -> List[str]:
    """The action server: rasa_sdk's server through :mod:`bot.action_server` (secret, bind address)."""
    return [python, "-m", ACTIONS_LAUNCHER, "--port", str(cfg.actions_port)]


def web_command(cfg: Settings, python: str = "python") -> List[str]:
    """The chat page, widget and staff console."""
    return [python, "-m", WEB_LAUNCHER, "--host", cfg.host, "--port", str(cfg.web_port)]


def service_env(cfg: Settings) -> Dict[str, str]:
    """Environment of the children: this process's, with ``cfg`` written over it."""
    return {
        **os.environ,
        **cfg.child_env(),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
    }


def services(cfg: Optional[Settings] = None, with_web: bool = True) -> List[Service]:
    """The processes ``make run`` starts, in start order."""
    cfg = cfg or settings()
    python = sys.executable
    local = "127.0.0.1" if cfg.host in ("0.0.0.0", "::", "") else cfg.host
    out = [
        Service("actions", actions_command(cfg, python),
                f"http://{cfg.actions_host if cfg.actions_host not in ('0.0.0.0', '::') else '127.0.0.1'}"
                f":{cfg.actions_port}/health",
                env={"SANIC_WORKERS": str(cfg.actions_workers)}),
        Service("rasa", rasa_command(cfg, python, str(MODEL_PATH)), f"http://{local}:{cfg.rasa_port}/",
                env={"SANIC_WORKERS": str(cfg.rasa_workers)}),
    ]
    if with_web:
        out.append(Service("web", web_command(cfg, python), f"http://{local}:{cfg.web_port}/healthz"))
    return out


def answers(url: str) -> bool:
    """True when ``url`` answers below HTTP 500 within 2 s (a service's health check)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except Exception:
        return False


def start(service: Service, cfg: Optional[Settings] = None, log_dir: Optional[str] = None) -> None:
    """Start one service (output to the terminal, or to ``log_dir/<name>.log``)."""
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        service.log = open(os.path.join(log_dir, f"{service.name}.log"), "ab")
    service.process = subprocess.Popen(
        service.command, cwd=ROOT, env={**service_env(cfg or settings()), **service.env},
        stdout=service.log, stderr=subprocess.STDOUT if service.log else None,
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
                service.process.wait()
        if service.log:
            service.log.close()
            service.log = None


def run_forever() -> int:
    """``make run``: start everything, report the addresses, stop all on Ctrl-C or a crash."""
    cfg = settings()
    items = services(cfg)
    started = time.monotonic()

    def _terminate(signum: int, frame: object) -> None:  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        for service in items:
            start(service, cfg)
        print("Starting the action server, the Rasa server (loads the model, about 30 s) and the web server …",
              flush=True)
        wait_ready(items)
        print(
            f"\n工友 is ready in {time.monotonic() - started:.0f} s:\n"
            f"  chat page      http://localhost:{cfg.web_port}/\n"
            f"  staff console  http://localhost:{cfg.web_port}/staff\n"
            f"  REST channel   http://localhost:{cfg.rasa_port}/webhooks/rest/webhook\n"
            f"  WeChat channel http://localhost:{cfg.rasa_port}/webhooks/wechat/webhook\n"
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
