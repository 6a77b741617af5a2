"""Helpers for security tests against live daphne workers: users with roles and tokens made in the
worker's own database, ticket URLs, a worker of its own on the embedded default, a browser-like
client that signs in and posts forms with their CSRF token, and a raw WebSocket that does
nothing a library would do for it (no pong, no close handshake)."""

from __future__ import annotations

import base64
import contextlib
import http.cookiejar
import json
import os
import re
import socket
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devtools.cluster import LIVE_PASSWORD, Daphne, live_environment, manage, prepare_database

TEAM = "Security ward"

_CREATE_USERS = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from knox.models import AuthToken
from clinical.models import CareTeam

team, _ = CareTeam.objects.get_or_create(name={team!r})
tokens = {{}}
for name, role in {users!r}:
    user, _ = get_user_model().objects.get_or_create(username=name)
    user.set_password({password!r})
    user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    team.members.add(user)
    tokens[name] = AuthToken.objects.create(user)[1]
print(json.dumps(tokens))
"""


def create_users(env: dict[str, str], users: list[tuple[str, str | None]]) -> dict[str, str]:
    """Users (name, role or None) in the care team TEAM, with the password LIVE_PASSWORD, in the
    database ``env`` points at; returns their API tokens. Made by a management shell, so no
    login endpoint is spent."""
    script = _CREATE_USERS.format(team=TEAM, users=users, password=LIVE_PASSWORD)
    output = manage(env, "shell", "--no-imports", "-c", script)
    return json.loads(output.strip().splitlines()[-1])


def request(
    worker: Daphne, method: str, path: str, token: str = "", body: Any = None
) -> tuple[int, dict[str, str], Any]:
    """Status, headers and JSON body of one request; HTTP errors are answers, not exceptions."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(f"{worker.http}{path}", data, headers, method=method)
    try:
        with urllib.request.urlopen(call, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


@contextlib.contextmanager
def embedded_worker(var_dir: Path, *, pages: bool = False, **env: str) -> Iterator[Daphne]:
    """One worker on the embedded default (SQLite under ``var_dir``, in-memory layer) with
    ``env`` over the live environment; ``pages``: static files collected, so that HTML pages
    render with the manifest's names as in production."""
    environment = live_environment(var_dir, **env)
    prepare_database(environment)
    if pages:
        manage(environment, "collectstatic", "--noinput")
    worker = Daphne(environment).start()
    try:
        yield worker
    finally:
        worker.stop()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # a 302 is the answer itself, as a form's POST is judged by it


class FormSession:
    """A browser-like client of one worker: a cookie jar, forms posted with their CSRF token
    (taken from the page, as a browser's form carries it), redirects not followed."""

    def __init__(self, worker: Daphne) -> None:
        self.base = worker.http
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects
        )
        self.last_headers: list[tuple[str, str]] = []  # of the latest answer

    def call(self, path: str, data: bytes | None = None, **headers: str) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path, data, headers, method="POST" if data is not None else "GET"
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                self.last_headers = response.headers.items()
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            self.last_headers = error.headers.items()
            return error.code, error.read().decode()

    def submit(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """GET the form's page, then POST ``fields`` with its CSRF token."""
        status, page = self.call(path)
        assert status == 200, (path, status, page[:500])
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        body = urllib.parse.urlencode(fields | {"csrfmiddlewaretoken": csrf}).encode()
        return self.call(path, body, Referer=self.base + path)

    def sign_in(self, username: str, password: str, path: str = "/accounts/login/") -> None:
        status, page = self.submit(path, {"username": username, "password": password})
        assert status == 302, (status, page[:500])


def ticket_url(worker: Daphne, token: str) -> str:
    status, _, body = request(worker, "POST", "/api/ws-tickets/", token)
    assert status == 201, body
    return body["url"]


class RawSocket:
    """A WebSocket client that never answers a ping and never closes politely."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        handshake = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(handshake.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        return chunk

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self.buffer += self._recv()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_frame(self) -> tuple[int, bytes]:
        """The next frame from the server: (opcode, payload)."""
        first, second = self._take(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._take(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._take(8))
        return first & 0x0F, self._take(length)

    def opcodes_until_dropped(self, seconds: float) -> tuple[list[int], float]:
        """Opcodes of every frame until the server drops the connection, and when it did."""
        started = time.monotonic()
        self.sock.settimeout(seconds)
        seen: list[int] = []
        try:
            while True:
                seen.append(self.read_frame()[0])
        except TimeoutError:
            raise AssertionError(f"still connected after {seconds} s; frames {seen}") from None
        except OSError:  # ConnectionError included: closed or reset by the server
            return seen, time.monotonic() - started

    def close(self) -> None:
        self.sock.close()
