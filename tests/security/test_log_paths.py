"""Request paths never reach the logs: a client chooses its path, so it can carry anything (a
name typed into an address bar, a search). Django's request logs keep their reason and status
and lose the path, whichever logger writes them: ``django.request`` (404, a permission refused,
a method not allowed) and ``django.security.csrf`` (a CSRF refusal). The audit found
``/admin/clinical/streamsession/ (HTTP 403)`` and ``Forbidden (CSRF token missing.): /admin/...``
in the JSON lines. Formatted exactly as the workers format their lines."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from medstream.logs import JsonFormatter

pytestmark = pytest.mark.django_db

MARKER = "Zebulon-Quillfeather"
SESSION_PAGE = f"/admin/clinical/streamsession/{MARKER}/change/"


@pytest.fixture(autouse=True)
def _everything_at_debug(caplog: pytest.LogCaptureFixture, plain_static_files: None) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.fixture
def staff_clinician(make_user: Any) -> Any:
    """Staff status without the review permission: the admin refuses every page (403)."""
    user = make_user("carl")
    user.is_staff = True
    user.save()
    return user


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The JSON lines of Django's request and security loggers."""
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name.startswith(("django.request", "django.security", "django.server"))
    ]


def assert_no_path(lines: list[dict[str, Any]], *fragments: str) -> None:
    """No line holds a requested path (a traceback names source files such as
    ``django/contrib/admin/options.py``: those are not requests)."""
    assert lines
    paths = (MARKER, "/admin/clinical/", "streamsession/", "/api/sessions/", "/accounts/login")
    for line in lines:
        text = json.dumps(line, ensure_ascii=False)
        for fragment in (*paths, *fragments):
            assert fragment not in text, text


def test_a_permission_refused_is_logged_with_its_reason_and_status_but_no_path(
    caplog, staff_clinician
):
    client = Client()
    client.force_login(staff_clinician)

    assert client.get("/admin/clinical/streamsession/").status_code == 403
    assert client.get(SESSION_PAGE).status_code == 403

    lines = request_lines(caplog)
    assert [line["message"] for line in lines] == ["Forbidden (Permission denied) (HTTP 403)"] * 2
    assert all(line["logger"] == "django.request" for line in lines)
    assert_no_path(lines)


def test_a_csrf_refusal_is_logged_with_its_reason_and_status_but_no_path(caplog, reviewer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    client.get("/accounts/login/")  # the CSRF cookie, so the refusal is the missing token

    assert client.post(SESSION_PAGE, {"verdict": "agree"}).status_code == 403

    lines = request_lines(caplog)
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("django.security.csrf", "Forbidden (CSRF token missing.) (HTTP 403)")
    ]
    assert_no_path(lines)


def test_a_csrf_refusal_without_the_cookie_says_so_and_no_more(caplog, reviewer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    assert client.post(SESSION_PAGE, {}).status_code == 403

    lines = request_lines(caplog)
    assert [line["message"] for line in lines] == ["Forbidden (CSRF cookie not set.) (HTTP 403)"]
    assert_no_path(lines)


def test_not_found_and_method_not_allowed_keep_their_reason_only(caplog, api_as, clinician):
    api_as(clinician).get(f"/api/sessions/{MARKER}/")
    Client().delete(f"/accounts/login/?next=/{MARKER}/")

    lines = request_lines(caplog)
    assert [line["message"] for line in lines] == [
        "Not Found (HTTP 404)",
        "Method Not Allowed (DELETE) (HTTP 405)",
    ]
    assert_no_path(lines)


def test_a_path_django_escapes_before_logging_is_gone_in_both_spellings(caplog, api_as, clinician):
    """Django's log_response escapes non-ASCII in its arguments; neither form survives."""
    api_as(clinician).get("/api/sessions/Zébulon-Quillféather/")

    lines = request_lines(caplog)
    assert [line["message"] for line in lines] == ["Not Found (HTTP 404)"]
    assert_no_path(lines, "Zébulon", "Z\\xe9bulon", "bulon")


def test_a_path_passed_as_extra_context_is_dropped():
    """``path`` is no longer a context key a caller may attach."""
    record = logging.LogRecord("clinical.x", logging.INFO, __file__, 1, "hello", None, None)
    record.path = f"/api/sessions/{MARKER}/"

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "hello" and "path" not in line


def test_daphnes_development_server_line_loses_its_path():
    """``manage.py runserver`` under daphne logs ``%(path)s`` from a mapping of details."""
    details = {"method": "GET", "path": f"/api/{MARKER}/", "status": 404, "client": "127.0.0.1:1"}
    record = logging.LogRecord(
        "django.channels.server",
        logging.WARNING,
        __file__,
        1,
        "HTTP %(method)s %(path)s %(status)s [%(client)s]",
        (details,),
        None,
    )

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "HTTP GET 404 [127.0.0.1:1]"
