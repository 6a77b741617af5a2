"""Real daphne workers on free ports, started by the test session, spoken to over real sockets.

Each server gets its own ``var/`` (SQLite database, secret key) under the session's temporary
folder, migrated and seeded with users by the project's own management commands.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LIVE_PASSWORD = "live test password 1234"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, seconds: float, what: str) -> None:
    """Poll ``condition`` until it is true, failing with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"gave up waiting for {what} after {seconds:g} s")


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


@dataclass
class Daphne:
    """One daphne worker process."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Daphne:
        self.log = Path(self.env["MEDSTREAM_VAR_DIR"]) / f"daphne-{self.port}.log"
        self.process = subprocess.Popen(
            [str(BIN / "python"), "-m", "medstream.serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env | {"WORKER_ID": f"live-{self.port}"},
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self.healthy, 30, f"daphne on port {self.port}")
        return self

    def healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"daphne exited:\n{self.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.http}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def post(self, path: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
        request = urllib.request.Request(
            f"{self.http}{path}",
            data=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Token {token}"} if token else {}),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def token(self, username: str) -> str:
        return self.post("/api/auth/token/", {"username": username, "password": LIVE_PASSWORD})[
            "token"
        ]

    def ticket_url(self, username: str) -> str:
        return self.post("/api/ws-tickets/", token=self.token(username))["url"]


def live_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return (
        env
        | {
            "MEDSTREAM_VAR_DIR": str(var_dir),
            "DEMO_PASSWORD": LIVE_PASSWORD,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
        | extra
    )


def prepare_database(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "ensure_demo_users")


@pytest.fixture(scope="session")
def daphne_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    """One daphne worker on the embedded default (SQLite file, in-memory layer)."""
    env = live_environment(tmp_path_factory.mktemp("live-embedded"))
    prepare_database(env)
    server = Daphne(env).start()
    yield server
    server.stop()
