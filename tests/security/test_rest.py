"""REST writes with a session cookie need the CSRF token (and a same-site Origin); writes with an
API token need none, since a browser never attaches a token on its own. Throttles are DRF's,
configured from the environment (their live behaviour: tests/security/test_live.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.settings import api_settings

from clinical.limits import AnonThrottle, UserThrottle
from clinical.models import Review
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db

TICKETS = "/api/ws-tickets/"


@pytest.fixture
def browser(plain_static_files: None, clinician: Any) -> Client:
    """A signed-in browser that enforces CSRF as a real one is held to, with its CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinician)
    client.get("/accounts/login/")
    return client


def test_a_cookie_authenticated_write_without_the_csrf_token_is_forbidden(browser):
    response = browser.post(TICKETS)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden" and "CSRF" in response.json()["error"]


def test_a_cookie_authenticated_write_with_the_token_goes_through(browser):
    token = browser.cookies["csrftoken"].value

    response = browser.post(TICKETS, headers={"X-CSRFToken": token})

    assert response.status_code == 201


def test_the_csrf_token_from_a_foreign_origin_is_refused(browser):
    token = browser.cookies["csrftoken"].value

    response = browser.post(
        TICKETS, headers={"X-CSRFToken": token, "Origin": "https://evil.example"}
    )

    assert response.status_code == 403


def test_a_reviewers_cookie_cannot_be_used_to_review_from_another_site(
    make_user, clinician, diagnosis_request
):
    session = complete_session(clinician, "diagnosis", diagnosis_request)
    reviewer = make_user("rita", role="reviewer")
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    response = client.post(
        f"/api/sessions/{session.id}/reviews/",
        {"verdict": "agree"},
        content_type="application/json",
    )

    assert response.status_code == 403 and not Review.objects.exists()


def test_a_token_authenticated_write_needs_no_csrf_token(api_as, clinician):
    response = api_as(clinician).post(TICKETS)

    assert response.status_code == 201


def test_operations_are_throttled_per_user_and_per_anonymous_client_by_default():
    assert [AnonThrottle, UserThrottle] == api_settings.DEFAULT_THROTTLE_CLASSES
    assert set(api_settings.DEFAULT_THROTTLE_RATES) >= {"anon", "user"}


def test_password_guessing_at_the_token_endpoint_is_throttled(db, settings, clinician):
    from django.core.cache import caches
    from rest_framework.test import APIClient

    for cache in caches.all():
        cache.clear()
    client = APIClient()
    statuses = [
        client.post("/api/auth/token/", {"username": "alice", "password": f"guess {n}"}).status_code
        for n in range(21)
    ]

    assert statuses == [400] * 20 + [429]
    assert client.post("/api/auth/token/", {}).json()["code"] == "rate_limited"
    for cache in caches.all():
        cache.clear()
