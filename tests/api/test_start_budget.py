"""One stream-start budget per user, whichever transport starts: a REST start spends from the
same limiter as a WebSocket start (``clinical.limits.rates``), so ``STREAM_STARTS_PER_MINUTE``
REST starts leave none for the socket, and the other way round.

The REST starts go through Django's AsyncClient, so their runs launch on the test's event loop,
the one the socket's consumer runs on, as in a daphne worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, Permission

from clinical import limits
from clinical.limits.redis_backend import shared_redis
from clinical.models import StreamSession
from clinical.roles import ensure_roles
from clinical.streams.follow import is_terminal
from clinical.streams.worker import worker
from clinical.tickets import issue_ticket
from medstream.asgi import application
from tests.api.test_stream_start import client_for, poll_until_finished

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_budgets(monkeypatch: pytest.MonkeyPatch, empty_throttle_counts: None) -> None:
    """An empty in-memory limiter and empty throttle caches: no other test spent anything."""
    monkeypatch.setattr(limits.rates, "memory", limits.MemoryRates())


@pytest.fixture
async def sockets() -> AsyncIterator[list[WebsocketCommunicator]]:
    opened: list[WebsocketCommunicator] = []
    yield opened
    for communicator in opened:
        await communicator.disconnect()
    worker.draining = False
    await worker.stop()


async def open_socket(user: Any, opened: list[WebsocketCommunicator]) -> WebsocketCommunicator:
    """A socket as an API client opens one: with a one-time ticket, no cookie, no Origin."""
    ticket, _ = await sync_to_async(issue_ticket)(user)
    communicator = WebsocketCommunicator(application, f"/ws/{user.pk}/?ticket={ticket}")
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    opened.append(communicator)
    return communicator


async def send(communicator: WebsocketCommunicator, message: dict[str, Any]) -> None:
    await communicator.send_to(text_data=orjson.dumps(message).decode())


async def receive(communicator: WebsocketCommunicator) -> dict[str, Any]:
    return orjson.loads(await communicator.receive_from(timeout=10))


async def until_terminal(communicator: WebsocketCommunicator) -> list[dict[str, Any]]:
    frames = []
    while True:
        frames.append(frame := await receive(communicator))
        if frame["type"] in {"complete", "error"} and "seq" in frame and is_terminal(frame):
            return frames


async def test_rest_starts_spend_the_sockets_budget(
    sockets, settings, clinician, diagnosis_request
):
    """The audit's case: 30 REST starts were accepted, then 30 socket starts as well. At 6 a
    minute (one start back every 10 s) the budget cannot refill while a loaded machine makes the
    REST starts, as it could at 30 (one every 2 s)."""
    settings.STREAM_STARTS_PER_MINUTE = 6
    client = await client_for(clinician)
    started = [await client.post("/api/sessions/diagnosis/", diagnosis_request) for _ in range(6)]
    assert [response.status_code for response in started] == [201] * 6
    socket = await open_socket(clinician, sockets)

    await send(socket, {"type": "diagnosis", "data": diagnosis_request, "request_id": "ws-7"})
    refusal = await receive(socket)

    assert refusal["type"] == "error" and refusal["code"] == "rate_limited"
    assert refusal["request_id"] == "ws-7"
    assert 0 < refusal["retry_after"] <= 10  # one start every 60 / 6 s
    assert "stream starts" in refusal["error"]
    assert await StreamSession.objects.acount() == 6
    for response in started[-3:]:
        await poll_until_finished(client, response.json()["session"]["id"])


async def test_socket_starts_spend_the_rest_budget(
    sockets, settings, clinician, diagnosis_request, prescription_request
):
    settings.STREAM_STARTS_PER_MINUTE = 2
    socket = await open_socket(clinician, sockets)
    for _ in range(2):
        await send(socket, {"type": "diagnosis", "data": diagnosis_request})
        assert (await until_terminal(socket))[-1]["type"] == "complete"
    client = await client_for(clinician)

    diagnosis = await client.post("/api/sessions/diagnosis/", diagnosis_request)
    prescription = await client.post("/api/sessions/prescription/", prescription_request)

    for refused in (diagnosis, prescription):
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "rate_limited" and "stream starts" in body["error"]
        assert 0 < body["retry_after"] <= 30  # one start every 60 / 2 s
        assert refused["Retry-After"] == str(body["retry_after"])
    assert await StreamSession.objects.acount() == 2


async def test_rest_starts_over_the_budget_are_refused_and_store_nothing(
    sockets, settings, clinician, diagnosis_request
):
    settings.STREAM_STARTS_PER_MINUTE = 3
    client = await client_for(clinician)

    statuses = [
        (await client.post("/api/sessions/diagnosis/", diagnosis_request)).status_code
        for _ in range(4)
    ]

    assert statuses == [201, 201, 201, 429]
    assert await StreamSession.objects.acount() == 3
    socket = await open_socket(clinician, sockets)
    await send(socket, {"type": "diagnosis", "data": diagnosis_request})
    assert (await receive(socket))["code"] == "rate_limited"


async def test_the_budget_is_each_users_own(
    sockets, settings, clinician, colleague, diagnosis_request
):
    settings.STREAM_STARTS_PER_MINUTE = 1
    mine, theirs = await client_for(clinician), await client_for(colleague)

    assert (await mine.post("/api/sessions/diagnosis/", diagnosis_request)).status_code == 201
    assert (await mine.post("/api/sessions/diagnosis/", diagnosis_request)).status_code == 429
    assert (await theirs.post("/api/sessions/diagnosis/", diagnosis_request)).status_code == 201


async def test_a_start_refused_for_the_role_spends_nothing(
    sockets, settings, make_user, diagnosis_request
):
    settings.STREAM_STARTS_PER_MINUTE = 1
    nobody = await sync_to_async(make_user)("nora", role=None)
    client = await client_for(nobody)

    refused = [await client.post("/api/sessions/diagnosis/", diagnosis_request) for _ in range(3)]
    await sync_to_async(ensure_roles)(Group, Permission)
    await sync_to_async(nobody.groups.add)(await Group.objects.aget(name="clinician"))
    allowed = await client.post("/api/sessions/diagnosis/", diagnosis_request)

    assert [response.status_code for response in refused] == [403] * 3
    assert allowed.status_code == 201


async def test_through_redis_the_budget_is_the_same_key_for_both_transports(
    redis_server, sockets, settings, clinician, diagnosis_request
):
    """With ``REDIS_URL`` (several workers), a REST start spends the Redis-held budget the
    sockets of every worker spend, not a count of its own."""
    settings.REDIS_URL = redis_server.url
    settings.STREAM_STARTS_PER_MINUTE = 2
    shared_redis._down_until = 0.0
    client = await client_for(clinician)

    statuses = [
        (await client.post("/api/sessions/diagnosis/", diagnosis_request)).status_code
        for _ in range(2)
    ]
    socket = await open_socket(clinician, sockets)
    await send(socket, {"type": "diagnosis", "data": diagnosis_request})
    refusal = await receive(socket)

    assert statuses == [201, 201]
    assert refusal["code"] == "rate_limited"
    assert limits.rates.memory._tat == {}  # counted in Redis, not in this process
