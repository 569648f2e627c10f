"""One clock and one settings module: what every process reads for "today" and its configuration."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from knowledge import clock
from knowledge.settings import SettingError, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_today_is_the_date_in_china_not_on_the_server():
    # 17:00 UTC on New Year's Eve is already New Year's Day in China (UTC+8).
    with clock.frozen(datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)):
        assert clock.today() == date(2027, 1, 1)
        assert clock.utcnow().date() == date(2026, 12, 31)
    with clock.frozen(datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc)):
        assert clock.today() == date(2026, 12, 31)


def test_a_set_clock_keeps_ticking_and_comes_back():
    before = clock.now()
    with clock.frozen("2030-02-03"):
        first = clock.now()
        assert clock.today() == date(2030, 2, 3)
        assert clock.now() >= first  # it ticks, so timeouts and expiries still work
    assert abs((clock.now() - before).total_seconds()) < 60  # the test session's clock again


def test_bad_moments_are_refused_with_the_text():
    with pytest.raises(ValueError, match="2026-13-01"):
        clock.parse_moment("2026-13-01")


def test_gongyou_now_sets_the_clock_of_a_process():
    code = "from knowledge.settings import settings; from knowledge import clock; settings(); print(clock.today())"
    env = {**os.environ, "GONGYOU_NOW": "2031-07-15", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2031-07-15"


def test_settings_defaults_are_local_and_safe(tmp_path):
    cfg = Settings.from_env({"GONGYOU_VAR_DIR": str(tmp_path)})
    assert cfg.database_url == f"sqlite:///{tmp_path / 'gongyou.db'}"
    assert cfg.tracker_database_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert cfg.actions_host == "127.0.0.1"  # the action server is not reachable from outside by default
    assert cfg.action_server_url == "http://127.0.0.1:5055/webhook"
    assert cfg.rasa_workers == 1 and cfg.endpoints_file == "endpoints.yml"
    # Secrets are generated once, readable by this user only, and stable.
    token, secret = cfg.rasa_auth_token(), cfg.action_secret()
    assert token == cfg.rasa_auth_token() and secret == cfg.action_secret() and token != secret
    for name in ("rasa-auth-token", "action-secret"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_settings_follow_the_environment_and_name_a_bad_value():
    cfg = Settings.from_env({"ACTIONS_PORT": "6000", "REDIS_HOST": "redis", "GONGYOU_RASA_WORKERS": "3",
                             "RASA_AUTH_TOKEN": "t0k"})
    assert cfg.action_server_url == "http://127.0.0.1:6000/webhook"
    assert cfg.endpoints_file == "deploy/endpoints.cluster.yml" and cfg.rasa_workers == 3
    assert cfg.rasa_auth_token() == "t0k"
    with pytest.raises(SettingError, match="RASA_PORT"):
        Settings.from_env({"RASA_PORT": "eighty"})
    with pytest.raises(SettingError, match="GONGYOU_ACTION_TIMEOUT"):
        Settings.from_env({"GONGYOU_ACTION_TIMEOUT": "0"})


def test_a_child_process_gets_the_same_settings(tmp_path):
    cfg = Settings.from_env({"GONGYOU_VAR_DIR": str(tmp_path), "WEB_PORT": "9999", "GONGYOU_NOW": "2030-01-01"})
    assert Settings.from_env(cfg.child_env()) == cfg


def test_nothing_but_the_clock_reads_the_system_time(tmp_path):
    """ruff's banned-API rule (pyproject.toml) is what keeps it so; check it is on and passes."""
    ruff = [str(ROOT / ".venv" / "bin" / "ruff"), "check", "--config", str(ROOT / "pyproject.toml"), "--select", "TID251"]
    result = subprocess.run([*ruff, "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    probe = tmp_path / "probe.py"
    probe.write_text("from datetime import date\n\nTODAY = date.today()\n")
    result = subprocess.run([*ruff, str(probe)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "knowledge.clock" in result.stdout
