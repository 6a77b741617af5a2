"""The multi-worker topology on one machine, without Docker: Redis, PostgreSQL, daphne workers and
an nginx load balancer, each a real process on a free port under one temporary folder.

``make cluster`` runs :func:`main`; the live tests and the benchmarks build the same pieces.
PostgreSQL refuses to run as root, so as root its server runs as the ``postgres`` user that
Debian's package creates.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LIVE_PASSWORD = "live test password 1234"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds, failing with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"gave up waiting for {what} after {seconds:g} s")


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command of this checkout with ``env``; raise with its stderr on failure."""
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def live_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker of this checkout: its own var dir, known demo password."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "WORKER_ID"}
    }
    return (
        env
        | {
            "MEDSTREAM_VAR_DIR": str(var_dir),
            "DEMO_PASSWORD": LIVE_PASSWORD,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            # Test clients sign in for every socket and start streams far faster than people
            # do; tests of the limits themselves set theirs (tests/security/test_live.py).
            "LOGIN_RATE": "100000/minute",
            "STREAM_STARTS_PER_MINUTE": "100000",
            "WS_MESSAGES_PER_MINUTE": "1000000",
        }
        | extra
    )


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the worker's database and create the demo users. A SQLite database (no
    ``DATABASE_URL``) is a copy of one prepared once per process for the same demo password:
    migrating and creating the users took two Django starts, 4.4 s, for each of the suite's
    workers."""
    if "DATABASE_URL" in env:
        _migrate_with_demo_users(env)
        return
    target = Path(env["MEDSTREAM_VAR_DIR"])
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template(env.get("DEMO_PASSWORD", "")), target / _SQLITE_NAME)


_SQLITE_NAME = "medstream.sqlite3"  # medstream.settings: VAR_DIR / "medstream.sqlite3"


@functools.cache
def _sqlite_template(demo_password: str) -> Path:
    var_dir = Path(tempfile.mkdtemp(prefix="medstream-template-"))
    atexit.register(shutil.rmtree, var_dir, True)
    _migrate_with_demo_users(live_environment(var_dir, DEMO_PASSWORD=demo_password))
    template = var_dir / _SQLITE_NAME
    if not template.exists() or template.with_name(f"{_SQLITE_NAME}-wal").exists():
        raise RuntimeError(f"no closed SQLite database at {template} to copy")
    return template


def _migrate_with_demo_users(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "ensure_demo_users")


def json_post(url: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(
        url, data=json.dumps(body or {}).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@dataclass
class Daphne:
    """One daphne worker of this checkout: ``python -m medstream.serve``, or with ``launcher``
    ``"daphne"`` the Channels documentation's ``daphne medstream.asgi:application``."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    name: str = ""
    process: subprocess.Popen | None = None
    log: Path | None = None
    # Trust the proxy's X-Forwarded-For, as the image's workers do (only behind a proxy).
    proxy_headers: bool = False
    launcher: str = "serve"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def worker_id(self) -> str:
        return self.name or f"worker-{self.port}"

    def start(self, seconds: float = 30) -> Daphne:
        self.log = Path(self.env["MEDSTREAM_VAR_DIR"]) / f"{self.worker_id}.log"
        command = [str(BIN / "python"), "-m", "medstream.serve", "--port", str(self.port)]
        if self.launcher == "daphne":
            command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port)]
            command.append("medstream.asgi:application")
        if self.proxy_headers:
            command.append("--proxy-headers")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env | {"WORKER_ID": self.worker_id},
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self.healthy, seconds, f"daphne {self.worker_id} on port {self.port}")
        return self

    def healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"daphne exited:\n{self.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.http}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM, seconds: float = 30) -> int | None:
        """Signal the worker and wait for it to exit; returns its exit code."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def kill(self) -> None:
        """kill -9: no drain, no goodbye."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def post(self, path: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
        return json_post(f"{self.http}{path}", body, token)

    def token(self, username: str) -> str:
        body = {"username": username, "password": LIVE_PASSWORD}
        return self.post("/api/auth/token/", body)["token"]

    def ticket_url(self, username: str) -> str:
        return self.post("/api/ws-tickets/", token=self.token(username))["url"]


@dataclass
class RedisServer:
    """redis-server on a free port, no persistence (a restart loses everything, as in a crash)."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ],
            stdout=(self.directory / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: _port_open(self.port), 15, f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def restart(self) -> None:
        self.stop()
        wait_until(lambda: not _port_open(self.port), 10, "redis-server to stop")
        self.start()


def postgres_bin_dir() -> Path:
    """Where initdb and postgres live: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise FileNotFoundError("PostgreSQL is not installed: apt-get install postgresql")
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster on a free port, trusting local connections."""

    directory: Path
    port: int = field(default_factory=free_port)
    database: str = "medstream"
    user: str = "medstream"
    durable: bool = False
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _as_owner(self) -> dict[str, Any]:
        """Run as ``postgres`` when we are root: PostgreSQL refuses to run as root."""
        if os.geteuid() != 0:
            return {}
        owner = pwd.getpwnam("postgres")
        return {"user": owner.pw_uid, "group": owner.pw_gid}

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def start(self) -> PostgresServer:
        data = self.directory / "data"
        self.directory.mkdir(parents=True, exist_ok=True)
        self._chown(self.directory)
        binaries = postgres_bin_dir()
        if not data.exists():
            subprocess.run(
                [str(binaries / "initdb"), "-D", str(data), "-U", self.user,
                 "--auth=trust", "-E", "UTF8", "--locale=C"],
                check=True, capture_output=True, **self._as_owner(),
            )  # fmt: skip
        settings = [
            "-c", "listen_addresses=127.0.0.1",
            "-c", f"unix_socket_directories={self.directory}",
            "-c", "max_connections=200",
            # A backend waiting on a lock notices within a second that its client died.
            "-c", "client_connection_check_interval=1000",
        ]  # fmt: skip
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
        log = self.directory / "postgres.log"
        log.touch()
        self._chown(log)
        self.process = subprocess.Popen(
            [str(binaries / "postgres"), "-D", str(data), "-p", str(self.port), *settings],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            **self._as_owner(),
        )
        wait_until(self._accepts, 30, f"PostgreSQL on port {self.port}")
        self._create_database()
        return self

    def _accepts(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError((self.directory / "postgres.log").read_text()[-3000:])
        import psycopg

        try:
            with psycopg.connect(self.admin_url, connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}", autocommit=True
        )


NGINX_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{body}
}}
"""


def nginx_site(listen: str, upstreams: list[str]) -> str:
    """The load balancer's site: round robin over workers, WebSocket upgrade, /metrics private,
    X-Forwarded-For/-Port set to the peer nginx sees (never appended to a client's own header).

    docker/nginx.conf says the same for the compose file; a test holds the two together.
    """
    servers = "\n".join(
        f"        server {upstream} max_fails=1 fail_timeout=5s;" for upstream in upstreams
    )
    return f"""\
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream medstream {{
{servers}
    }}
    server {{
        listen {listen};
        client_max_body_size 1m;
        location = /metrics {{ return 404; }}
        location /ws/ {{
            proxy_pass http://medstream;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Port $remote_port;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }}
        location / {{
            proxy_pass http://medstream;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Port $remote_port;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}"""


@dataclass
class Nginx:
    directory: Path
    upstreams: list[str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self) -> Nginx:
        self.directory.mkdir(parents=True, exist_ok=True)
        site = nginx_site(f"127.0.0.1:{self.port}", self.upstreams)
        conf = self.directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=self.directory, body=site))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [binary, "-p", str(self.directory), "-c", str(conf), "-g", "daemon off;"],
            stdout=(self.directory / "nginx.out").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _port_open(self.port), 15, f"nginx on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@dataclass
class Cluster:
    """Redis + PostgreSQL + ``workers`` daphne processes (+ nginx), all under ``directory``."""

    directory: Path
    workers: int = 2
    with_nginx: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    redis: RedisServer | None = None
    postgres: PostgresServer | None = None
    daphnes: list[Daphne] = field(default_factory=list)
    nginx: Nginx | None = None

    @property
    def env(self) -> dict[str, str]:
        return live_environment(
            self.directory / "var",
            DATABASE_URL=self.postgres.url,
            REDIS_URL=self.redis.url,
            **self.extra_env,
        )

    def start(self) -> Cluster:
        self.redis = RedisServer(self.directory / "redis").start()
        self.postgres = PostgresServer(self.directory / "postgres").start()
        (self.directory / "var").mkdir(parents=True, exist_ok=True)
        prepare_database(self.env)
        for index in range(self.workers):
            self.add_worker(f"worker-{index + 1}")
        if self.with_nginx:
            upstreams = [f"127.0.0.1:{daphne.port}" for daphne in self.daphnes]
            self.nginx = Nginx(self.directory / "nginx", upstreams).start()
        return self

    def add_worker(self, name: str) -> Daphne:
        daphne = Daphne(self.env, name=name).start()
        self.daphnes.append(daphne)
        return daphne

    def stop(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for daphne in self.daphnes:
            daphne.stop()
        if self.postgres:
            self.postgres.stop()
        if self.redis:
            self.redis.stop()


@contextlib.contextmanager
def running_cluster(directory: Path, **options: Any) -> Iterator[Cluster]:
    cluster = Cluster(directory, **options)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> None:
    """``make cluster``: the compose topology on this machine until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m devtools.cluster", description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="medstream-cluster-"))
    if os.geteuid() == 0:
        os.chmod(directory, 0o755)
    cluster = Cluster(directory, workers=args.workers)
    try:
        cluster.start()
        cluster.nginx = Nginx(
            directory / "nginx", [f"127.0.0.1:{d.port}" for d in cluster.daphnes], port=args.port
        ).start()
        print(f"medstream cluster in {directory}")
        print(f"  load balancer  http://127.0.0.1:{args.port}/  (nginx, WebSocket upgrade)")
        for daphne in cluster.daphnes:
            print(f"  {daphne.worker_id:<14} {daphne.http}  log {daphne.log}")
        print(f"  redis          {cluster.redis.url}")
        print(f"  postgres       {cluster.postgres.url}")
        print(f"  demo logins    demo / reviewer, password {LIVE_PASSWORD!r}")
        print("Ctrl-C stops everything.", flush=True)
        stop_signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        signal.sigwait(stop_signals)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()


class EventGate:
    """Hold back the write of the event batch that contains ``seq``, until :meth:`open`.

    A test instrument in the database, not in our code: a trigger on the events table takes a
    shared advisory lock for the row with that ``seq``, and the gate holds the lock exclusively,
    so the worker's transaction waits inside its insert, exactly as if the database were slow
    at that moment. Everything stored before is committed and published; nothing after is.
    """

    LOCK_KEY = 4242

    def __init__(self, postgres: PostgresServer, seq: int) -> None:
        self.connection = postgres.connect()
        self.seq = seq
        self.is_open = False

    def __enter__(self) -> EventGate:
        self.connection.execute("SELECT pg_advisory_lock(%s)", (self.LOCK_KEY,))
        self.connection.execute(
            f"""
            CREATE OR REPLACE FUNCTION medstream_test_gate() RETURNS trigger AS $$
            BEGIN
                IF NEW.seq = {int(self.seq)} THEN
                    PERFORM pg_advisory_xact_lock_shared({self.LOCK_KEY});
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            """
        )
        self.connection.execute(
            "CREATE OR REPLACE TRIGGER medstream_test_gate BEFORE INSERT ON clinical_streamevent "
            "FOR EACH ROW EXECUTE FUNCTION medstream_test_gate()"
        )
        return self

    def open(self) -> None:
        if not self.is_open:
            self.connection.execute("SELECT pg_advisory_unlock(%s)", (self.LOCK_KEY,))
            self.is_open = True

    def __exit__(self, *exc_info: object) -> None:
        self.open()
        self.connection.execute(
            "DROP TRIGGER IF EXISTS medstream_test_gate ON clinical_streamevent"
        )
        self.connection.close()
