"""Error reports hide secrets in every mode (medstream.reports): the debug page with DEBUG on,
a logged 500 with it off. A password POSTed to a path no view marked, one held in a traceback's
variables or in a parsed JSON body, an API token and the session cookie are all shown as stars.
And a path under /api/ that names no endpoint is a JSON 404 (live, in both modes:
tests/security/test_debug_leaks_live.py)."""

from __future__ import annotations

import secrets
import sys

import pytest
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

pytestmark = pytest.mark.django_db

# Made at run time: the report quotes source lines, and a constant would be quoted with them.
SECRET = secrets.token_hex(12)


def debug_page(request) -> str:
    def fails(password: str, body: dict) -> None:
        raise RuntimeError("something broke")

    try:
        fails(SECRET, {"username": "keeper", "password": SECRET})
    except RuntimeError:
        return ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    raise AssertionError("unreachable")


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG=1", "DEBUG=0"])
def test_a_report_shows_no_password_token_or_session_cookie(debug, settings):
    settings.DEBUG = debug
    request = RequestFactory().post(
        "/accounts/login",
        {"username": "keeper", "password": SECRET, "old_password": SECRET},
        headers={"Authorization": f"Token {SECRET}", "Cookie": f"sessionid={SECRET}"},
    )

    page = debug_page(request)

    assert "keeper" in page and "something broke" in page  # the report is there
    assert SECRET not in page


def test_a_post_to_an_api_path_without_its_slash_names_the_right_one():
    response = Client().post("/api/auth/token", {"username": "keeper", "password": SECRET})

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "error": "No endpoint at this path: API paths end with a slash (POST /api/auth/token/).",
    }


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_a_json_404_that_does_not_echo_it(method):
    response = getattr(Client(), method)("/api/no/such/<script>thing")

    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found" and "script" not in response.content.decode()


def test_the_schema_and_docs_are_still_served_under_api():
    assert Client().get("/api/schema/").status_code == 200
    assert Client().get("/api/docs/").status_code == 200
