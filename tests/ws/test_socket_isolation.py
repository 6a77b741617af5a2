"""A stream's fate depends on its own request only: another socket of its user that cannot
follow it, is stuck, falls behind or closes while Redis hangs changes nothing for the stream or
for the user's other sockets (issue 22; the live churn test is ``tests/live/test_socket_churn.py``).

Faults are put into one socket's own follower (its consumer's ``followers.follow``), which the
old code ran inside the stream's run.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from clinical import consumers, limits
from clinical.limits.redis_backend import shared_redis
from clinical.models import StreamSession
from clinical.streams import local
from clinical.streams.groups import LAYER_CALL_SECONDS
from clinical.streams.worker import worker
from tests.security.test_limits import until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def stage_by_stage(settings: Any) -> None:
    """Every stage a batch of its own, so the run announces the stream to the user's other
    sockets before it has stored the rest (the default batching makes the stream one batch)."""
    settings.STREAM_BATCH_MS = 0


async def open_with_consumer(open_socket: Any, user: Any) -> tuple[Any, Any]:
    """A socket and the consumer serving it."""
    before = set(consumers._open_sockets)
    socket = await open_socket(user)
    (consumer,) = set(consumers._open_sockets) - before
    return socket, consumer


@pytest.fixture
async def held() -> AsyncIterator[asyncio.Event]:
    """An event a stuck follower waits for; set when the test ends."""
    event = asyncio.Event()
    yield event
    event.set()


async def test_a_stream_completes_for_everyone_when_another_socket_of_its_user_cannot_follow_it(
    open_socket, clinician, diagnosis_request, caplog
):
    mine = await open_socket(clinician)
    broken, consumer = await open_with_consumer(open_socket, clinician)
    other = await open_socket(clinician)

    async def cannot_follow(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("this socket's channel is gone")

    consumer.followers.follow = cannot_follow
    with caplog.at_level(logging.INFO, logger="clinical.ws"):
        await mine.send({"type": "diagnosis", "data": diagnosis_request})
        sent = await mine.until_terminal()
        seen = await other.until_terminal()
        code = await broken.closed_with()

    assert sent[-1]["type"] == "complete"
    assert [frame["seq"] for frame in sent] == list(range(len(sent)))
    assert seen == sent
    assert code == 1011
    closing = [r for r in caplog.records if r.getMessage().startswith("socket could not follow")]
    assert len(closing) == 1 and closing[0].reason == "RuntimeError"


async def test_a_stream_does_not_wait_for_another_socket_of_its_user_that_is_stuck(
    open_socket, clinician, diagnosis_request, held
):
    mine = await open_socket(clinician)
    _, consumer = await open_with_consumer(open_socket, clinician)
    other = await open_socket(clinician)

    async def stuck(*args: Any, **kwargs: Any) -> None:
        await held.wait()

    consumer.followers.follow = stuck
    await mine.send({"type": "diagnosis", "data": diagnosis_request})
    sent = await mine.until_terminal(seconds=5)
    seen = await other.until_terminal(seconds=5)

    assert sent[-1]["type"] == "complete" and seen == sent
    session = await StreamSession.objects.aget(id=sent[0]["session_id"])
    assert session.status == StreamSession.Status.COMPLETED


async def test_a_socket_too_far_behind_its_streams_is_closed_with_1013_and_the_stream_completes(
    open_socket, clinician, diagnosis_request, held, monkeypatch
):
    monkeypatch.setattr(local, "INBOX_CAPACITY", 3)
    mine = await open_socket(clinician)
    behind, consumer = await open_with_consumer(open_socket, clinician)

    async def stuck(*args: Any, **kwargs: Any) -> None:
        await held.wait()

    consumer.followers.follow = stuck
    await mine.send({"type": "diagnosis", "data": diagnosis_request})
    sent = await mine.until_terminal(seconds=5)
    await worker.wait(sent[0]["session_id"])
    held.set()

    assert sent[-1]["type"] == "complete"
    assert await behind.closed_with() == 1013


async def test_closing_a_socket_waits_on_nothing_even_while_redis_hangs(
    open_socket, clinician, redis_server, settings
):
    """The socket's slot is counted in Redis; with Redis stopped dead, the close still ends at
    once, and the slot is freed once Redis answers again."""
    settings.REDIS_URL = redis_server.url
    shared_redis._down_until = 0.0
    socket = await open_socket(clinician)
    assert await limits.sockets.count(clinician.pk) == 1

    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        await socket.communicator.disconnect(timeout=2)
        closed_in = time.monotonic() - started
    finally:
        redis_server.process.send_signal(signal.SIGCONT)

    assert closed_in < 0.5
    await until(lambda: limits.sockets.count(clinician.pk), 0, seconds=10)
    shared_redis._down_until = 0.0


async def test_a_socket_opened_while_redis_hangs_is_told_to_try_again_later_within_seconds(
    open_socket, clinician, redis_server, settings
):
    """Joining its team's room on connect is bounded like every other call to the layer: the
    socket is closed with 1013 rather than left hanging in its handshake. (On the core layer,
    whose group_add waits for Redis's answer; the pub/sub layer's does not.)"""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_server.url]},
        }
    }
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        socket = await open_socket(clinician)
        code = await socket.closed_with()
        answered_in = time.monotonic() - started
    finally:
        redis_server.process.send_signal(signal.SIGCONT)

    assert code == 1013
    assert answered_in < 2 * LAYER_CALL_SECONDS + 1
