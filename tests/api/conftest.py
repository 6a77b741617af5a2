from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _testserver_is_an_allowed_host(settings) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api):
    """An API client authenticated with the user's real token."""

    def login(user) -> APIClient:
        from knox.models import AuthToken

        _, token = AuthToken.objects.create(user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return api

    return login


@pytest.fixture
def schema(api):
    """The served OpenAPI schema, as JSON."""
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    """(``"GET /api/..."``, operation) for every operation in the schema."""
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation
