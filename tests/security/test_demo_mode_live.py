"""``make run``, the demo, runs as production does: DEBUG off (issue 17, item 6). It used to set
``DEBUG=1``, whose debug pages show whoever causes an error the request's data: a POSTed
password, and on a clinical system a patient's note. Started here for real (``make run`` on a
free port with its own var dir; the virtualenv's set-up step is skipped, ``-o``), then asked for
a missing page and sent a password to a path without its slash."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.cluster import LIVE_PASSWORD, ROOT, free_port, live_environment, wait_until

pytestmark = pytest.mark.live


def _answer(url: str, data: bytes | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data), timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``make run`` serving on a free port; its base URL."""
    port = free_port()
    env = live_environment(tmp_path_factory.mktemp("demo"))
    env.pop("DEBUG", None)
    log = Path(env["MEDSTREAM_VAR_DIR"]) / "make-run.log"
    process = subprocess.Popen(
        ["make", "-o", ".venv/.runtime-installed", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: make, then the server it starts
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answer(f"{base}/healthz")[0] == 200 or process.poll() is not None,
                   120, "make run to serve")  # fmt: skip
        assert process.poll() is None, log.read_text()[-3000:]
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_demo_shows_no_debug_page(demo):
    status, page = _answer(f"{demo}/no-such-page/")

    assert status == 404 and "URLconf" not in page and "DEBUG = True" not in page


def test_the_demo_never_answers_with_a_posted_password(demo):
    form = f"username=demo&password={LIVE_PASSWORD}".encode()

    answers = [_answer(f"{demo}{path}", form) for path in ("/accounts/login", "/api/auth/token")]

    assert all(status < 500 and LIVE_PASSWORD not in page for status, page in answers), answers
