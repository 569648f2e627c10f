"""Every setting of an installation, worked out in one place and read once per process.

Values come from the environment (a deployment sets them; see README "Scaling
out"), else from local defaults: SQLite files and generated secrets under the
var directory, the standard ports, services bound to this machine only.

It lives in :mod:`knowledge` because every process reads it (the CLI, the
action server, the Rasa server's custom components, the web server) and
``knowledge`` is the layer all of them share; it imports nothing of Rasa.

``settings()`` is computed on first use and then kept; tests that change the
environment call :func:`reload`. Code that needs another configuration (the
benchmark's own databases) builds one with :meth:`Settings.from_env` and passes
it on, instead of editing ``os.environ``.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
MODEL_NAME = "gongyou"
MODEL_PATH = MODELS_DIR / f"{MODEL_NAME}.tar.gz"
MODEL_HASH_PATH = MODELS_DIR / f"{MODEL_NAME}.hash"

# Rasa allows more than one Sanic worker only with a Redis (or custom) lock store.
MAX_DEFAULT_WORKERS = 4


class SettingError(ValueError):
    """A setting with a value that cannot be used (the message names the variable)."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise SettingError(f"{name} must be more than 0, not {raw}")
    return value


def _secret_file(path: Path, make: Any) -> str:
    """The secret kept in ``path``, created once (readable by this user only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(make())
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    """One installation's settings (environment variable names in the comments)."""

    var_dir: Path                       # GONGYOU_VAR_DIR, default ./var
    database_url: str                   # DATABASE_URL: knowledge base and cases
    tracker_database_url: str           # TRACKER_DATABASE_URL: Rasa's conversations
    rasa_port: int = 5005               # RASA_PORT
    actions_port: int = 5055            # ACTIONS_PORT
    web_port: int = 8080                # WEB_PORT
    host: str = "0.0.0.0"               # GONGYOU_HOST: where the Rasa and web servers listen
    actions_host: str = "127.0.0.1"     # GONGYOU_ACTIONS_HOST: the action server, this machine only
    action_server_url: str = ""         # ACTION_SERVER_URL, default the local action server
    rasa_url: str = ""                  # RASA_URL: where the web server sends chat messages
    public_url: str = ""                # GONGYOU_PUBLIC_URL: the web server as workers reach it (document links)
    rasa_auth_token_env: str = field(default="", repr=False)   # RASA_AUTH_TOKEN
    action_secret_env: str = field(default="", repr=False)     # GONGYOU_ACTION_SECRET
    action_timeout: float = 4.0         # GONGYOU_ACTION_TIMEOUT: seconds before the hotlines answer instead
    redis_host: str = ""                # REDIS_HOST (with _PORT, _DB, _PASSWORD): the lock store
    redis_port: int = 6379
    redis_db: int = 0
    redis_password: str = field(default="", repr=False)
    rasa_workers_env: int = 0           # GONGYOU_RASA_WORKERS (0: one per core with Redis, else 1)
    actions_workers: int = 1            # GONGYOU_ACTIONS_WORKERS
    retention_days: int = 90            # GONGYOU_RETENTION_DAYS
    purge_every_hours: int = 24         # GONGYOU_PURGE_EVERY_HOURS: the action server applies retention (0 = off)
    rate_per_minute: float = 20.0       # GONGYOU_RATE_PER_MINUTE: messages per sender
    rate_burst: int = 15                # GONGYOU_RATE_BURST
    wechat_token: str = field(default="", repr=False)      # WECHAT_TOKEN
    wechat_appid: str = ""                                 # WECHAT_APPID
    wechat_secret: str = field(default="", repr=False)     # WECHAT_SECRET
    wechat_aes_key: str = field(default="", repr=False)    # WECHAT_AES_KEY
    wechat_api_base: str = "https://api.weixin.qq.com"     # WECHAT_API_BASE
    now: Optional[str] = None           # GONGYOU_NOW: an ISO date (or date-time) the clock is set to
    # GONGYOU_TRUSTED_PROXIES: addresses whose X-Forwarded-For / -Proto are believed (a TLS proxy, nginx).
    trusted_proxies: Tuple[str, ...] = ("127.0.0.1", "::1")
    secure_cookies: bool = False        # GONGYOU_SECURE_COOKIES=1: the console is only ever served over HTTPS
    address_per_minute: float = 120.0   # GONGYOU_ADDRESS_PER_MINUTE: messages per client address
    address_burst: int = 60             # GONGYOU_ADDRESS_BURST
    cases_per_hour: int = 5             # GONGYOU_CASES_PER_HOUR: hand-offs one address may open
    max_body_bytes: int = 1024 * 1024   # GONGYOU_MAX_BODY_BYTES: largest request body the channels accept

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Settings from ``env`` (default: this process's environment)."""
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("GONGYOU_VAR_DIR") or ROOT / "var")
        rasa_port = _int(env, "RASA_PORT", 5005, 1)
        actions_port = _int(env, "ACTIONS_PORT", 5055, 1)
        return cls(
            var_dir=var_dir,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'gongyou.db'}",
            tracker_database_url=env.get("TRACKER_DATABASE_URL") or f"sqlite:///{var_dir / 'tracker.db'}",
            rasa_port=rasa_port,
            actions_port=actions_port,
            web_port=_int(env, "WEB_PORT", 8080, 1),
            host=env.get("GONGYOU_HOST") or "0.0.0.0",
            actions_host=env.get("GONGYOU_ACTIONS_HOST") or "127.0.0.1",
            # 127.0.0.1, not localhost: Rasa opens a connection per action call and aiohttp would
            # resolve a host name in a thread each time.
            action_server_url=env.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{actions_port}/webhook",
            rasa_url=(env.get("RASA_URL") or f"http://127.0.0.1:{rasa_port}").rstrip("/"),
            public_url=(env.get("GONGYOU_PUBLIC_URL") or f"http://localhost:{_int(env, 'WEB_PORT', 8080, 1)}").rstrip("/"),
            rasa_auth_token_env=env.get("RASA_AUTH_TOKEN") or "",
            action_secret_env=env.get("GONGYOU_ACTION_SECRET") or "",
            action_timeout=_float(env, "GONGYOU_ACTION_TIMEOUT", 4.0),
            redis_host=env.get("REDIS_HOST") or "",
            redis_port=_int(env, "REDIS_PORT", 6379, 1),
            redis_db=_int(env, "REDIS_DB", 0),
            redis_password=env.get("REDIS_PASSWORD") or "",
            rasa_workers_env=_int(env, "GONGYOU_RASA_WORKERS", 0, 0),
            actions_workers=_int(env, "GONGYOU_ACTIONS_WORKERS", 1, 1),
            retention_days=_int(env, "GONGYOU_RETENTION_DAYS", 90, 1),
            purge_every_hours=_int(env, "GONGYOU_PURGE_EVERY_HOURS", 24, 0),
            rate_per_minute=_float(env, "GONGYOU_RATE_PER_MINUTE", 20.0),
            rate_burst=_int(env, "GONGYOU_RATE_BURST", 15, 1),
            wechat_token=env.get("WECHAT_TOKEN") or "",
            wechat_appid=env.get("WECHAT_APPID") or "",
            wechat_secret=env.get("WECHAT_SECRET") or "",
            wechat_aes_key=env.get("WECHAT_AES_KEY") or "",
            wechat_api_base=(env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com").rstrip("/"),
            now=env.get("GONGYOU_NOW") or None,
            trusted_proxies=tuple(p.strip() for p in (env.get("GONGYOU_TRUSTED_PROXIES") or "127.0.0.1,::1").split(",")
                                  if p.strip()),
            secure_cookies=(env.get("GONGYOU_SECURE_COOKIES") or "").strip().lower() in ("1", "true", "yes"),
            address_per_minute=_float(env, "GONGYOU_ADDRESS_PER_MINUTE", 120.0),
            address_burst=_int(env, "GONGYOU_ADDRESS_BURST", 60, 1),
            cases_per_hour=_int(env, "GONGYOU_CASES_PER_HOUR", 5, 1),
            max_body_bytes=_int(env, "GONGYOU_MAX_BODY_BYTES", 1024 * 1024, 1024),
        )

    def with_values(self, **values: Any) -> "Settings":
        """A copy with some values changed (e.g. other ports for a second set of servers)."""
        return replace(self, **values)

    # -- derived values ---------------------------------------------------------------
    @property
    def redis_configured(self) -> bool:
        """True with a Redis lock store: then several Rasa workers may run."""
        return bool(self.redis_host)

    @property
    def rasa_workers(self) -> int:
        """Sanic workers of the Rasa server: 1 without Redis; else GONGYOU_RASA_WORKERS or one per core (≤ 4)."""
        if not self.redis_configured:
            return 1
        return self.rasa_workers_env or max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))

    @property
    def endpoints_file(self) -> str:
        """The Rasa endpoints file: ``deploy/endpoints.cluster.yml`` with Redis, else ``endpoints.yml``."""
        return "deploy/endpoints.cluster.yml" if self.redis_configured else "endpoints.yml"

    @property
    def spool_path(self) -> Path:
        """Where cases wait while the database is unreachable."""
        return self.var_dir / "pending_cases.jsonl"

    def rasa_auth_token(self) -> str:
        """The token of Rasa's HTTP API: RASA_AUTH_TOKEN, else one generated once into var/."""
        return self.rasa_auth_token_env or _secret_file(self.var_dir / "rasa-auth-token",
                                                        lambda: secrets.token_urlsafe(32))

    def action_secret(self) -> str:
        """The secret Rasa sends the action server: GONGYOU_ACTION_SECRET, else one generated once into var/."""
        return self.action_secret_env or _secret_file(self.var_dir / "action-secret",
                                                      lambda: secrets.token_urlsafe(32))

    def client_ref(self, address: str) -> str:
        """A keyed hash of a client's address (or WeChat openid): counted, never stored as such."""
        import hashlib
        import hmac

        key = self.action_secret().encode()
        return hmac.new(key, f"client:{address}".encode(), hashlib.sha256).hexdigest()[:32]

    def web_secret(self) -> bytes:
        """The key that signs staff console sessions (generated once into var/)."""
        return bytes.fromhex(_secret_file(self.var_dir / "web-secret", lambda: secrets.token_hex(32)))

    def protect_files(self) -> None:
        """New files readable by this user only (umask 077), and the var dir's existing files too.

        Every Gongyou process calls this first: the databases hold conversations and cases.
        """
        os.umask(0o077)
        if self.var_dir.is_dir():
            self.var_dir.chmod(0o700)
            for path in self.var_dir.iterdir():
                if path.is_file() and path.stat().st_mode & 0o077:
                    path.chmod(0o600)

    def child_env(self) -> Dict[str, str]:
        """The environment that gives a child process these same settings."""
        values = {
            "GONGYOU_VAR_DIR": str(self.var_dir), "DATABASE_URL": self.database_url,
            "TRACKER_DATABASE_URL": self.tracker_database_url, "RASA_PORT": str(self.rasa_port),
            "ACTIONS_PORT": str(self.actions_port), "WEB_PORT": str(self.web_port), "GONGYOU_HOST": self.host,
            "GONGYOU_ACTIONS_HOST": self.actions_host, "ACTION_SERVER_URL": self.action_server_url,
            "RASA_URL": self.rasa_url, "GONGYOU_ACTION_TIMEOUT": str(self.action_timeout),
            "GONGYOU_PUBLIC_URL": self.public_url,
            "REDIS_HOST": self.redis_host, "REDIS_PORT": str(self.redis_port), "REDIS_DB": str(self.redis_db),
            "REDIS_PASSWORD": self.redis_password, "GONGYOU_RASA_WORKERS": str(self.rasa_workers_env or ""),
            "GONGYOU_ACTIONS_WORKERS": str(self.actions_workers), "GONGYOU_RETENTION_DAYS": str(self.retention_days),
            "GONGYOU_PURGE_EVERY_HOURS": str(self.purge_every_hours),
            "GONGYOU_RATE_PER_MINUTE": str(self.rate_per_minute), "GONGYOU_RATE_BURST": str(self.rate_burst),
            "WECHAT_TOKEN": self.wechat_token, "WECHAT_APPID": self.wechat_appid,
            "WECHAT_SECRET": self.wechat_secret, "WECHAT_AES_KEY": self.wechat_aes_key,
            "WECHAT_API_BASE": self.wechat_api_base, "GONGYOU_NOW": self.now or "",
            "RASA_AUTH_TOKEN": self.rasa_auth_token_env, "GONGYOU_ACTION_SECRET": self.action_secret_env,
            "GONGYOU_TRUSTED_PROXIES": ",".join(self.trusted_proxies),
            "GONGYOU_SECURE_COOKIES": "1" if self.secure_cookies else "",
            "GONGYOU_ADDRESS_PER_MINUTE": str(self.address_per_minute), "GONGYOU_ADDRESS_BURST": str(self.address_burst),
            "GONGYOU_CASES_PER_HOUR": str(self.cases_per_hour), "GONGYOU_MAX_BODY_BYTES": str(self.max_body_bytes),
        }
        return values


@lru_cache(maxsize=1)
def settings() -> Settings:
    """This process's settings (read from the environment on first use).

    ``GONGYOU_NOW`` sets :mod:`knowledge.clock` here, once, so that every process
    started with it answers as on that day.
    """
    value = Settings.from_env()
    if value.now:
        from knowledge import clock

        clock.set_now(value.now)
    return value


def reload() -> Settings:
    """Read the environment again (tests that change it)."""
    settings.cache_clear()
    return settings()
