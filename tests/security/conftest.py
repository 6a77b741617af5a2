"""Fixtures of the security tests: in-process sockets (tests/ws) and REST clients (tests/api)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.ws.conftest import open_socket  # noqa: F401  (in-process sockets, a fixture)


@pytest.fixture(autouse=True)
def _testserver_is_an_allowed_host(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


@pytest.fixture
def plain_static_files(settings: Any) -> None:
    """Pages link static files; the manifest storage would need ``collectstatic`` first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def stranger(db: None, make_user: Callable[..., Any]) -> Any:
    """A clinician in another care team."""
    return make_user("mallory", team="Ward 9")


@pytest.fixture
def no_role(db: None, make_user: Callable[..., Any]) -> Any:
    """A signed-in account with no role, staff status included: staff alone grants nothing."""
    user = make_user("norah", role=None)
    user.is_staff = True
    user.save()
    return user
