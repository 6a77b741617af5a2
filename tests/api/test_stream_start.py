"""Starting streams by POST. The run launches on the server's event loop, so these tests speak to
the ASGI application through Django's AsyncClient (the test's loop is the server's) and poll the
events endpoint until the terminal frame, as a polling client does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.test import AsyncClient
from knox.models import AuthToken

from clinical import limits
from clinical.models import AuditEntry, StreamSession
from clinical.streams.worker import worker
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def stopped_worker_after() -> AsyncIterator[None]:
    yield
    worker.draining = False
    await worker.stop()


class TokenClient:
    """An AsyncClient sending a user's real token (AsyncClient drops client-wide headers)."""

    def __init__(self, key: str | None) -> None:
        self.client = AsyncClient()
        self.headers = {"Authorization": f"Token {key}"} if key else {}

    async def get(self, path: str) -> Any:
        return await self.client.get(path, headers=self.headers)

    async def post(self, path: str, body: Any) -> Any:
        return await self.client.post(
            path, body, content_type="application/json", headers=self.headers
        )


async def client_for(user: Any) -> TokenClient:
    _, token = await sync_to_async(AuthToken.objects.create)(user)
    return TokenClient(token)


async def post(client: TokenClient, path: str, body: Any) -> Any:
    return await client.post(path, body)


async def poll_until_finished(client: TokenClient, session_id: str) -> list[dict[str, Any]]:
    """Every frame of the session, polled page by page until the server says it is finished."""
    frames: list[dict[str, Any]] = []
    last_seq = -1
    for _ in range(200):
        page = (await client.get(f"/api/sessions/{session_id}/events/?after_seq={last_seq}")).json()
        frames += page["events"]
        last_seq = page["last_seq"]
        if page["finished"]:
            return frames
        await asyncio.sleep(0.05)
    raise AssertionError(f"session {session_id} did not finish; frames so far: {frames}")


async def test_a_diagnosis_started_by_post_runs_to_completion(
    stopped_worker_after, clinician, diagnosis_request
):
    client = await client_for(clinician)

    response = await post(
        client, "/api/sessions/diagnosis/", {**diagnosis_request, "request_id": "rest-1"}
    )

    assert response.status_code == 201
    body = response.json()
    session_id = body["session"]["id"]
    frames = await poll_until_finished(client, session_id)
    assert [f["seq"] for f in frames] == list(range(len(frames)))
    assert frames[0]["type"] == "accepted" and frames[-1]["type"] == "complete"
    assert {f["request_id"] for f in frames} == {"rest-1"}
    assert frames[-1]["result"]["primary_diagnosis"] == "Community-acquired pneumonia"


async def test_the_answer_says_where_to_poll_and_how_to_follow(
    stopped_worker_after, clinician, diagnosis_request
):
    client = await client_for(clinician)

    response = await post(client, "/api/sessions/diagnosis/", diagnosis_request)

    body = response.json()
    session_id = body["session"]["id"]
    assert body["session"]["status"] == "running" and body["session"]["kind"] == "diagnosis"
    assert response["Location"] == f"http://testserver/api/sessions/{session_id}/"
    assert body["links"] == {
        "session": f"http://testserver/api/sessions/{session_id}/",
        "events": f"http://testserver/api/sessions/{session_id}/events/?after_seq=-1",
        "websocket": f"ws://testserver/ws/{clinician.pk}/",
        "ticket": "http://testserver/api/ws-tickets/",
    }
    assert body["follow"] == {"type": "resume", "data": {"session_id": session_id, "last_seq": -1}}
    await poll_until_finished(client, session_id)


async def test_a_start_by_post_is_audited_as_rest(
    stopped_worker_after, clinician, diagnosis_request
):
    client = await client_for(clinician)

    session_id = (await post(client, "/api/sessions/diagnosis/", diagnosis_request)).json()[
        "session"
    ]["id"]

    await poll_until_finished(client, session_id)
    entry = await AuditEntry.objects.aget(session_id=session_id, action="started")
    assert entry.channel == "rest"


async def test_a_prescription_follows_your_own_diagnosis(
    stopped_worker_after, clinician, diagnosis_request, prescription_request
):
    diagnosis = await sync_to_async(complete_session)(clinician, "diagnosis", diagnosis_request)
    client = await client_for(clinician)

    response = await post(
        client,
        "/api/sessions/prescription/",
        {**prescription_request, "session_id": str(diagnosis.id)},
    )

    assert response.status_code == 201
    assert response.json()["session"]["follows"] == str(diagnosis.id)
    frames = await poll_until_finished(client, response.json()["session"]["id"])
    assert frames[-1]["result"]["diagnosis"] == "Community-acquired pneumonia"


async def test_a_prescription_cannot_follow_someone_elses_diagnosis(
    stopped_worker_after, clinician, colleague, diagnosis_request, prescription_request
):
    theirs = await sync_to_async(complete_session)(colleague, "diagnosis", diagnosis_request)
    client = await client_for(clinician)

    response = await post(
        client,
        "/api/sessions/prescription/",
        {**prescription_request, "session_id": str(theirs.id)},
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "error": "No such session."}


async def test_an_impossible_vital_sign_is_refused_and_nothing_is_stored(
    stopped_worker_after, clinician, diagnosis_request
):
    diagnosis_request["vitals"]["heart_rate"] = 500
    client = await client_for(clinician)

    response = await post(client, "/api/sessions/diagnosis/", diagnosis_request)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["details"]) == ["vitals.heart_rate"]
    assert body["error"].startswith("Invalid request: vitals.heart_rate: ")
    assert not await StreamSession.objects.aexists()


@pytest.mark.parametrize(
    "body, field",
    [
        ([1, 2], "non_field_errors"),
        ({"diagnosis": "J18.9"}, "patient_info"),
        ({"diagnosis": "J18.9", "patient_info": {"age": 40, "weight": 70, "sex": "x"}}, None),
        (
            {
                "diagnosis": "Nonexistent itis",
                "patient_info": {"age": 4, "weight": 17, "sex": "male"},
            },
            "diagnosis",
        ),
    ],
)
async def test_a_bad_prescription_names_the_field(stopped_worker_after, clinician, body, field):
    client = await client_for(clinician)

    response = await post(client, "/api/sessions/prescription/", body)

    assert response.status_code == 400
    details = response.json()["details"]
    assert field is None or field in details, details


async def test_a_long_request_id_is_refused(stopped_worker_after, clinician, diagnosis_request):
    client = await client_for(clinician)

    response = await post(
        client, "/api/sessions/diagnosis/", {**diagnosis_request, "request_id": "x" * 101}
    )

    assert response.status_code == 400
    assert list(response.json()["details"]) == ["request_id"]


async def test_a_user_without_a_role_may_not_start_streams(
    stopped_worker_after, make_user, diagnosis_request
):
    nobody = await sync_to_async(make_user)("norole", role=None)
    client = await client_for(nobody)

    response = await post(client, "/api/sessions/diagnosis/", diagnosis_request)

    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "error": "Your role may not start streams."}


async def test_an_anonymous_client_is_unauthenticated(stopped_worker_after, diagnosis_request):
    response = await post(TokenClient(None), "/api/sessions/diagnosis/", diagnosis_request)

    assert response.status_code == 401


async def test_a_draining_worker_answers_unavailable(
    stopped_worker_after, clinician, diagnosis_request
):
    client = await client_for(clinician)
    await worker.drain(grace_seconds=0)

    response = await post(client, "/api/sessions/diagnosis/", diagnosis_request)

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert not await StreamSession.objects.aexists()


@pytest.fixture
def fresh_throttle_counts() -> Any:
    """Throttle counts live in the caches: start and leave them empty (no other test limited)."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


def test_starts_are_rate_limited_per_user(
    fresh_throttle_counts, monkeypatch, settings, api_as, clinician
):
    """Counted by the WebSocket's own limiter (tests/api/test_start_budget.py: one budget for
    both transports); an invalid start spends one too, as over the socket."""
    monkeypatch.setattr(limits.rates, "memory", limits.MemoryRates())
    client = api_as(clinician)
    allowed = settings.STREAM_STARTS_PER_MINUTE
    statuses = [
        client.post("/api/sessions/diagnosis/", {}, format="json").status_code
        for _ in range(allowed + 1)
    ]

    assert statuses == [400] * allowed + [429]
    limited = client.post("/api/sessions/prescription/", {}, format="json").json()
    assert limited["code"] == "rate_limited" and limited["retry_after"] > 0


async def test_the_workers_duties_keep_running_after_a_start_by_post(
    stopped_worker_after, settings, caplog, clinician, diagnosis_request
):
    """The first run of a worker starts its lease renewal and takeover sweep; started from a
    REST view they must not inherit the request thread's executor, which is gone afterwards."""
    settings.STREAM_LEASE_SECONDS = 1.0
    await worker.stop()
    client = await client_for(clinician)

    session_id = (await post(client, "/api/sessions/diagnosis/", diagnosis_request)).json()[
        "session"
    ]["id"]
    await poll_until_finished(client, session_id)
    await asyncio.sleep(1.2)

    assert "takeover sweep failed" not in caplog.text
    assert await worker.sweep() == []
