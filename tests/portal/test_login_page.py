"""The login and logout round trip, with the disclaimer on the login page too."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_shows_the_disclaimer_and_a_csrf_protected_form():
    page = Client().get("/accounts/login/").content.decode()

    assert 'data-testid="disclaimer"' in page
    assert "Decision support" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_login_form_refuses_a_post_without_its_csrf_token(clinician):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403


def test_signing_in_lands_on_the_portal(clinician):
    response = Client().post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/"
    assert 'data-testid="diagnosis-form"' in response.content.decode()


def test_a_wrong_password_is_answered_on_the_login_page(clinician):
    response = Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert 'data-testid="login-error"' in response.content.decode()


def test_signing_out_returns_to_the_login_page_saying_so(browser_as, clinician):
    client = browser_as(clinician)

    response = client.post("/accounts/logout/", {"next": "/accounts/login/?signed_out=1"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?signed_out=1"
    assert 'data-testid="signed-out"' in client.get(response["Location"]).content.decode()
    assert client.get("/").status_code == 302
