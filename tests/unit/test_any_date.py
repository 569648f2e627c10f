"""The tests that deal in dates pass whatever the calendar says.

They run again here, in a new process, with the system clock moved (libfaketime,
Debian's ``faketime``, installed with apt when missing): the project's clock is
set by ``tests/conftest.py`` (``GONGYOU_NOW``), so nothing may depend on the day
the suite happens to run.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.debian import ensure_command

ROOT = Path(__file__).resolve().parents[2]
DATE_TESTS = ["tests/unit/test_calculators.py", "tests/unit/test_text.py", "tests/unit/test_clock_and_settings.py"]


@pytest.mark.slow
@pytest.mark.parametrize("system_date", ["2027-03-01 09:00:00", "2028-12-31 23:30:00"])
def test_date_tests_pass_with_the_system_clock_moved(tmp_path, system_date):
    faketime = ensure_command("faketime", "faketime")
    # A clean environment: the child's conftest sets its own databases (under tmp_path) and clock.
    keep = ("PATH", "HOME", "LANG", "TF_CPP_MIN_LOG_LEVEL", "RASA_TELEMETRY_ENABLED")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"PYTHONPATH": str(ROOT), "GONGYOU_TEST_VAR": str(tmp_path / "var"),
                "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    probe = subprocess.run([faketime, system_date, sys.executable, "-c", "import datetime; print(datetime.date.today())"],
                           env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == system_date[:10], "faketime did not move the clock"
    result = subprocess.run(
        [faketime, system_date, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *DATE_TESTS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
