"""The heartbeat: ``ping`` is answered ``pong`` in order, costs no message budget within the
socket's free allowance, and past it counts like any other message."""

from __future__ import annotations

import pytest

from clinical.limits import rate_limits

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_ping_is_answered_pong_with_its_request_id(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send({"type": "ping", "request_id": "beat-1"})
    await socket.send({"type": "ping"})

    first, second = await socket.receive(), await socket.receive()
    assert first["type"] == "pong" and first["request_id"] == "beat-1"
    assert first["timestamp"].endswith("Z")
    assert second["type"] == "pong" and "request_id" not in second


async def test_a_ping_with_data_is_a_validation_error(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send({"type": "ping", "data": {"x": 1}, "request_id": "beat"})

    error = await socket.receive()
    assert error["code"] == "validation_error" and error["request_id"] == "beat"
    assert "data" in error["details"]


async def test_pings_spend_no_message_budget_within_the_allowance(open_socket, clinician, settings):
    settings.WS_MESSAGES_PER_MINUTE = 2
    socket = await open_socket(clinician)

    for _ in range(10):
        await socket.send({"type": "ping"})
        assert (await socket.receive())["type"] == "pong"
    await socket.send({"type": "chat", "data": {"message": "still within budget"}})

    assert (await socket.receive())["type"] == "chat"


async def test_pings_past_the_allowance_count_as_messages(
    open_socket, clinician, settings, monkeypatch
):
    settings.WS_MESSAGES_PER_MINUTE = 2
    monkeypatch.setattr(rate_limits, "PINGS_FREE_PER_MINUTE", 1)
    socket = await open_socket(clinician)

    answers = []
    for _ in range(4):
        await socket.send({"type": "ping"})
        answers.append(await socket.receive())

    # One free, two from the budget of 2, then refused.
    assert [a["type"] for a in answers[:3]] == ["pong", "pong", "pong"]
    assert answers[3]["code"] == "rate_limited"
