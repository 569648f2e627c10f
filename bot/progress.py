"""Progress of long set-up steps, shown while they run instead of minutes of silence.

On a terminal one line is rewritten in place; elsewhere (CI logs) a plain line
is printed when the step changes and at most every ``interval`` seconds.

:class:`TrainingProgress` follows Rasa's training log as it is written: the
component being trained ("Starting to train component 'DIETClassifier'") and,
from tqdm's bar, the epoch and the time left ("13/60 [01:28<03:52").
"""
from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path
from typing import Optional, TextIO

_COMPONENT = re.compile(r"Starting to train component '([^']+)'")
_EPOCHS = re.compile(r"Epochs:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+) \[([\d:]+)<([\d:?]+)")


class Reporter:
    """Writes progress lines: in place on a terminal, else plain lines no more often than ``interval``."""

    def __init__(self, out: Optional[TextIO] = None, interval: float = 30.0) -> None:
        self.out = out or sys.stdout
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self.interval = interval
        self._last_text = ""
        self._last_time = 0.0
        self._width = 0

    def show(self, text: str, force: bool = False) -> None:
        """Show ``text`` (a terminal line is overwritten; a log line waits for the interval unless forced)."""
        if text == self._last_text:
            return
        now = time.monotonic()
        if self.tty:
            padding = " " * max(0, self._width - len(text))
            self.out.write("\r" + text + padding)
            self._width = len(text)
        elif force or now - self._last_time >= self.interval:
            self.out.write(text + "\n")
            self._last_time = now
        else:
            return
        self.out.flush()
        self._last_text = text

    def done(self) -> None:
        """End the in-place line on a terminal."""
        if self.tty and self._width:
            self.out.write("\n")
            self.out.flush()
            self._width = 0


class TrainingProgress:
    """Follows a Rasa training log in a thread and reports component, epoch and time left."""

    def __init__(self, log_path: Path, reporter: Optional[Reporter] = None, poll: float = 1.0) -> None:
        self.log_path = log_path
        self.reporter = reporter or Reporter()
        self.poll = poll
        self.started = time.monotonic()
        self.component = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="training-progress", daemon=True)

    def __enter__(self) -> "TrainingProgress":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.reporter.done()

    def line_for(self, chunk: str) -> Optional[str]:
        """The progress line for one piece of log output, or None if it says nothing new."""
        found = _COMPONENT.search(chunk)
        if found:
            self.component = found.group(1)
            return f"  training {self.component} … ({self._elapsed()} so far)"
        epochs = _EPOCHS.search(chunk)
        if epochs and self.component:
            done, total, _, left = epochs.groups()
            remaining = f", about {left} left" if "?" not in left else ""
            return f"  training {self.component}: epoch {done}/{total}{remaining} ({self._elapsed()} so far)"
        return None

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def _run(self) -> None:
        position = 0
        pending = ""
        while not self._stop.is_set():
            try:
                with open(self.log_path, "r", encoding="utf-8", errors="replace") as log:
                    log.seek(position)
                    data = log.read()
                    position = log.tell()
            except FileNotFoundError:
                data = ""
            pending += data
            # tqdm rewrites its bar with \r; Rasa's log lines end with \n.
            pieces = re.split(r"[\r\n]", pending)
            pending = pieces.pop()
            for piece in pieces:
                line = self.line_for(piece)
                if line:
                    self.reporter.show(line, force="epoch" not in line)
            self._stop.wait(self.poll)
