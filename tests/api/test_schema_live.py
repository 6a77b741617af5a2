"""Schemathesis against a real daphne: generated requests to every documented operation get no
5xx, and every answer has a documented status, media type and body shape.

Bounded for CI (MAX_EXAMPLES per operation and mode, positive and negative data, derandomized, no
shrinking), it runs in under a minute. Stream starts are real: the worker runs every valid one.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import DIAGNOSIS_REQUEST
from tests.live.conftest import daphne_worker  # noqa: F401  (the live server, a session fixture)

pytestmark = pytest.mark.live

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def tokens(daphne_worker: Any) -> dict[str, dict[str, str]]:  # noqa: F811
    """Authorization headers of the demo users: the reviewer and the clinician ``demo``."""
    return {
        name: {"Authorization": f"Token {daphne_worker.token(name)}"}
        for name in ("reviewer", "demo")
    }


@pytest.fixture
def live_schema(daphne_worker: Any) -> Any:  # noqa: F811
    """The schema the server serves, with the server as base URL."""
    schema = schemathesis.openapi.from_url(f"{daphne_worker.http}/api/schema/?format=json")
    schema.config.update(base_url=daphne_worker.http)
    return schema


def takes_input(operation: Any) -> bool:
    """Whether there is anything to make invalid (negative data needs a parameter or a body)."""
    parts = (operation.path_parameters, operation.query, operation.body)
    return any(len(list(part)) for part in parts)


def run_operation(
    operation: Any, mode: schemathesis.GenerationMode, headers: dict[str, str]
) -> Counter[int]:
    """Up to MAX_EXAMPLES generated requests to one operation, each checked; their statuses."""
    statuses: Counter[int] = Counter()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def requests(case: Any) -> None:
        statuses[case.call_and_validate(headers=headers, checks=CHECKS).status_code] += 1

    requests()
    return statuses


@pytest.mark.parametrize(
    "mode, user",
    [
        (schemathesis.GenerationMode.POSITIVE, "reviewer"),
        (schemathesis.GenerationMode.NEGATIVE, "demo"),
    ],
)
def test_every_operation_answers_as_documented(
    live_schema: Any, tokens: dict[str, dict[str, str]], subtests: Any, mode: Any, user: str
) -> None:
    """One subtest per operation; each must also get past authentication at least once. Each
    mode runs as its own user, so neither runs into the other's stream-start rate limit.
    (schemathesis' own pytest loader, ``from_fixture``, does not run on pytest 9.2, whose nodes
    no longer have ``_nodeid``; this drives the same generation and checks.)"""
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) >= 16
    for operation in operations:
        if mode == schemathesis.GenerationMode.NEGATIVE and not takes_input(operation):
            continue
        with subtests.test(operation=operation.label):
            statuses = run_operation(operation, mode, tokens[user])
            assert set(statuses) - {401}, f"{operation.label}: only {dict(statuses)}"


def _get(server: Any, path: str, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(f"{server.http}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _finished_session(server: Any, headers: dict[str, str]) -> str:
    """A completed diagnosis, started by the clinician."""
    token = headers["Authorization"].removeprefix("Token ")
    started = server.post("/api/sessions/diagnosis/", DIAGNOSIS_REQUEST, token=token)
    session_id = started["session"]["id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _get(server, f"/api/sessions/{session_id}/", headers)["status"] == "completed":
            return session_id
        time.sleep(0.1)
    raise TimeoutError(f"session {session_id} did not complete")


def test_a_real_sessions_answers_match_the_schema(
    live_schema: Any,
    daphne_worker: Any,  # noqa: F811
    tokens: dict[str, dict[str, str]],
) -> None:
    """Random ids find nothing; this walks every session operation with a real, finished one
    (started by the clinician, read and reviewed by the reviewer)."""
    session_id = _finished_session(daphne_worker, tokens["demo"])
    reviewer_headers = tokens["reviewer"]
    calls = [
        ("/api/sessions/{id}/", "GET", None),
        ("/api/sessions/{id}/events/", "GET", None),
        ("/api/sessions/{id}/chat/", "GET", None),
        ("/api/sessions/{id}/fhir/", "GET", None),
        ("/api/sessions/{id}/reviews/", "POST", {"verdict": "agree"}),
        ("/api/sessions/{id}/reviews/", "GET", None),
        ("/api/sessions/", "GET", None),
    ]
    for path, method, body in calls:
        operation = live_schema[path][method]
        kwargs: dict[str, Any] = {"path_parameters": {"id": session_id}} if "{id}" in path else {}
        if body is not None:
            kwargs |= {"body": body, "media_type": "application/json"}
        response = operation.Case(**kwargs).call_and_validate(
            headers=reviewer_headers, checks=CHECKS
        )
        assert response.status_code < 300, (path, method, response.text)
