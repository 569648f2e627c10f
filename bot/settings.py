"""Where things are and which ports they use; every value can be overridden by environment."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GONGYOU_VAR_DIR", ROOT / "var"))
MODELS_DIR = ROOT / "models"
MODEL_NAME = "gongyou"
MODEL_PATH = MODELS_DIR / f"{MODEL_NAME}.tar.gz"
MODEL_HASH_PATH = MODELS_DIR / f"{MODEL_NAME}.hash"

RASA_PORT = int(os.environ.get("RASA_PORT", "5005"))
ACTIONS_PORT = int(os.environ.get("ACTIONS_PORT", "5055"))
WEB_PORT = int(os.environ.get("WEB_PORT", "8080"))
HOST = os.environ.get("GONGYOU_HOST", "0.0.0.0")


def rasa_auth_token() -> str:
    """The token that guards Rasa's HTTP API: $RASA_AUTH_TOKEN, else one generated once into var/."""
    token = os.environ.get("RASA_AUTH_TOKEN")
    if token:
        return token
    path = VAR_DIR / "rasa-auth-token"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url() -> str:
    """Knowledge base and cases: $DATABASE_URL, else SQLite under var/."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gongyou.db'}"


def tracker_database_url() -> str:
    """Rasa's conversation store: $TRACKER_DATABASE_URL, else its own SQLite file under var/.

    Kept apart from the knowledge base so the two never contend for one SQLite lock.
    """
    return os.environ.get("TRACKER_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'tracker.db'}"
