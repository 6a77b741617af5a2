"""A stream that runs on another worker reaches this worker's sockets of its user through the
worker's one subscription to the channel layer (``clinical.streams.relay``): its notice carries
its first batch, which every socket gets at once, the store is read at most once for all of them,
and each socket gets every frame once, in order, whatever arrives meanwhile or fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import DatabaseError

from clinical.models import StreamSession
from clinical.streams import follow, groups, relay, store
from clinical.streams.runner import layer_message
from tests.streams.test_follow import published, stored_session

pytestmark = pytest.mark.django_db(transaction=True)

ELSEWHERE = "another-worker"


class StoreReads:
    """The reads of the store by the subscriber and by the sockets' followers: ``(reader,
    after_seq)`` each. The subscriber's reads wait for ``release`` when ``held``, or fail."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads: list[tuple[str, int]] = []
        self.held = False
        self.failing = False
        self.release = asyncio.Event()
        for module in (relay, follow):
            monkeypatch.setattr(module, "_events_after", self._counted(module))

    def _counted(self, module: Any) -> Any:
        real, reader = module._events_after, module.__name__.rsplit(".", 1)[-1]

        async def counted(session_id: Any, after_seq: int) -> Any:
            self.reads.append((reader, after_seq))
            if reader == "relay" and self.held:
                await self.release.wait()
            if reader == "relay" and self.failing:
                raise DatabaseError("the database went away")
            return await real(session_id, after_seq)

        return counted

    async def until_read(self, seconds: float = 5) -> None:
        """Wait until the subscriber has begun its read of the store."""
        deadline = time.monotonic() + seconds
        while not any(reader == "relay" for reader, _ in self.reads):
            assert time.monotonic() < deadline, "the subscriber never read the store"
            await asyncio.sleep(0.01)


@pytest.fixture
def store_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[StoreReads]:
    reads = StoreReads(monkeypatch)
    yield reads
    reads.release.set()


@pytest.fixture(params=["in-memory", "redis"])
async def layer(request, settings) -> AsyncIterator[Any]:
    """The channel layer the workers share: in memory, or channels-redis on a real Redis
    (whose msgpack encoding every message of a run must survive)."""
    if request.param == "redis":
        use_redis_layer(settings, request.getfixturevalue("redis_server").url)
    yield get_channel_layer()


def use_redis_layer(settings: Any, url: str) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url]},
        }
    }


async def started_elsewhere(layer: Any, session: Any, frames: list[dict]) -> None:
    """What another worker's run sends when it has stored the stream's first batch."""
    notice = layer_message(
        "stream.started",
        session.id,
        published(frames),
        time.time(),
        ELSEWHERE,
        kind="diagnosis",
        user_id=session.owner_id,
    )
    await layer.group_send(groups.user(session.owner_id), notice)


async def stored_elsewhere(layer: Any, session: Any, frames: list[dict]) -> None:
    """Another worker's run stores a batch, then publishes it."""
    await database_sync_to_async(store.append_events)(
        session.id, "diagnosis", frames, worker_id=session.worker_id, lease_seconds=5
    )
    batch = layer_message("stream.events", session.id, published(frames), time.time(), ELSEWHERE)
    await layer.group_send(groups.session(session.id), batch)


async def receive_seqs(socket: Any, count: int) -> list[int]:
    return [(await socket.receive())["seq"] for _ in range(count)]


async def test_a_stream_of_another_worker_reaches_every_socket_of_its_user_from_one_read(
    open_socket, clinician, diagnosis_request, store_reads
):
    session, frames = await stored_session(clinician, diagnosis_request, 6)
    sockets = [await open_socket(clinician) for _ in range(3)]
    layer = get_channel_layer()

    started = {"type": "stream.started", "session_id": str(session.id), "kind": "diagnosis"}
    started |= {"user_id": clinician.pk, "worker": ELSEWHERE}
    await layer.group_send(groups.user(clinician.pk), started)
    firsts = [await receive_seqs(socket, 6) for socket in sockets]
    await stored_elsewhere(layer, session, frames[6:])
    rests = [await socket.until_terminal() for socket in sockets]

    for socket, first, rest in zip(sockets, firsts, rests, strict=True):
        assert first + [frame["seq"] for frame in rest] == list(range(len(frames)))
        assert await socket.silent()
    assert store_reads.reads == [("relay", -1)]


async def test_the_first_batch_of_another_workers_stream_reaches_the_sockets_before_any_read(
    layer, open_socket, clinician, diagnosis_request, store_reads
):
    """The notice's first batch goes out while the subscriber still reads the store; a batch
    published meanwhile and the read's frames overlap, and each socket sends each frame once."""
    session, frames = await stored_session(clinician, diagnosis_request, 4)
    sockets = [await open_socket(clinician) for _ in range(3)]
    store_reads.held = True

    await started_elsewhere(layer, session, frames[:4])
    firsts = [await receive_seqs(socket, 4) for socket in sockets]
    await store_reads.until_read()
    await database_sync_to_async(store.append_events)(
        session.id, "diagnosis", frames[4:6], worker_id=session.worker_id, lease_seconds=5
    )
    await stored_elsewhere(layer, session, frames[6:])
    nothing_more_yet = [await socket.silent() for socket in sockets]
    store_reads.release.set()
    rests = [await socket.until_terminal() for socket in sockets]

    for socket, first, rest in zip(sockets, firsts, rests, strict=True):
        assert first + [frame["seq"] for frame in rest] == list(range(len(frames)))
        assert await socket.silent()
    assert all(nothing_more_yet)
    assert store_reads.reads == [("relay", 3)]


async def test_a_notice_that_carries_the_whole_stream_costs_no_read_of_the_store(
    layer, open_socket, clinician, diagnosis_request, store_reads
):
    session, frames = await stored_session(clinician, diagnosis_request, 100)
    sockets = [await open_socket(clinician) for _ in range(3)]

    await started_elsewhere(layer, session, frames)
    received = [await socket.until_terminal() for socket in sockets]

    for socket, frames_seen in zip(sockets, received, strict=True):
        assert [frame["seq"] for frame in frames_seen] == list(range(len(frames)))
        assert await socket.silent()
    assert store_reads.reads == []


async def test_when_the_read_after_the_first_batch_fails_each_socket_reads_what_it_lacks(
    open_socket, clinician, diagnosis_request, store_reads
):
    """The stream ended meanwhile, so no batch comes to show the gap: each socket's follower
    reads the store once it has heard nothing for a while."""
    session, frames = await stored_session(clinician, diagnosis_request, 100)
    sockets = [await open_socket(clinician) for _ in range(2)]
    store_reads.failing = True

    await started_elsewhere(get_channel_layer(), session, frames[:4])
    received = [await socket.until_terminal(seconds=10) for socket in sockets]

    for socket, frames_seen in zip(sockets, received, strict=True):
        assert [frame["seq"] for frame in frames_seen] == list(range(len(frames)))
        assert await socket.silent()
    assert store_reads.reads == [("relay", 3), ("follow", 3), ("follow", 3)]


@pytest.fixture
async def redis_layer(request, settings, monkeypatch) -> AsyncIterator[Any]:
    """channels-redis on a real Redis: the layer on which a notice can be lost. The tests run
    the repair themselves, so the subscriber's own every REPAIR_SECONDS does not."""

    async def no_periodic_repair(self: Any) -> None:
        return None

    monkeypatch.setattr(relay.Relay, "_repair_forever", no_periodic_repair)
    use_redis_layer(settings, request.getfixturevalue("redis_server").url)
    yield get_channel_layer()


async def held_elsewhere(session: Any) -> datetime:
    """The session as another worker holds it; when it was created."""
    await StreamSession.objects.filter(id=session.id).aupdate(worker_id=ELSEWHERE)
    await session.arefresh_from_db()
    return session.created_at


def seconds_after(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)


async def test_a_stream_whose_notice_was_lost_is_announced_from_the_store(
    redis_layer, open_socket, clinician, diagnosis_request
):
    sockets = [await open_socket(clinician) for _ in range(2)]
    session, frames = await stored_session(clinician, diagnosis_request, 100)
    created = await held_elsewhere(session)
    later = seconds_after(created, relay.REPAIR_SECONDS + 1)

    repaired = await relay.relay.repair(now=later)
    received = [await socket.until_terminal() for socket in sockets]

    assert repaired == [session.id]
    for socket, frames_seen in zip(sockets, received, strict=True):
        assert [frame["seq"] for frame in frames_seen] == list(range(len(frames)))
        assert await socket.silent()
    assert await relay.relay.repair(now=later) == []


async def test_a_stream_whose_notice_came_is_not_announced_again(
    redis_layer, open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    session, frames = await stored_session(clinician, diagnosis_request, 100)
    await started_elsewhere(redis_layer, session, frames)
    received = await socket.until_terminal()
    created = await held_elsewhere(session)

    assert await relay.relay.repair(now=seconds_after(created, relay.REPAIR_SECONDS + 1)) == []
    assert [frame["seq"] for frame in received] == list(range(len(frames)))
    assert await socket.silent()


async def test_only_streams_old_enough_for_their_notice_to_have_come_are_repaired(
    redis_layer, open_socket, clinician, diagnosis_request
):
    """A notice may still be on its way for a stream that started just now; one that started
    before the window is over and done with."""
    await open_socket(clinician)
    session, _ = await stored_session(clinician, diagnosis_request, 100)
    created = await held_elsewhere(session)

    assert await relay.relay.repair(now=seconds_after(created, 0)) == []
    assert (
        await relay.relay.repair(now=seconds_after(created, relay.REPAIR_WINDOW_SECONDS + 1)) == []
    )


async def test_a_stream_that_started_before_the_users_first_socket_here_is_not_announced(
    redis_layer, open_socket, clinician, diagnosis_request
):
    """Its notice was never this worker's to hear: a socket that opens later resumes it or not,
    as it chooses (announcing it would send the socket a stream it did not ask for)."""
    session, _ = await stored_session(clinician, diagnosis_request, 100)
    created = await held_elsewhere(session)
    socket = await open_socket(clinician)

    assert await relay.relay.repair(now=seconds_after(created, relay.REPAIR_SECONDS + 1)) == []
    assert await socket.silent()
