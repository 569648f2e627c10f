"""Browser fixtures shared by the web widget and staff console tests."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.debian import apt_install

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    """Debian's Chromium (and a Chinese font for readable screenshots); installed with apt when missing."""
    missing = [] if shutil.which("chromium") else ["chromium"]
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    if not fonts.strip():
        missing.append("fonts-noto-cjk")
    if missing:
        apt_install(*missing)
    path = shutil.which("chromium")
    assert path, "Debian's chromium could not be installed"
    return path


# Module scope: sync Playwright runs an event loop in this thread while it lives, which
# must be gone before tests that run their own loop (rasa Agent, actions).
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


