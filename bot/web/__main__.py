"""Run the web server: ``python -m bot.web --port 8080``."""
from __future__ import annotations

import argparse

from aiohttp import web

from bot.no_tensorflow import block_tensorflow

block_tensorflow()  # the staff search finds places with spaCy, which would pull in TensorFlow

from bot.web.app import create_app  # noqa: E402 - after the block
from knowledge.settings import settings  # noqa: E402


def main() -> None:
    cfg = settings()
    cfg.protect_files()
    parser = argparse.ArgumentParser(description="工友 web server (chat page and staff console)")
    parser.add_argument("--host", default=cfg.host)
    parser.add_argument("--port", type=int, default=cfg.web_port)
    args = parser.parse_args()
    web.run_app(create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
