"""API tokens (django-rest-knox): every door that changes a password or deactivates an account
revokes the user's tokens and unspent tickets; a save that changes neither keeps them; a user
lists and revokes their own tokens; the admin offers no token pages (live: the attack itself,
tests/security/test_tokens_live.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from knox.models import AuthToken

from clinical.models import WsTicket
from clinical.tickets import issue_ticket
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "a fresh password for the night 9"


@pytest.fixture
def senior(make_user: Any) -> Any:
    user = make_user("rhea", role="reviewer")
    user.is_staff = True
    user.save()
    return user


def credentials_of(user: Any) -> tuple[int, int]:
    """The user's tokens, and their tickets not yet spent."""
    return AuthToken.objects.filter(user=user).count(), WsTicket.objects.filter(
        user=user, used_at__isnull=True
    ).count()


def with_credentials(user: Any) -> Any:
    AuthToken.objects.create(user)
    AuthToken.objects.create(user)
    issue_ticket(user)
    assert credentials_of(user) == (2, 1)
    return user


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_portals_password_change_revokes_them(clinician):
    client = signed_in(with_credentials(clinician))

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302 and credentials_of(clinician) == (0, 0)


def test_the_admins_own_password_change_revokes_them(senior):
    client = signed_in(with_credentials(senior))

    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302 and credentials_of(senior) == (0, 0)


def test_a_password_set_from_a_shell_or_a_command_revokes_them(clinician):
    with_credentials(clinician).set_password(NEW)
    clinician.save()

    assert credentials_of(clinician) == (0, 0)


def test_deactivation_revokes_them(clinician):
    with_credentials(clinician).is_active = False
    clinician.save(update_fields=["is_active"])

    assert credentials_of(clinician) == (0, 0)


def test_other_changes_and_sign_ins_keep_them(clinician):
    with_credentials(clinician).first_name = "Alicia"
    clinician.save()
    Client().login(username="alice", password=PASSWORD)  # saves last_login

    assert credentials_of(clinician) == (2, 1)


def test_someone_elses_password_change_keeps_yours(clinician, colleague):
    with_credentials(clinician)
    colleague.set_password(NEW)
    colleague.save()

    assert credentials_of(clinician) == (2, 1)


def test_the_list_names_your_live_tokens_by_their_first_characters_only(api, clinician, colleague):
    _, used = AuthToken.objects.create(clinician)
    _, other = AuthToken.objects.create(clinician)
    AuthToken.objects.create(colleague)
    api.credentials(HTTP_AUTHORIZATION=f"Token {used}")

    listed = api.get("/api/auth/tokens/").json()

    assert {item["id"] for item in listed} == {used[:15], other[:15]}
    assert [item["current"] for item in listed if item["id"] == used[:15]] == [True]
    assert all(set(item) == {"id", "created", "expiry", "current"} for item in listed)


def test_an_expired_token_is_not_listed(api, clinician):
    _, used = AuthToken.objects.create(clinician)
    expired, _ = AuthToken.objects.create(clinician)
    AuthToken.objects.filter(digest=expired.digest).update(expiry="2000-01-01T00:00:00Z")
    api.credentials(HTTP_AUTHORIZATION=f"Token {used}")

    assert [item["id"] for item in api.get("/api/auth/tokens/").json()] == [used[:15]]


def test_revoking_your_own_token_ends_it(api_as, clinician):
    _, other = AuthToken.objects.create(clinician)

    response = api_as(clinician).delete(f"/api/auth/tokens/{other[:15]}/")

    assert response.status_code == 204
    assert not AuthToken.objects.filter(token_key=other[:15]).exists()


def test_someone_elses_token_is_not_found_and_stays(api_as, clinician, colleague):
    _, theirs = AuthToken.objects.create(colleague)

    response = api_as(clinician).delete(f"/api/auth/tokens/{theirs[:15]}/")

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert AuthToken.objects.filter(token_key=theirs[:15]).exists()


def test_a_signed_in_portal_user_may_list_their_tokens(clinician):
    AuthToken.objects.create(clinician)

    response = signed_in(clinician).get("/api/auth/tokens/")

    assert response.status_code == 200 and len(response.json()) == 1


def test_the_token_endpoints_are_in_the_schema(schema):
    assert set(schema["paths"]["/api/auth/tokens/"]) == {"get"}
    assert set(schema["paths"]["/api/auth/tokens/{token_id}/"]) == {"delete"}
    assert "expiry" in schema["components"]["schemas"]["Token"]["required"]


def test_the_admin_offers_no_token_pages():
    assert AuthToken not in admin.site._registry
