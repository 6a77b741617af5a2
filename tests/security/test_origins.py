"""One Origin rule for the cookie's two doors (clinical.origins): a cookie-authenticated socket
opens exactly when Django's CSRF check would let the same browser write over REST. The served
site's origin is its scheme, host and port: ``https`` behind the TLS proxy that says so in
``X-Forwarded-Proto``, and the ``Host`` header only when it is an allowed host. (The attack
this closes, live in Chromium: tests/browser/test_cross_site_socket.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from clinical.tickets import issue_ticket

pytestmark = pytest.mark.django_db(transaction=True)

TICKETS = "/api/ws-tickets/"
CLINIC = "https://clinic.example.org"
WARDS = "https://*.clinic.example.org"
LOCAL = "localhost:8000"

# Host header, Origin, X-Forwarded-Proto, CSRF_TRUSTED_ORIGINS, and whether the cookie opens it.
CASES = [
    pytest.param(LOCAL, "http://localhost:8000", None, [], True, id="the served site itself"),
    pytest.param(LOCAL, "http://localhost:9999", None, [], False, id="the host on another port"),
    pytest.param(LOCAL, "http://localhost", None, [], False, id="the host without its port"),
    pytest.param("localhost", "https://localhost", None, [], False, id="https to a plain site"),
    pytest.param("localhost", "https://localhost", "https", [], True, id="https behind TLS proxy"),
    pytest.param("localhost", "http://localhost", "https", [], False, id="http behind TLS proxy"),
    pytest.param("evil.example", "http://evil.example", None, [], False, id="a host not allowed"),
    pytest.param("web1:8000", CLINIC, "https", [CLINIC], True, id="Host rewritten, origin trusted"),
    pytest.param("web1:8000", CLINIC, "https", [], False, id="Host rewritten, nothing trusted"),
    pytest.param(
        "web1:8000", "https://a.clinic.example.org", "https", [WARDS], True, id="wildcard"
    ),
    pytest.param("web1:8000", "http://a.clinic.example.org", "https", [WARDS], False, id="scheme"),
    pytest.param("localhost", "null", None, [], False, id="an opaque origin"),
]


def rest_admits(user: Any, host: str, origin: str, proto: str | None) -> bool:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/accounts/login/")
    headers = {"Host": host, "Origin": origin, "X-CSRFToken": client.cookies["csrftoken"].value}
    if proto:
        headers["X-Forwarded-Proto"] = proto
    status = client.post(TICKETS, headers=headers).status_code
    assert status in {201, 400, 403}, status  # 400: Django refuses a Host not allowed
    return status == 201


async def socket_admits(
    open_socket: Any, user: Any, host: str, origin: str, proto: str | None
) -> bool:
    socket = await open_socket(user, origin=origin, host=host, forwarded_proto=proto)
    if await socket.silent(0.5):
        return True
    assert await socket.closed_with() == 4403
    return False


@pytest.mark.parametrize(("host", "origin", "proto", "trusted", "expected"), CASES)
async def test_the_socket_and_rest_admit_a_cookie_from_exactly_the_same_origins(
    host, origin, proto, trusted, expected, settings, plain_static_files, open_socket, clinician
):
    settings.CSRF_TRUSTED_ORIGINS = trusted
    settings.ALLOWED_HOSTS = ["localhost", "web1", "testserver"]
    over_rest = await sync_to_async(rest_admits)(clinician, host, origin, proto)
    over_the_socket = await socket_admits(open_socket, clinician, host, origin, proto)

    assert (over_rest, over_the_socket) == (expected, expected)


async def test_a_ticket_client_from_another_port_is_refused_too(open_socket, clinician):
    ticket, _ = await sync_to_async(issue_ticket)(clinician)

    socket = await open_socket(
        path_user_id=clinician.pk,
        ticket=ticket,
        origin="http://localhost:9999",
        host="localhost:8000",
    )

    assert await socket.closed_with() == 4403
