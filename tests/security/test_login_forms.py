"""Password guessing at the HTML sign-in forms, the portal's (/accounts/login/) and the admin's,
is held to LOGIN_RATE like the token endpoint: one budget per client address over all three
doors. A refused attempt is answered 429 on the same page, saying how long to wait, and its
password is not checked, so the right one is refused too until the wait is over. (The audit:
40 wrong passwords at either form, all 200, then the right one signed in.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.test import AsyncClient, Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PORTAL = "/accounts/login/"
ADMIN = "/admin/login/"
TOKEN = "/api/auth/token/"
LOGIN_LIMIT = 20  # LOGIN_RATE's default, 20/minute


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(plain_static_files: None, empty_throttle_counts: None) -> None:
    """Every test starts with empty throttle counts."""


@pytest.fixture
def senior(make_user: Any) -> Any:
    """A reviewer who may use the admin."""
    user = make_user("rhea", role="reviewer")
    user.is_staff = True
    user.save()
    return user


def guesses(client: Client, url: str, username: str, count: int, **extra: Any) -> list[int]:
    return [
        client.post(url, {"username": username, "password": f"guess {n}"}, **extra).status_code
        for n in range(count)
    ]


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("url", "username"), [(PORTAL, "alice"), (ADMIN, "rhea")], ids=["portal", "admin"]
)
def test_a_sign_in_form_refuses_past_the_login_rate_even_the_right_password(
    url, username, clinician, senior
):
    client = Client()

    statuses = guesses(client, url, username, LOGIN_LIMIT + 5)
    refused = client.post(url, {"username": username, "password": PASSWORD})

    assert statuses == [200] * LOGIN_LIMIT + [429] * 5
    assert refused.status_code == 429 and not signed_in(client)
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert "Too many password attempts" in page and f"Try again in {refused['Retry-After']}" in page
    assert f'value="{username}"' in page  # the same form, ready for the next try


def test_the_portals_refusal_is_its_own_sign_in_page_with_the_error_announced(clinician):
    client = Client()
    guesses(client, PORTAL, "alice", LOGIN_LIMIT)

    page = client.post(PORTAL, {"username": "alice", "password": PASSWORD}).content.decode()

    assert 'data-testid="login-form"' in page and 'data-testid="disclaimer"' in page
    assert 'data-testid="login-error"' in page and "Too many password attempts" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "Please enter a correct username and password" not in page


def test_the_admins_refusal_is_its_own_login_page(senior):
    client = Client()
    guesses(client, ADMIN, "rhea", LOGIN_LIMIT)

    page = client.post(ADMIN, {"username": "rhea", "password": PASSWORD}).content.decode()

    assert 'id="login-form"' in page and 'class="errornote"' in page
    assert "Too many password attempts" in page


def test_the_right_password_works_again_once_the_budget_is_back(clinician):
    client = Client()
    guesses(client, PORTAL, "alice", LOGIN_LIMIT)
    assert client.post(PORTAL, {"username": "alice", "password": PASSWORD}).status_code == 429
    for cache in caches.all():  # a minute later
        cache.clear()

    response = client.post(PORTAL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302 and signed_in(client)


def test_the_forms_and_the_token_endpoint_share_one_budget_per_address(clinician, senior):
    """Spread over the three doors, the guesses still run out at LOGIN_RATE."""
    client = Client()
    doors = [PORTAL, ADMIN, TOKEN]

    statuses = [
        client.post(doors[n % 3], {"username": "alice", "password": f"guess {n}"}).status_code
        for n in range(LOGIN_LIMIT)
    ]

    assert 429 not in statuses
    assert [
        client.post(door, {"username": "alice", "password": "x"}).status_code for door in doors
    ] == [429] * 3


def test_a_made_up_forwarded_address_does_not_escape_the_forms_throttle(clinician):
    client = Client()

    statuses = [
        client.post(
            PORTAL,
            {"username": "alice", "password": f"guess {n}"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        ).status_code
        for n in range(LOGIN_LIMIT + 1)
    ]

    assert statuses == [200] * LOGIN_LIMIT + [429]


def test_other_addresses_can_still_sign_in(clinician):
    client = Client()
    guesses(client, PORTAL, "alice", LOGIN_LIMIT + 1, REMOTE_ADDR="192.0.2.66")

    other = Client(REMOTE_ADDR="192.0.2.67")
    response = other.post(PORTAL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302 and signed_in(other)


def test_reading_the_sign_in_pages_is_not_counted(clinician, senior):
    client = Client()
    for _ in range(LOGIN_LIMIT + 5):
        assert client.get(PORTAL).status_code == 200
        assert client.get(ADMIN).status_code == 200

    response = client.post(PORTAL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302 and signed_in(client)


@pytest.mark.django_db(transaction=True)
async def test_the_forms_are_throttled_when_served_over_asgi_as_daphne_serves_them(clinician):
    """The middleware's async path (daphne runs the handler async)."""
    client = AsyncClient()
    statuses = [
        (await client.post(PORTAL, {"username": "alice", "password": f"guess {n}"})).status_code
        for n in range(LOGIN_LIMIT)
    ]

    refused = await client.post(PORTAL, {"username": "alice", "password": PASSWORD})

    assert statuses == [200] * LOGIN_LIMIT
    assert refused.status_code == 429 and "Too many password attempts" in refused.content.decode()
    assert (await client.get("/")).status_code == 302  # still signed out


# ---- The password-change forms spend the same budget (issue 17, item 5) ----------------------

CHANGES = {"portal": "/accounts/password_change/", "admin": "/admin/password_change/"}
NEW = "a password chosen by a cookie thief 5"


def change_attempts(client: Client, url: str, count: int) -> list[int]:
    fields = {"new_password1": NEW, "new_password2": NEW}
    return [
        client.post(url, {"old_password": f"guess {n}", **fields}).status_code for n in range(count)
    ]


@pytest.mark.parametrize("door", CHANGES)
def test_a_password_change_form_refuses_past_the_login_rate_even_the_right_old_password(
    door, clinician, senior
):
    url, user = CHANGES[door], senior if door == "admin" else clinician
    client = Client()
    client.force_login(user)

    statuses = change_attempts(client, url, LOGIN_LIMIT + 5)
    refused = client.post(
        url, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )

    assert statuses == [200] * LOGIN_LIMIT + [429] * 5
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert (
        "Too many password attempts" in page and "old password was entered incorrectly" not in page
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_sign_ins_and_password_changes_share_one_budget(clinician):
    client = Client()
    guesses(client, PORTAL, "alice", LOGIN_LIMIT - 1)
    client.force_login(clinician)

    assert change_attempts(client, "/accounts/password_change/", 2) == [200, 429]


def test_reading_the_password_change_page_is_not_counted(clinician):
    client = Client()
    client.force_login(clinician)
    for _ in range(LOGIN_LIMIT + 5):
        assert client.get("/accounts/password_change/").status_code == 200

    assert change_attempts(client, "/accounts/password_change/", 1) == [200]
