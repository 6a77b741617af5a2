"""A stream that runs on another worker reaches this worker's sockets of its user through the
worker's one subscription to the channel layer (``clinical.streams.relay``): the store is read
once for all of them, and each socket gets every frame once, in order."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from clinical.streams import follow, groups, relay, store
from tests.streams.test_follow import published, stored_session

pytestmark = pytest.mark.django_db(transaction=True)

ELSEWHERE = "another-worker"


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the reads of the store by the subscriber and by the sockets' followers."""
    reads: list[int] = []
    for module in (relay, follow):
        real = module._events_after

        async def counted(*args: Any, real: Any = real) -> Any:
            reads.append(1)
            return await real(*args)

        monkeypatch.setattr(module, "_events_after", counted)
    return reads


async def test_a_stream_of_another_worker_reaches_every_socket_of_its_user_from_one_read(
    open_socket, clinician, diagnosis_request, monkeypatch
):
    session, frames = await stored_session(clinician, diagnosis_request, 6)
    sockets = [await open_socket(clinician) for _ in range(3)]
    reads = counting_reads(monkeypatch)
    layer = get_channel_layer()

    started = {"type": "stream.started", "session_id": str(session.id), "kind": "diagnosis"}
    started |= {"user_id": clinician.pk, "worker": ELSEWHERE}
    await layer.group_send(groups.user(clinician.pk), started)
    firsts = [[await socket.receive() for _ in range(6)] for socket in sockets]
    await database_sync_to_async(store.append_events)(
        session.id, "diagnosis", frames[6:], worker_id=session.worker_id, lease_seconds=5
    )
    batch = {"type": "stream.events", "session_id": str(session.id), "sent_at": 0.0}
    batch |= {"frames": published(frames[6:]), "worker": ELSEWHERE}
    await layer.group_send(groups.session(session.id), batch)
    rests = [await socket.until_terminal() for socket in sockets]

    for socket, first, rest in zip(sockets, firsts, rests, strict=True):
        assert [frame["seq"] for frame in first + rest] == list(range(len(frames)))
        assert await socket.silent()
    assert len(reads) == 1
