"""Train the Rasa model only when what it is trained from has changed.

The fingerprint covers the project files Rasa reads and the code of the custom
NLU components (a tokenizer change changes the features), so a second
``make run`` starts without retraining.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, List

from bot.progress import TrainingProgress
from knowledge.settings import MODEL_HASH_PATH, MODEL_NAME, MODEL_PATH, MODELS_DIR, ROOT

# How long the last training took (read by `make bench`; the model is never retrained there).
TRAIN_RECORD_PATH = MODELS_DIR / f"{MODEL_NAME}.train.json"

TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "bot/nlu",
    "knowledge/text",
    "knowledge/places.py",
    "knowledge/regions.py",
    "knowledge/data/regions",
    "requirements.lock",
)


def _files(paths: Iterable[str]) -> List[Path]:
    out: List[Path] = []
    for name in paths:
        path = ROOT / name
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            out.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(out)


def fingerprint() -> str:
    """SHA-256 over the names and contents of every training input."""
    digest = hashlib.sha256()
    for path in _files(TRAINING_INPUTS):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def is_current() -> bool:
    """True if the stored model was trained from exactly the current inputs."""
    return MODEL_PATH.exists() and MODEL_HASH_PATH.exists() and MODEL_HASH_PATH.read_text().strip() == fingerprint()


def train(force: bool = False) -> Path:
    """Train (if needed) and return the model path.

    One training at a time: a second ``make run``/``make test`` started meanwhile waits
    for the first and then finds the model current.
    """
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    with open(MODELS_DIR / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train_locked(force)


def _train_locked(force: bool) -> Path:
    if not force and is_current():
        print(f"Model {MODEL_PATH.relative_to(ROOT)} is up to date; not retraining.")
        return MODEL_PATH
    digest = fingerprint()
    print("Training the model (config, domain or data changed; about 5 minutes on 2 cores) …", flush=True)
    started = time.monotonic()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    log_path = MODELS_DIR / "train.log"
    with open(log_path, "w", encoding="utf-8") as log, TrainingProgress(log_path):
        result = subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--fixed-model-name", MODEL_NAME, "--out", str(MODELS_DIR),
             "--config", "config.yml", "--domain", "domain.yml", "--data", "data"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    if result.returncode != 0 or not MODEL_PATH.exists():
        sys.stderr.write(log_path.read_text(encoding="utf-8")[-4000:])
        raise SystemExit(f"Training failed; full log in {log_path}")
    MODEL_HASH_PATH.write_text(digest)
    seconds = time.monotonic() - started
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    TRAIN_RECORD_PATH.write_text(json.dumps({
        "seconds": round(seconds, 1), "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "fingerprint": digest,
        "cpus": os.cpu_count(),
        # Rasa reuses unchanged components from its cache (.rasa/): such a run is shorter than a full one.
        "restored_from_cache": sorted(set(re.findall(r"Restored component '(\w+)'", log_text))),
    }, indent=2) + "\n")
    print(f"Trained in {seconds:.0f} s → {MODEL_PATH.relative_to(ROOT)} "
          f"({MODEL_PATH.stat().st_size / 1e6:.1f} MB); log in {log_path.relative_to(ROOT)}")
    return MODEL_PATH
