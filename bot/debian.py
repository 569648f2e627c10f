"""Debian packages that tests, the benchmark and the scale-out cluster install when missing
(Chromium, PostgreSQL, Redis, nginx, faketime): one way to call apt for all of them."""
from __future__ import annotations

import shutil
import subprocess
import time

APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def apt_install(*packages: str) -> None:
    """``apt-get install -y`` the Debian packages (``apt-get update`` first if the lists are stale).

    Waits up to 10 minutes for the dpkg lock, since other jobs may be installing too.
    """
    command = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "--no-install-recommends",
               *packages]
    if subprocess.run(command, env=APT_ENV, stdout=subprocess.DEVNULL).returncode != 0:
        for attempt in range(3):
            update = subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"], env=APT_ENV,
                                    stdout=subprocess.DEVNULL)
            if update.returncode == 0:
                break
            time.sleep(5 * (attempt + 1))
        subprocess.run(command, env=APT_ENV, stdout=subprocess.DEVNULL, check=True)


def ensure_command(command: str, package: str) -> str:
    """The path of ``command``, installing Debian's ``package`` first when it is missing."""
    found = shutil.which(command)
    if not found:
        apt_install(package)
        found = shutil.which(command)
    if not found:
        raise RuntimeError(f"{command} is missing and apt could not install {package}")
    return found


def ensure_cjk_font() -> bool:
    """Install Debian's fonts-noto-cjk when no Chinese font is found (for PDF documents).

    Returns whether a font is there afterwards; without root (or without apt) it only warns:
    documents are then offered as Word files alone.
    """
    import os
    import sys

    from knowledge.documents.pdf_file import cjk_font

    if cjk_font() is not None:
        return True
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing a Chinese font for PDF documents (Debian fonts-noto-cjk) …", flush=True)
        try:
            apt_install("fonts-noto-cjk")
        except subprocess.CalledProcessError:
            pass
    if cjk_font() is None:
        print("warning: no Chinese font; documents will be Word files only "
              "(install fonts-noto-cjk or set GONGYOU_CJK_FONT)", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    ensure_cjk_font()
