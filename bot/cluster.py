"""Several Rasa servers and action servers behind nginx, on one machine: what the
scale-out test (``make test-scale``) runs, and ``python -m bot.cluster`` to try it by hand.

Started on 127.0.0.1, free high ports and one temporary directory:

- PostgreSQL (knowledge base, cases, and in a second database Rasa's conversations),
  run as the ``postgres`` user when started by root;
- Redis (Rasa's lock store), with a password;
- two action servers and two Rasa servers (``deploy/endpoints.cluster.yml``, the same model);
- one web server (chat page, staff console);
- nginx with ``deploy/nginx.conf.template`` (the file docker-compose uses): the public port
  load-balances the Rasa servers round robin and serves the web server; a second port
  load-balances the action servers for the Rasa servers.

PostgreSQL, Redis and nginx come from Debian packages, installed with apt when missing.
Everything is stopped and the temporary directory removed by :meth:`LocalCluster.stop`.
"""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot import serve
from bot.debian import apt_install
from knowledge.settings import MODEL_PATH, ROOT, Settings, settings

NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
HOST = "127.0.0.1"


# --- helpers -----------------------------------------------------------------

def free_port() -> int:
    """A currently unused TCP port on 127.0.0.1 (high, chosen by the kernel)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _postgres_bin() -> Optional[Path]:
    """Debian keeps PostgreSQL's server programs off PATH, in /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).resolve().parent if on_path else None


def ensure_packages() -> Dict[str, Path]:
    """Paths of the PostgreSQL bin dir, redis-server and nginx; installs the missing packages."""
    missing = []
    if _postgres_bin() is None:
        missing.append("postgresql")
    if not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")):
        missing.append("redis-server")
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        missing.append("nginx")
    if missing:
        apt_install(*missing)
    pg = _postgres_bin()
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    for name, path in (("PostgreSQL", pg and pg / "postgres"), ("redis-server", redis), ("nginx", nginx)):
        if not path or not os.path.exists(path):
            raise RuntimeError(f"{name} is not installed and apt could not install it")
    return {"pg_bin": Path(pg), "redis": Path(redis), "nginx": Path(nginx)}  # type: ignore[arg-type]


def _wait_tcp(port: int, process: subprocess.Popen, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} while starting")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not listening on {port} after {timeout:.0f} s") from None
            time.sleep(0.2)


def _terminate(process: Optional[subprocess.Popen], sig: int = signal.SIGTERM, grace: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        process.send_signal(sig)
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    except ProcessLookupError:
        pass


def render_nginx(values: Dict[str, str]) -> str:
    """``deploy/nginx.conf.template`` with ``${NAME}`` filled in, as the nginx image's envsubst does.

    Only the given names are replaced; nginx's own ``$variables`` stay as they are.
    """
    return string.Template(NGINX_TEMPLATE.read_text(encoding="utf-8")).safe_substitute(values)


# --- the cluster ---------------------------------------------------------------

class LocalCluster:
    """PostgreSQL, Redis, 2 action servers, 2 Rasa servers, a web server and nginx on loopback."""

    def __init__(self, log_dir: Path, rasa_servers: int = 2, action_servers: int = 2,
                 token: Optional[str] = None) -> None:
        self.log_dir = Path(log_dir)
        self.token = token or "scale-" + secrets.token_urlsafe(16)
        self.action_secret = secrets.token_urlsafe(24)
        self.n_rasa, self.n_actions = rasa_servers, action_servers
        self.dir: Optional[Path] = None
        self.bins: Dict[str, Path] = {}
        self.pg_password = secrets.token_urlsafe(16)
        self.redis_password = secrets.token_urlsafe(16)
        self.ports: Dict[str, int] = {}
        self.postgres: Optional[subprocess.Popen] = None
        self.redis: Optional[subprocess.Popen] = None
        self.nginx: Optional[subprocess.Popen] = None
        self.rasa: List[serve.Service] = []
        self.actions: List[serve.Service] = []
        self.web: Optional[serve.Service] = None
        self.timings: Dict[str, float] = {}

    # addresses
    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg2://gongyou:{self.pg_password}@{HOST}:{self.ports['postgres']}/gongyou"

    @property
    def tracker_database_url(self) -> str:
        return f"postgresql://gongyou:{self.pg_password}@{HOST}:{self.ports['postgres']}/gongyou_tracker"

    @property
    def rasa_urls(self) -> List[str]:
        return [f"http://{HOST}:{self.ports[f'rasa{i}']}" for i in range(self.n_rasa)]

    @property
    def actions_urls(self) -> List[str]:
        return [f"http://{HOST}:{self.ports[f'actions{i}']}" for i in range(self.n_actions)]

    @property
    def nginx_url(self) -> str:
        return f"http://{HOST}:{self.ports['nginx']}"

    @property
    def nginx_actions_url(self) -> str:
        return f"http://{HOST}:{self.ports['nginx_actions']}"

    @property
    def nginx_access_log(self) -> Path:
        assert self.dir is not None
        return self.dir / "nginx" / "access.log"

    # start / stop
    def start(self) -> "LocalCluster":
        """Start everything and wait until all of it answers; on any failure stop what was started."""
        started = time.monotonic()
        try:
            self.bins = ensure_packages()
            self.timings["packages"] = time.monotonic() - started
            self.dir = Path(tempfile.mkdtemp(prefix="gongyou-scale-"))
            self.dir.chmod(0o755)  # the postgres and nginx worker users must be able to enter it
            for name in ("postgres", "redis", "nginx", "nginx_actions", "web",
                         *(f"rasa{i}" for i in range(self.n_rasa)), *(f"actions{i}" for i in range(self.n_actions))):
                self.ports[name] = free_port()
            if self.log_dir.exists():
                shutil.rmtree(self.log_dir)
            self.log_dir.mkdir(parents=True)
            self._start_postgres()
            self._start_redis()
            self.timings["databases"] = time.monotonic() - started
            # Rasa servers take longest (model loading): start them first, load the knowledge base meanwhile.
            self.rasa = [self._rasa_service(i) for i in range(self.n_rasa)]
            for service in self.rasa:
                serve.start(service, log_dir=str(self.log_dir))
            self._load_knowledge()
            self.timings["knowledge"] = time.monotonic() - started
            self.actions = [self._actions_service(i) for i in range(self.n_actions)]
            self.web = self._web_service()
            for service in [*self.actions, self.web]:
                serve.start(service, log_dir=str(self.log_dir))
            self._start_nginx()
            serve.wait_ready([*self.actions, self.web, *self.rasa], timeout=420)
            self.timings["ready"] = time.monotonic() - started
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process (even half-started ones) and remove the temporary directory."""
        try:
            _terminate(self.nginx, signal.SIGTERM, grace=10)
            serve.stop([s for s in [self.web, *self.rasa, *self.actions] if s is not None], grace=20)
            _terminate(self.redis, signal.SIGTERM, grace=10)
            _terminate(self.postgres, signal.SIGINT, grace=30)  # SIGINT: PostgreSQL's fast shutdown
        finally:
            if self.dir and self.dir.exists():
                nginx_dir = self.dir / "nginx"
                for name in ("access.log", "error.log"):
                    if (nginx_dir / name).exists():
                        shutil.copy(nginx_dir / name, self.log_dir / f"nginx-{name}")
                shutil.rmtree(self.dir, ignore_errors=True)

    def stop_rasa(self, index: int) -> None:
        serve.stop([self.rasa[index]], grace=20)

    def start_rasa(self, index: int, timeout: float = 300) -> float:
        """Start Rasa server ``index`` again (a new process); returns the seconds until it answered."""
        started = time.monotonic()
        self.rasa[index] = self._rasa_service(index)
        serve.start(self.rasa[index], log_dir=str(self.log_dir))
        serve.wait_ready([self.rasa[index]], timeout=timeout)
        return time.monotonic() - started

    # the pieces
    def _as_postgres(self) -> Dict[str, Any]:
        """Popen arguments that drop root to the postgres user (PostgreSQL refuses to run as root)."""
        if os.geteuid() != 0:
            return {}
        return {"user": "postgres", "group": "postgres", "extra_groups": []}

    def _start_postgres(self) -> None:
        assert self.dir is not None
        pg_dir = self.dir / "postgres"
        (pg_dir / "socket").mkdir(parents=True)
        pwfile = pg_dir / "pwfile"
        pwfile.write_text(self.pg_password + "\n")
        if os.geteuid() == 0:
            for path in (pg_dir, pg_dir / "socket", pwfile):
                shutil.chown(path, "postgres", "postgres")
        pg_dir.chmod(0o700)
        data = pg_dir / "data"
        bin_dir = self.bins["pg_bin"]
        with open(self.log_dir / "postgres.log", "ab") as log:
            subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
                            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                           cwd=pg_dir, stdout=log, stderr=subprocess.STDOUT, check=True, **self._as_postgres())
            # Durability settings off: this database lives for one test run.
            self.postgres = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(data), "-k", str(pg_dir / "socket"), "-h", HOST,
                 "-p", str(self.ports["postgres"]), "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200"],
                cwd=pg_dir, stdout=log, stderr=subprocess.STDOUT, **self._as_postgres())
        deadline = time.monotonic() + 60
        import psycopg2

        while True:
            if self.postgres.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited with code {self.postgres.returncode}; see postgres.log")
            try:
                conn = psycopg2.connect(host=HOST, port=self.ports["postgres"], user="postgres",
                                        password=self.pg_password, dbname="postgres", connect_timeout=2)
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE ROLE gongyou LOGIN PASSWORD %s", (self.pg_password,))
            cur.execute("CREATE DATABASE gongyou OWNER gongyou")
            cur.execute("CREATE DATABASE gongyou_tracker OWNER gongyou")
        conn.close()

    def _start_redis(self) -> None:
        assert self.dir is not None
        redis_dir = self.dir / "redis"
        redis_dir.mkdir()
        config = redis_dir / "redis.conf"  # the password in a file, not on the command line
        config.write_text(f"bind {HOST}\nport {self.ports['redis']}\nrequirepass {self.redis_password}\n"
                          f"dir {redis_dir}\nsave \"\"\nappendonly no\ndaemonize no\nlogfile \"\"\n")
        config.chmod(0o600)
        with open(self.log_dir / "redis.log", "ab") as log:
            self.redis = subprocess.Popen([str(self.bins["redis"]), str(config)], cwd=redis_dir, stdout=log,
                                          stderr=subprocess.STDOUT)
        _wait_tcp(self.ports["redis"], self.redis, "redis-server")

    def settings_for(self, name: str) -> Settings:
        """The settings of one Gongyou process of the cluster (passed to it as its environment).

        Each process has its own var dir, as each container has in docker-compose.yml (the
        action servers' spool of cases not yet written, the web server's session secret).
        """
        assert self.dir is not None
        var_dir = self.dir / "var" / name
        var_dir.mkdir(parents=True, exist_ok=True)
        return settings().with_values(
            var_dir=var_dir, database_url=self.database_url, tracker_database_url=self.tracker_database_url,
            redis_host=HOST, redis_port=self.ports["redis"], redis_db=0, redis_password=self.redis_password,
            rasa_auth_token_env=self.token, action_secret_env=self.action_secret, host=HOST, actions_host=HOST,
            action_server_url=f"{self.nginx_actions_url}/webhook", rasa_url=self.nginx_url,
            rasa_workers_env=1, now=None)

    def _load_knowledge(self) -> None:
        with open(self.log_dir / "kb-load.log", "ab") as log:
            subprocess.run([sys.executable, "-m", "bot.cli", "kb", "load"], cwd=ROOT,
                           env=serve.service_env(self.settings_for("kb-load")), stdout=log,
                           stderr=subprocess.STDOUT, check=True)

    def _service(self, name: str, cfg: Settings, command: List[str], health: str) -> serve.Service:
        service = serve.Service(name, command, health)
        service.env = {**serve.service_env(cfg), "SANIC_WORKERS": "1"}
        return service

    def _rasa_service(self, index: int) -> serve.Service:
        name = f"rasa-{'ab'[index] if index < 2 else index}"
        cfg = self.settings_for(name).with_values(rasa_port=self.ports[f"rasa{index}"])
        return self._service(name, cfg, serve.rasa_command(cfg, sys.executable, str(MODEL_PATH)),
                             f"http://{HOST}:{cfg.rasa_port}/")

    def _actions_service(self, index: int) -> serve.Service:
        name = f"actions-{'ab'[index] if index < 2 else index}"
        cfg = self.settings_for(name).with_values(actions_port=self.ports[f"actions{index}"])
        return self._service(name, cfg, serve.actions_command(cfg, sys.executable),
                             f"http://{HOST}:{cfg.actions_port}/health")

    def _web_service(self) -> serve.Service:
        cfg = self.settings_for("web").with_values(web_port=self.ports["web"])
        return self._service("web", cfg, serve.web_command(cfg, sys.executable), f"http://{HOST}:{cfg.web_port}/healthz")

    def _start_nginx(self) -> None:
        assert self.dir is not None
        nginx_dir = self.dir / "nginx"
        (nginx_dir / "temp").mkdir(parents=True)
        site = render_nginx({
            "RASA_A": f"{HOST}:{self.ports['rasa0']}", "RASA_B": f"{HOST}:{self.ports['rasa1']}",
            "ACTIONS_A": f"{HOST}:{self.ports['actions0']}", "ACTIONS_B": f"{HOST}:{self.ports['actions1']}",
            "WEB": f"{HOST}:{self.ports['web']}",
            "LISTEN": f"{HOST}:{self.ports['nginx']}", "ACTIONS_LISTEN": f"{HOST}:{self.ports['nginx_actions']}",
        })
        (nginx_dir / "gongyou.conf").write_text(site, encoding="utf-8")
        temp = nginx_dir / "temp"
        # The main file the nginx image would provide, plus what the test reads: the upstream of each
        # request in the access log and in an X-Upstream response header.
        main = f"""
daemon off;
worker_processes 1;
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/error.log warn;
{"user nobody nogroup;" if os.geteuid() == 0 else ""}
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    default_type application/octet-stream;
    log_format upstreams '$msec|$server_port|$request_method|$uri|$status|$upstream_addr|$upstream_status';
    access_log {nginx_dir}/access.log upstreams;
    add_header X-Upstream $upstream_addr always;
    include {nginx_dir}/gongyou.conf;
}}
"""
        conf = nginx_dir / "nginx.conf"
        conf.write_text(main, encoding="utf-8")
        command = [str(self.bins["nginx"]), "-p", str(nginx_dir), "-c", str(conf), "-e", str(nginx_dir / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration:\n{check.stderr}")
        with open(self.log_dir / "nginx.log", "ab") as log:
            self.nginx = subprocess.Popen(command, cwd=nginx_dir, stdout=log, stderr=subprocess.STDOUT)
        _wait_tcp(self.ports["nginx"], self.nginx, "nginx")


def main() -> int:
    """``python -m bot.cluster``: start the loopback cluster, print its addresses, stop on Ctrl-C."""
    cluster = LocalCluster(ROOT / "var" / "cluster-logs")

    def _interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster.start()
        print(f"Ready in {cluster.timings['ready']:.0f} s.\n"
              f"  nginx (REST, WeChat, web page) {cluster.nginx_url}\n"
              f"  Rasa servers {', '.join(cluster.rasa_urls)} (token {cluster.token})\n"
              f"  action servers {', '.join(cluster.actions_urls)} (via nginx {cluster.nginx_actions_url})\n"
              f"  PostgreSQL {cluster.database_url}\n"
              f"  logs in {cluster.log_dir}\nPress Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
