"""A reviewer (and a clinician) signed in to the admin through Django's test client."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.api.completed import INTERACTING_PRESCRIPTION, complete_session

SESSIONS = "/admin/clinical/streamsession/"


def session_url(session: Any) -> str:
    return f"{SESSIONS}{session.pk}/change/"


@pytest.fixture(autouse=True)
def _testserver_is_an_allowed_host(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> Callable[..., Any]:
    """A user in ``role`` who may sign in to the admin (is_staff)."""

    def make(username: str, role: str) -> Any:
        user = make_user(username, role=role)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return user

    return make


@pytest.fixture
def senior(db: None, staff: Callable[..., Any]) -> Any:
    return staff("rose", "reviewer")


@pytest.fixture
def reviewer_client(senior: Any) -> Client:
    client = Client()
    client.force_login(senior)
    return client


@pytest.fixture
def staff_clinician_client(staff: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(staff("carl", "clinician"))
    return client


@pytest.fixture
def diagnosis_session(clinician: Any, diagnosis_request: dict[str, Any]) -> Any:
    return complete_session(clinician, "diagnosis", diagnosis_request, "ward7-0042")


@pytest.fixture
def prescription_session(clinician: Any) -> Any:
    return complete_session(clinician, "prescription", copy.deepcopy(INTERACTING_PRESCRIPTION))
