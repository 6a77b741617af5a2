"""The throttles count by the address daphne decided (``REMOTE_ADDR``), never by an
``X-Forwarded-For`` the client wrote: DRF reads that header itself unless ``NUM_PROXIES`` is set,
and then a new made-up address per request escaped every per-address limit (the audit: 40 wrong
passwords at the token endpoint, 40 answers of 400 and no 429). Behind the proxy, daphne's
``--proxy-headers`` turns the address nginx set into ``REMOTE_ADDR``
(tests/security/test_proxy_headers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from clinical.limits import AnonThrottle, LoginThrottle

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
LOGIN_LIMIT = 20  # LOGIN_RATE's default, 20/minute


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(empty_throttle_counts: None) -> None:
    """Every test starts with empty throttle counts."""


def forged(n: int) -> str:
    return f"203.0.113.{n % 250 + 1}, 198.51.100.{n % 200 + 1}"


def test_drf_is_told_that_no_proxy_header_is_its_to_read():
    assert api_settings.NUM_PROXIES == 0


def test_a_made_up_forwarded_address_does_not_escape_the_token_endpoints_throttle(clinician):
    client = APIClient()

    statuses = [
        client.post(
            TOKEN,
            {"username": "alice", "password": f"guess {n}"},
            headers={"X-Forwarded-For": forged(n)},
        ).status_code
        for n in range(LOGIN_LIMIT + 20)
    ]

    assert statuses == [400] * LOGIN_LIMIT + [429] * 20


def test_a_made_up_forwarded_address_does_not_escape_the_anonymous_throttle(monkeypatch):
    """API_ANON_RATE (3 a minute here) over the anonymous door, the schema's browsable docs."""
    monkeypatch.setattr(AnonThrottle, "rate", "3/minute", raising=False)
    client = APIClient()

    statuses = [
        client.get("/api/docs/", headers={"X-Forwarded-For": forged(n)}).status_code
        for n in range(6)
    ]

    assert statuses == [200] * 3 + [429] * 3


def test_both_throttles_know_a_client_by_remote_addr_alone(rf):
    plain = rf.get("/", REMOTE_ADDR="192.0.2.7")
    with_header = rf.get("/", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="203.0.113.9")

    for throttle in (AnonThrottle(), LoginThrottle()):
        assert throttle.get_ident(plain) == throttle.get_ident(with_header) == "192.0.2.7"


def test_different_addresses_are_counted_apart(clinician):
    client = APIClient()
    body = {"username": "alice", "password": "guess"}
    for _ in range(LOGIN_LIMIT):
        client.post(TOKEN, body, REMOTE_ADDR="192.0.2.1")

    assert client.post(TOKEN, body, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.post(TOKEN, body, REMOTE_ADDR="192.0.2.2").status_code == 400


def test_a_signed_in_caller_guessing_someone_elses_password_is_counted_too(
    api_as: Any, clinician: Any, colleague: Any
):
    """DRF's anonymous throttle skips a signed-in request; the login throttle must not, or
    anyone with a token of their own could guess every other user's password unthrottled."""
    client = api_as(colleague)

    statuses = [
        client.post(TOKEN, {"username": "alice", "password": f"guess {n}"}).status_code
        for n in range(LOGIN_LIMIT + 1)
    ]

    assert statuses == [400] * LOGIN_LIMIT + [429]
