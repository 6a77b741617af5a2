"""Tokens and WebSocket tickets over REST."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from clinical.models import WsTicket
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_token_is_issued_for_a_valid_password_with_the_time_it_expires(api, clinician, settings):
    before = timezone.now()

    response = api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert len(body["token"]) == 64
    lifetime = timedelta(seconds=settings.API_TOKEN_SECONDS)
    assert before + lifetime <= datetime.fromisoformat(body["expiry"]) <= timezone.now() + lifetime


def test_a_wrong_password_gets_a_validation_error_in_protocol_shape(api, clinician):
    response = api.post("/api/auth/token/", {"username": "alice", "password": "nope"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and body["error"] and "details" in body


def test_a_ticket_needs_authentication(api):
    response = api.post("/api/ws-tickets/")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_ticket_comes_with_its_url_and_expiry(api_as, clinician):
    response = api_as(clinician).post("/api/ws-tickets/")

    assert response.status_code == 201
    body = response.json()
    url = urlsplit(body["url"])
    assert url.scheme == "ws" and url.path == f"/ws/{clinician.pk}/"
    assert parse_qs(url.query)["ticket"] == [body["ticket"]]
    assert WsTicket.objects.get().user == clinician
