"""Requests with a Host header the site does not serve, on a live worker (issue 17, item 7):
each is answered 400 as before, but the log gets one WARNING line for the lot, without a
traceback, instead of an ERROR with its traceback per request (a scanner, or a proxy that sends
the wrong Host, buried every other line). The next line, a minute later at the earliest, says
how many were refused in between (tests/security/test_logs.py)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.cluster import Daphne, wait_until
from tests.security.live import embedded_worker

pytestmark = pytest.mark.live

REQUESTS = 30


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    with embedded_worker(tmp_path_factory.mktemp("bad-host")) as daphne:
        yield daphne


def status_with_host(worker: Daphne, path: str, host: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def log_lines(worker: Daphne) -> list[dict]:
    lines = Path(worker.log).read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_a_flood_of_bad_hosts_is_one_warning_without_a_traceback(worker):
    statuses = [
        status_with_host(worker, path, f"scanner-{n}.example")
        for n in range(REQUESTS)
        for path in ("/", "/api/sessions/")
    ]
    assert status_with_host(worker, "/healthz", "127.0.0.1") == 200
    wait_until(
        lambda: any(
            line["logger"] == "django.security.DisallowedHost" for line in log_lines(worker)
        ),
        10,
        "the bad Host line",
    )

    lines = [line for line in log_lines(worker) if line["logger"].startswith("django.security")]
    assert statuses == [400] * (2 * REQUESTS)
    assert len(lines) == 1, lines
    [line] = lines
    assert line["level"] == "WARNING" and "exception" not in line
    assert "Invalid HTTP_HOST header" in line["message"]
    assert not [line for line in log_lines(worker) if line["level"] == "ERROR"]
