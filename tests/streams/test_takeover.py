"""A session whose worker died is finished by another worker, or failed with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from clinical.models import StreamEvent, StreamSession
from clinical.streams import store
from clinical.streams.runner import StreamRun
from clinical.streams.start import create_stream
from clinical.streams.worker import worker

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_WORKER = "dead-worker:1"


@database_sync_to_async
def session_left_by_a_dead_worker(user, request, stored: int) -> tuple[StreamSession, list]:
    """A running session whose worker stored ``stored`` frames, then died (lease expired)."""
    session = create_stream(user, "diagnosis", request, "")
    StreamSession.objects.filter(id=session.id).update(worker_id=DEAD_WORKER)
    frames = list(StreamRun.of(session).frames())
    if stored:
        store.append_events(
            session.id, "diagnosis", frames[:stored], worker_id=DEAD_WORKER, lease_seconds=5
        )
    StreamSession.objects.filter(id=session.id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    return StreamSession.objects.get(id=session.id), frames


def without_timestamps(frames: list[dict]) -> list[dict]:
    return [{k: v for k, v in frame.items() if k != "timestamp"} for frame in frames]


async def stored(session_id) -> list[dict]:
    rows = StreamEvent.objects.filter(session_id=session_id).order_by("seq")
    return [row.payload async for row in rows]


@pytest.mark.parametrize("already_stored", [0, 1, 4, 9])
async def test_a_takeover_stores_only_the_missing_events_and_completes(
    clinician, diagnosis_request, already_stored
):
    session, fresh_run = await session_left_by_a_dead_worker(
        clinician, diagnosis_request, already_stored
    )
    before = await stored(session.id)

    assert await worker.sweep() == [session.id]
    await worker.wait(session.id)

    after = await stored(session.id)
    assert after[:already_stored] == before
    assert without_timestamps(after) == without_timestamps(fresh_run)
    finished = await StreamSession.objects.aget(id=session.id)
    assert finished.status == "completed" and finished.takeovers == 1
    assert finished.lease_expires_at is None


async def test_a_live_lease_is_not_taken_over(clinician, diagnosis_request):
    session, _ = await session_left_by_a_dead_worker(clinician, diagnosis_request, 2)
    await StreamSession.objects.filter(id=session.id).aupdate(
        lease_expires_at=timezone.now() + timedelta(seconds=30)
    )

    assert await worker.sweep() == []


async def test_a_changed_engine_version_fails_the_session_with_its_reason(
    clinician, diagnosis_request
):
    session, _ = await session_left_by_a_dead_worker(clinician, diagnosis_request, 3)
    await StreamSession.objects.filter(id=session.id).aupdate(engine_version="0.0.1+kb.old")

    await worker.sweep()

    failed = await StreamSession.objects.aget(id=session.id)
    assert failed.status == "failed"
    assert "engine version changed from 0.0.1+kb.old" in failed.failure_reason
    last = (await stored(session.id))[-1]
    assert last["type"] == "error" and last["code"] == "stream_failed" and last["seq"] == 3


async def test_an_invalid_stored_request_fails_the_session_with_its_reason(
    clinician, diagnosis_request
):
    session, _ = await session_left_by_a_dead_worker(clinician, diagnosis_request, 2)
    await StreamSession.objects.filter(id=session.id).aupdate(request={"history": "garbled"})

    await worker.sweep()
    await worker.wait(session.id)

    failed = await StreamSession.objects.aget(id=session.id)
    assert failed.status == "failed"
    assert failed.failure_reason.startswith("stored request is no longer valid")
    assert [f["seq"] for f in await stored(session.id)] == [0, 1, 2]


async def test_a_worker_that_lost_its_lease_cannot_write(clinician, diagnosis_request):
    session, frames = await session_left_by_a_dead_worker(clinician, diagnosis_request, 2)
    await worker.sweep()
    await worker.wait(session.id)

    with pytest.raises(store.LeaseLost):
        await database_sync_to_async(store.append_events)(
            session.id, "diagnosis", frames[2:3], worker_id=DEAD_WORKER, lease_seconds=5
        )


async def test_a_cancel_requested_while_no_worker_runs_it_ends_the_takeover(
    clinician, diagnosis_request
):
    session, _ = await session_left_by_a_dead_worker(clinician, diagnosis_request, 1)
    assert await database_sync_to_async(store.request_cancel)(session.id)

    await worker.sweep()
    await worker.wait(session.id)

    cancelled = await StreamSession.objects.aget(id=session.id)
    assert cancelled.status == "cancelled"
    last = (await stored(session.id))[-1]
    assert last["code"] == "cancelled" and last["type"] == "error"


async def test_a_session_taken_over_too_often_is_failed_not_retried_forever(
    clinician, diagnosis_request
):
    session, _ = await session_left_by_a_dead_worker(clinician, diagnosis_request, 2)
    await StreamSession.objects.filter(id=session.id).aupdate(takeovers=3)

    await worker.sweep()

    failed = await StreamSession.objects.aget(id=session.id)
    assert failed.status == "failed"
    assert failed.failure_reason == "not completed after 3 takeovers"
    assert failed.lease_expires_at is None
