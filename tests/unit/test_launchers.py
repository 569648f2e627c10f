"""Every way of running Gongyou starts the same code: Rasa through ``bot.rasa_server``, the
action server through ``bot.action_server``, the web server through ``bot.web`` — ``make run``,
the Dockerfile, docker-compose, the scale-out cluster and the benchmark alike. And Rasa's own
commands work in the project from a fresh shell."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from bot import serve
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _module(command):
    """The module a ``python -m <module>`` command runs."""
    return command[command.index("-m") + 1] if "-m" in command else None


def test_make_run_starts_the_three_launchers():
    items = {s.name: s for s in serve.services(Settings.from_env({}))}
    assert {name: _module(s.command) for name, s in items.items()} == {
        "rasa": serve.RASA_LAUNCHER, "actions": serve.ACTIONS_LAUNCHER, "web": serve.WEB_LAUNCHER}
    assert "--auth-token" not in items["rasa"].command  # read inside the process, not visible in `ps`


def test_the_dockerfile_runs_rasa_through_the_launcher():
    text = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*?\])\s*$", text.replace("\\\n", ""), re.M | re.S).group(1))
    expected = serve.rasa_command(Settings.from_env({"REDIS_HOST": "redis", "GONGYOU_HOST": "0.0.0.0"}))
    assert cmd == expected
    assert "pip install --no-deps -r requirements.lock" in text and "requirements-dev" not in text


def test_compose_runs_every_service_through_the_launchers():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    cfg = Settings.from_env({"REDIS_HOST": "redis", "GONGYOU_HOST": "0.0.0.0"})
    for name in ("rasa-a", "rasa-b"):
        assert compose[name]["command"] == serve.rasa_command(cfg), name
    for name in ("actions-a", "actions-b"):
        assert compose[name]["command"] == serve.actions_command(cfg), name
        assert compose[name]["environment"]["GONGYOU_ACTIONS_HOST"] == "0.0.0.0"  # reached over the container network
        assert "GONGYOU_ACTION_SECRET" in compose[name]["environment"]
    assert compose["web"]["command"] == serve.web_command(cfg)
    assert "GONGYOU_ACTION_SECRET" in compose["rasa-a"]["environment"]


def test_the_cluster_and_the_benchmark_use_the_launchers():
    from bot.cluster import LocalCluster

    cluster = LocalCluster(ROOT / "var" / "test-launchers")
    cluster.dir = ROOT / "var" / "test-launchers"
    cluster.ports = {"redis": 1, "postgres": 2, "nginx": 3, "nginx_actions": 4, "web": 5, "rasa0": 6, "actions0": 7}
    rasa, actions, web = cluster._rasa_service(0), cluster._actions_service(0), cluster._web_service()
    assert [_module(s.command) for s in (rasa, actions, web)] == [serve.RASA_LAUNCHER, serve.ACTIONS_LAUNCHER,
                                                                  serve.WEB_LAUNCHER]
    assert rasa.command[rasa.command.index("--endpoints") + 1] == "deploy/endpoints.cluster.yml"
    bench = (ROOT / "bot" / "bench.py").read_text()
    assert "serve.services(cfg" in bench  # the benchmark starts what make run starts


def test_no_deployment_file_starts_plain_rasa_or_rasa_sdk():
    for path in ("Dockerfile", "docker-compose.yml", "deploy/kubernetes.md", "bot/cluster.py", "bot/serve.py"):
        text = (ROOT / path).read_text()
        assert not re.search(r"-m\W+rasa\W+run|-m\W+rasa_sdk|rasa run actions", text), path


def test_rasa_reads_the_project_files_in_a_fresh_shell(tmp_path):
    """What `rasa run` and `rasa shell` read first: endpoints, credentials, the tracker store, the channels.
    In a shell with no variables set (Rasa refuses unset ${VARS}); the project's local defaults apply."""
    code = """
from rasa.core.utils import AvailableEndpoints
from rasa.core.run import create_http_input_channels
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
endpoints = AvailableEndpoints.read_endpoints("endpoints.yml")
store = TrackerStore.create(endpoints.tracker_store, Domain.empty())
channels = create_http_input_channels(None, "credentials.yml")
print(endpoints.action.url, type(store).__name__, store.engine.url, sorted(c.name() for c in channels))
"""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
           "GONGYOU_VAR_DIR": str(tmp_path / "var"), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    url, store, db, channels = result.stdout.strip().splitlines()[-1].split(" ", 3)
    assert url == "http://127.0.0.1:5055/webhook"
    assert store == "MaskingSQLTrackerStore" and db == f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    assert channels == "['rest', 'wechat']"
