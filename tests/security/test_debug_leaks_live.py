"""A password never reaches a page or a log, with DEBUG on or off (issue 17, item 6).

With ``DEBUG=1`` (what ``make run`` used to set), ``POST /api/auth/token`` without its trailing
slash answered Django's debug page for APPEND_SLASH's RuntimeError, with the POSTed password in
it. Each mode runs a live worker; every door that takes a password is sent one, right and wrong,
as a form and as JSON (malformed too), with and without the trailing slash, and the password is
looked for in every answer (status line, headers, body) and in the worker's log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.cluster import Daphne
from tests.security.live import FormSession, embedded_worker, manage

pytestmark = pytest.mark.live

PASSWORD = "Marigold-vestibule-quartz-8841"
WRONG = f"not-{PASSWORD}"
DOORS = [
    "/api/auth/token",
    "/api/auth/token/",
    "/api/auth/tokens",
    "/accounts/login",
    "/accounts/login/",
    "/admin/login",
    "/admin/login/",
    "/accounts/password_change",
    "/accounts/password_change/",
]


@pytest.fixture(scope="module", params=["1", "0"], ids=["DEBUG=1", "DEBUG=0"])
def worker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Daphne]:
    directory = tmp_path_factory.mktemp(f"debug-{request.param}")
    with embedded_worker(directory, pages=request.param == "0", DEBUG=request.param) as daphne:
        manage(
            daphne.env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('keeper', password={PASSWORD!r})",
        )
        yield daphne


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object) -> None:
        return None


def answer(worker: Daphne, path: str, body: bytes, content_type: str) -> tuple[int, str]:
    """The whole answer as text: status, headers and body."""
    request = urllib.request.Request(
        worker.http + path, body, {"Content-Type": content_type}, method="POST"
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, f"{response.headers}\n{response.read().decode()}"
    except urllib.error.HTTPError as error:
        return error.code, f"{error.headers}\n{error.read().decode()}"


def bodies(password: str) -> list[tuple[bytes, str]]:
    fields = {"username": "keeper", "password": password, "old_password": password}
    form = "&".join(f"{key}={value}" for key, value in fields.items()).encode()
    whole = json.dumps(fields).encode()
    return [
        (form, "application/x-www-form-urlencoded"),
        (whole, "application/json"),
        (whole[:-1], "application/json"),  # malformed: the parser's error must not quote it
        (whole, "text/plain"),
    ]


def test_a_password_reaches_no_answer_at_any_door(worker):
    answers = {
        (path, kind, password): answer(worker, path, body, kind)
        for path in DOORS
        for password in (PASSWORD, WRONG)
        for body, kind in bodies(password)
    }
    browser = FormSession(worker)
    for password in (WRONG, PASSWORD):
        answers["form", password] = browser.submit(
            "/accounts/login/", {"username": "keeper", "password": password}
        )

    leaks = [key for key, (_, text) in answers.items() if PASSWORD in text]
    assert leaks == []
    # With DEBUG on, a form POSTed to a page's path without its slash is still Django's
    # RuntimeError page (a developer's mistake, named), now without the password.
    faults = [key for key, (status, _) in answers.items() if status >= 500]
    assert [key for key in faults if key[0].startswith("/api/") or worker.env["DEBUG"] == "0"] == []


def test_a_password_reaches_no_log_line(worker):
    for password in (PASSWORD, WRONG):
        for body, kind in bodies(password):
            answer(worker, "/api/auth/token", body, kind)
            answer(worker, "/accounts/login", body, kind)

    assert PASSWORD not in Path(worker.log).read_text()


def test_an_api_path_without_its_trailing_slash_is_a_json_404_naming_the_right_one(worker):
    status, text = answer(worker, "/api/auth/token", b'{"username": "keeper"}', "application/json")

    body = json.loads(text.split("\n\n", 1)[1])
    assert status == 404 and body["code"] == "not_found"
    assert "/api/auth/token/" in body["error"]
