"""API tokens on a live worker (issue 17, item 3): only a hash is stored, each expires after
``API_TOKEN_SECONDS``, a password change or a deactivation revokes a user's tokens (and the
tickets they minted) for good, and a user lists and revokes their own tokens, nobody else's.
Before: DRF's authtoken kept keys in plain text, they never expired, and after the password
changed the old token still listed sessions and minted tickets."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from devtools.cluster import LIVE_PASSWORD, Daphne, manage, wait_until
from tests.security.live import FormSession, create_users, embedded_worker, request, ticket_url

pytestmark = pytest.mark.live

LIFETIME = 3  # seconds: API_TOKEN_SECONDS of the second worker, which mints short tokens
NEW_PASSWORD = "a new password for the next shift 7"
USERS = [(name, "clinician") for name in ("changer", "leaver", "shift", "keeper", "lister", "peer")]


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Daphne, Daphne]]:
    """Two workers on one SQLite database: the default token lifetime, and LIFETIME."""
    with embedded_worker(tmp_path_factory.mktemp("tokens"), pages=True) as steady:
        create_users(steady.env, USERS)
        brief = Daphne(steady.env | {"API_TOKEN_SECONDS": str(LIFETIME)}).start()
        try:
            yield steady, brief
        finally:
            brief.stop()


def signed_in(worker: Daphne, username: str, password: str = LIVE_PASSWORD) -> dict:
    status, _, body = request(
        worker, "POST", "/api/auth/token/", body={"username": username, "password": password}
    )
    assert status == 200, body
    return body


def sessions_status(worker: Daphne, token: str) -> int:
    return request(worker, "GET", "/api/sessions/", token)[0]


def set_active(worker: Daphne, username: str, active: bool) -> None:
    manage(
        worker.env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"user = get_user_model().objects.get(username={username!r}); "
        f"user.is_active = {active}; user.save()",
    )


async def close_code(url: str) -> int:
    async with connect(url) as socket:
        await asyncio.wait_for(socket.wait_closed(), 10)
        return socket.close_code


def test_a_password_change_revokes_the_users_tokens_and_their_unspent_tickets(workers):
    steady, _ = workers
    token = signed_in(steady, "changer")["token"]
    minted_before = ticket_url(steady, token)
    browser = FormSession(steady)
    browser.sign_in("changer", LIVE_PASSWORD)

    status, page = browser.submit(
        "/accounts/password_change/",
        {
            "old_password": LIVE_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert status == 302, page[:500]
    assert sessions_status(steady, token) == 401
    assert request(steady, "POST", "/api/ws-tickets/", token)[0] == 401
    assert asyncio.run(close_code(minted_before)) == 4401
    assert sessions_status(steady, signed_in(steady, "changer", NEW_PASSWORD)["token"]) == 200


def test_deactivating_a_user_revokes_their_tokens_for_good(workers):
    steady, _ = workers
    token = signed_in(steady, "leaver")["token"]

    set_active(steady, "leaver", False)
    refused_while_inactive = sessions_status(steady, token)
    set_active(steady, "leaver", True)

    assert refused_while_inactive == 401
    assert sessions_status(steady, token) == 401  # revoked, not merely refused while inactive


def test_a_token_expires_after_its_lifetime(workers):
    _, brief = workers
    answer = signed_in(brief, "shift")
    expiry = datetime.fromisoformat(answer["expiry"])

    assert timedelta(0) < expiry - datetime.now(UTC) <= timedelta(seconds=LIFETIME + 1)
    assert sessions_status(brief, answer["token"]) == 200
    wait_until(lambda: sessions_status(brief, answer["token"]) == 401, LIFETIME + 10, "expiry")
    assert datetime.now(UTC) >= expiry


def test_the_database_holds_a_hash_of_each_token_never_the_token(workers):
    steady, _ = workers
    token = signed_in(steady, "keeper")["token"]

    database = Path(steady.env["MEDSTREAM_VAR_DIR"]) / "medstream.sqlite3"
    with sqlite3.connect(database) as connection:
        dump = "\n".join(connection.iterdump())

    assert token not in dump
    assert hashlib.sha512(token.encode()).hexdigest() in dump


def test_a_user_lists_and_revokes_their_own_tokens_and_nobody_elses(workers):
    steady, _ = workers
    first = signed_in(steady, "lister")["token"]
    second = signed_in(steady, "lister")["token"]
    peers = signed_in(steady, "peer")["token"]

    status, _, listed = request(steady, "GET", "/api/auth/tokens/", first)
    peers_listed = request(steady, "GET", "/api/auth/tokens/", peers)[2]
    [peers_id] = [item["id"] for item in peers_listed if peers.startswith(item["id"])]

    assert status == 200
    [current] = [item for item in listed if item["current"]]
    [other] = [item for item in listed if second.startswith(item["id"])]
    assert first.startswith(current["id"]) and not other["current"]
    assert peers_id not in {item["id"] for item in listed}
    assert request(steady, "DELETE", f"/api/auth/tokens/{peers_id}/", first)[0] == 404
    assert request(steady, "DELETE", f"/api/auth/tokens/{other['id']}/", first)[0] == 204
    assert sessions_status(steady, second) == 401
    assert sessions_status(steady, first) == 200 and sessions_status(steady, peers) == 200
