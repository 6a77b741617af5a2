"""Completed sessions of each kind, and an API client with a real token."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.api.completed import INTERACTING_PRESCRIPTION, complete_session


@pytest.fixture(autouse=True)
def _testserver_is_an_allowed_host(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


@pytest.fixture
def diagnosis_session(clinician: Any, diagnosis_request: dict[str, Any]) -> Any:
    return complete_session(clinician, "diagnosis", diagnosis_request)


@pytest.fixture
def interacting_prescription_session(clinician: Any) -> Any:
    return complete_session(clinician, "prescription", copy.deepcopy(INTERACTING_PRESCRIPTION))
