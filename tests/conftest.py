"""Fixtures shared by every test: people in their roles, and a request of each kind."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.test.utils import override_settings

from clinical.models import CareTeam
from clinical.roles import ensure_roles
from devtools.cluster import RedisServer

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing() -> Iterator[None]:
    """Passwords of the users the tests make in this process are hashed with one MD5 round, as
    Django's testing guide advises: the production hasher (PBKDF2, a million iterations) costs
    about 0.25 s a hash, and the suite makes and signs in thousands of users. Live servers run in
    their own processes with the production hashers, and their tests make their users there."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


DIAGNOSIS_REQUEST: dict[str, Any] = {
    "symptoms": [
        "cough",
        {"name": "fever", "severity": "moderate", "duration": "3 days"},
        "shortness of breath",
        "green phlegm",
    ],
    "vitals": {
        "temperature": 38.6,
        "heart_rate": 104,
        "blood_pressure": "118/72",
        "respiratory_rate": 24,
        "oxygen_saturation": 93,
        "consciousness": "alert",
    },
    "history": {"age": 72, "sex": "male", "smoker": True, "allergies": ["penicillin"]},
    "labs": {"urea_mmol_l": 8.1},
}

PRESCRIPTION_REQUEST: dict[str, Any] = {
    "diagnosis": "Community-acquired pneumonia",
    "patient_info": {"age": 45, "weight": 75, "sex": "male", "egfr": 90},
    "allergies": ["penicillin"],
    "current_medications": ["simvastatin"],
}


@pytest.fixture(autouse=True)
def static_files_without_a_manifest(settings: Any) -> None:
    """Pages link static files, and the production storage needs ``collectstatic``'s manifest
    first: in-process tests serve them by name instead, so none depends on what an earlier
    ``collectstatic`` left behind (live tests run collectstatic for their own workers)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def diagnosis_request() -> dict[str, Any]:
    return copy.deepcopy(DIAGNOSIS_REQUEST)


@pytest.fixture
def prescription_request() -> dict[str, Any]:
    return copy.deepcopy(PRESCRIPTION_REQUEST)


@pytest.fixture
def make_user(django_db_blocker: Any) -> Callable[..., Any]:
    """A user in ``role`` (clinician, reviewer, admin or none), in the care team ``team``."""

    def make(username: str, role: str | None = "clinician", team: str | None = "Ward 7") -> Any:
        with django_db_blocker.unblock():
            user = get_user_model().objects.create_user(
                username=username, password=PASSWORD, first_name=username.title()
            )
            if role:
                # Transactional tests flush the data migrations wrote; put the roles back.
                ensure_roles(Group, Permission)
                user.groups.add(Group.objects.get(name=role))
            if team:
                CareTeam.objects.get_or_create(name=team)[0].members.add(user)
        return user

    return make


@pytest.fixture
def clinician(db: None, make_user: Callable[..., Any]) -> Any:
    return make_user("alice")


@pytest.fixture
def colleague(db: None, make_user: Callable[..., Any]) -> Any:
    return make_user("bob")


@pytest.fixture
def reviewer(db: None, make_user: Callable[..., Any]) -> Any:
    return make_user("rita", role="reviewer")


@pytest.fixture
def empty_throttle_counts() -> Iterator[None]:
    """Throttle counts live in the caches: start and leave them empty."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def api_as() -> Callable[[Any], Any]:
    """A fresh API client per user, authenticated with the user's real token (tests/api has
    its own, sharing one client)."""

    def login(user: Any) -> Any:
        from knox.models import AuthToken
        from rest_framework.test import APIClient

        client = APIClient()
        _, token = AuthToken.objects.create(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return login


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server of the module's own, for limits counted across workers."""
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    yield server
    server.stop()
