"""Portal pages through Django's test client, with plain static storage.

Tests run with DEBUG off, where the settings pick the manifest storage; without a collected
manifest every ``{% static %}`` would fail, so these tests resolve static names as they are.
(The browser tests collect the files and serve them through whitenoise with the manifest.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

PLAIN_STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PLAIN_STATIC}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


@pytest.fixture
def browser_as(db: None) -> Callable[[Any], Client]:
    """A test client with ``user`` signed in (the login form itself has its own tests)."""

    def sign_in(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return sign_in
