"""Exactly once, in order, with no gap: a follower fed by the store and the channel layer."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from clinical import wire
from clinical.streams import store
from clinical.streams.follow import Followers, SessionFollower, is_terminal
from clinical.streams.runner import StreamRun
from clinical.streams.start import create_stream

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def stored_session(user, request, stored: int):
    """A running session with its first ``stored`` frames in the store, and all its frames."""
    session = create_stream(user, "diagnosis", request, "")
    frames = list(StreamRun.of(session).frames())
    store.append_events(
        session.id, "diagnosis", frames[:stored], worker_id=session.worker_id, lease_seconds=5
    )
    return session, frames


def published(frames: list[dict]) -> list[tuple[int, str, bool]]:
    return [(f["seq"], wire.encode(f), is_terminal(f)) for f in frames]


class Recorder:
    def __init__(self) -> None:
        self.seqs: list[int] = []

    async def __call__(self, text: str) -> None:
        self.seqs.append(wire.decode(text)["seq"])


async def test_frames_already_sent_by_the_replay_are_not_sent_again(clinician, diagnosis_request):
    session, frames = await stored_session(clinician, diagnosis_request, 6)
    sent = Recorder()
    follower = SessionFollower(session.id, 1, sent)

    await follower.catch_up()
    await follower.offer(published(frames[3:8]))

    assert sent.seqs == [2, 3, 4, 5, 6, 7]


async def test_a_gap_in_what_is_published_is_filled_from_the_store(clinician, diagnosis_request):
    session, frames = await stored_session(clinician, diagnosis_request, 9)
    sent = Recorder()
    follower = SessionFollower(session.id, 2, sent)

    await follower.offer(published(frames[7:9]))

    assert sent.seqs == [3, 4, 5, 6, 7, 8]


async def test_a_follower_finishes_with_the_terminal_frame(clinician, diagnosis_request):
    session, frames = await stored_session(clinician, diagnosis_request, 0)
    await database_sync_to_async(store.append_events)(
        session.id, "diagnosis", frames, worker_id=session.worker_id, lease_seconds=5
    )
    sent = Recorder()
    finished = []

    async def on_finished(session_id) -> None:
        finished.append(session_id)

    followers = Followers(sent, on_finished, stall_seconds=60)
    await followers.follow(session.id, -1)
    await followers.offer(session.id, published(frames))

    assert sent.seqs == list(range(len(frames)))
    assert finished == [session.id]
    assert followers.knows(session.id)


async def test_the_watchdog_reads_the_store_when_publishes_stop(clinician, diagnosis_request):
    session, frames = await stored_session(clinician, diagnosis_request, 2)
    sent = Recorder()
    done = asyncio.Event()

    async def on_finished(session_id) -> None:
        done.set()

    followers = Followers(sent, on_finished, stall_seconds=0.05)
    await followers.follow(session.id, -1)
    await database_sync_to_async(store.append_events)(
        session.id, "diagnosis", frames[2:], worker_id=session.worker_id, lease_seconds=5
    )

    await asyncio.wait_for(done.wait(), 5)

    assert sent.seqs == list(range(len(frames)))
    followers.stop()
