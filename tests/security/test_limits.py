"""Per-user limits on one worker (the embedded default: counted in memory) and in a real Redis
(shared by workers): message and stream-start rates with ``retry_after``, floods closed with
1008, and the cap on open sockets, freed on disconnect and after a worker dies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from clinical import limits
from clinical.limits.redis_backend import shared_redis
from clinical.models import StreamSession
from devtools.cluster import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)


async def until(count: Any, expected: int, seconds: float) -> None:
    """Poll the awaitable ``count()`` until it equals ``expected``, for at most ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if await count() == expected:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"count did not reach {expected} within {seconds} s")


async def chat(socket: Any, text: str = "hello", request_id: str | None = None) -> None:
    message: dict[str, Any] = {"type": "chat", "data": {"message": text}}
    if request_id:
        message["request_id"] = request_id
    await socket.send(message)


async def close_message(socket: Any) -> dict[str, Any]:
    """The close the server sent, after any frames before it."""
    while True:
        output = await socket.communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output


async def test_messages_over_the_rate_are_answered_rate_limited_and_the_socket_stays_open(
    open_socket, clinician, settings
):
    settings.WS_MESSAGES_PER_MINUTE = 5
    socket = await open_socket(clinician)
    for _ in range(5):
        await chat(socket)
        assert (await socket.receive())["type"] == "chat"

    await chat(socket, request_id="sixth")
    refusal = await socket.receive()

    assert refusal["code"] == "rate_limited" and refusal["request_id"] == "sixth"
    assert 11 < refusal["retry_after"] <= 12  # one message every 60 / 5 s
    assert "at most 5 a minute" in refusal["error"]
    assert await socket.silent()


async def test_malformed_and_binary_frames_count_against_the_message_rate(
    open_socket, clinician, settings
):
    settings.WS_MESSAGES_PER_MINUTE = 2
    socket = await open_socket(clinician)

    await socket.send_text("{not json")
    await socket.send_bytes(b"\x00\xff")
    answers = [(await socket.receive())["code"] for _ in range(2)]
    await chat(socket)

    assert answers == ["invalid_json", "invalid_json"]
    assert (await socket.receive())["code"] == "rate_limited"


async def test_a_flood_past_three_times_the_rate_closes_the_socket_with_1008(
    open_socket, clinician, settings
):
    settings.WS_MESSAGES_PER_MINUTE = 4
    socket = await open_socket(clinician)

    for _ in range(4 * 3 + 1):
        await chat(socket)
    close = await close_message(socket)

    assert close["code"] == 1008 and close["reason"] == "message flood"


async def test_stream_starts_over_the_rate_are_refused_and_store_nothing(
    open_socket, clinician, settings, diagnosis_request
):
    settings.STREAM_STARTS_PER_MINUTE = 2
    socket = await open_socket(clinician)
    for _ in range(2):
        await socket.send({"type": "diagnosis", "data": diagnosis_request})
        assert (await socket.until_terminal())[-1]["type"] == "complete"

    await socket.send({"type": "diagnosis", "data": diagnosis_request, "request_id": "third"})
    refusal = await socket.receive()

    assert refusal["code"] == "rate_limited" and refusal["request_id"] == "third"
    assert 0 < refusal["retry_after"] <= 30
    assert "stream starts" in refusal["error"]
    assert await StreamSession.objects.acount() == 2


async def test_the_socket_cap_refuses_one_more_with_1008_and_frees_a_slot_on_disconnect(
    open_socket, clinician, colleague, settings
):
    settings.WS_MAX_SOCKETS_PER_USER = 2
    first = await open_socket(clinician)
    await open_socket(clinician)

    refused = await open_socket(clinician)
    why = await refused.receive()
    close = await close_message(refused)
    others = await open_socket(colleague)
    await first.close()
    again = await open_socket(clinician)

    assert why["code"] == "too_many_sockets" and "2 sockets" in why["error"]
    assert close["code"] == 1008 and close["reason"] == "too many open sockets (at most 2)"
    for socket in (others, again):
        await chat(socket)
        assert (await socket.receive())["type"] == "chat"


# ---- the limiter itself, in memory and in a real Redis -------------------------------------


def test_gcra_allows_the_burst_then_one_per_interval_and_says_how_long_to_wait() -> None:
    memory = limits.MemoryRates()
    rate = limits.Rate("test-burst", 3, window=60)

    decisions = [memory.hit(rate, "u1") for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 19.9 < decisions[-1].retry_after <= 20
    assert memory.hit(rate, "u2").allowed


@pytest.fixture
def shared(redis_server: RedisServer, settings: Any) -> Iterator[RedisServer]:
    """Limits counted in the real Redis, from a clean state."""
    settings.REDIS_URL = redis_server.url
    shared_redis._down_until = 0.0
    yield redis_server
    shared_redis._down_until = 0.0


async def test_two_workers_share_one_rate_through_redis(shared) -> None:
    rate = limits.Rate("test-shared", 4, window=60)
    worker_a, worker_b = limits.RateLimiter(), limits.RateLimiter()

    spent = [await worker.hit(rate, "u1") for worker in (worker_a, worker_b) * 2]
    refused = await worker_b.hit(rate, "u1")

    assert all(decision.allowed for decision in spent)
    assert not refused.allowed and 14.9 < refused.retry_after <= 15
    assert (await worker_a.hit(rate, "u2")).allowed


async def test_the_socket_cap_holds_across_workers_and_a_dead_workers_slots_expire(
    shared, settings
) -> None:
    settings.WS_MAX_SOCKETS_PER_USER = 2
    settings.WS_SOCKET_SLOT_SECONDS = 1
    surviving, dying = limits.SocketSlots(), limits.SocketSlots()
    kept = await surviving.acquire("u1")
    await dying.acquire("u1")

    refused = await surviving.acquire("u1")
    dying._local.clear()  # the worker dies: it neither releases nor renews its slot
    await until(lambda: surviving.count("u1"), 1, seconds=5)
    taken = await surviving.acquire("u1")

    assert kept and refused is None and taken
    # The surviving worker renews its slots, so they outlive the slot lifetime.
    assert await surviving.count("u1") == 2
    await surviving.release(kept)
    assert await surviving.count("u1") == 1


async def test_slots_lost_in_a_redis_restart_are_counted_again_at_the_next_renewal(
    shared, settings
) -> None:
    settings.WS_MAX_SOCKETS_PER_USER = 1
    slots = limits.SocketSlots()
    assert await slots.acquire("u-restart")

    shared.restart()
    await slots.renew()

    assert await slots.count("u-restart") == 1
    assert await limits.SocketSlots().acquire("u-restart") is None


async def test_without_redis_limits_fall_back_to_this_worker_at_once(shared, settings) -> None:
    shared.stop()
    try:
        rate = limits.Rate("test-fallback", 1, window=60)
        started = time.monotonic()
        first = await limits.rates.hit(rate, "u-fallback")
        second = await limits.rates.hit(rate, "u-fallback")
        elapsed = time.monotonic() - started
    finally:
        shared.start()

    assert first.allowed and not second.allowed
    assert elapsed < 1.5
