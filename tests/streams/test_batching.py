"""How many writes a stream costs: as few as STREAM_BATCH_MS allows, never fewer than correct."""

from __future__ import annotations

import asyncio

import pytest

from clinical.db import db_call
from clinical.models import StreamEvent
from clinical.streams.engine_pool import engine_pool
from clinical.streams.runner import StreamRun, execute
from clinical.streams.start import create_stream
from tests.streams.conftest import holding, stored_while_waiting

pytestmark = pytest.mark.django_db(transaction=True)


async def batches_of_a_stream(user, request) -> list[list[int]]:
    """Run a stream to its end; return its seqs grouped by the write that stored them."""
    session = await db_call(create_stream)(user, "diagnosis", request, "")
    await execute(StreamRun.of(session))
    return await batches_of(session)


async def batches_of(session) -> list[list[int]]:
    batches: dict = {}
    async for event in StreamEvent.objects.filter(session=session).order_by("seq"):
        batches.setdefault(event.created_at, []).append(event.seq)
    return list(batches.values())


async def warm_pool(request) -> None:
    """A process ready for the next job (the worker may have started the pool's processes,
    and a job that waits for one to start sends ``accepted`` on its own)."""
    await engine_pool.run("validate_diagnosis", request)


async def test_a_fast_engine_stream_is_written_at_once(clinician, diagnosis_request, settings):
    settings.STREAM_BATCH_MS = 50
    await warm_pool(diagnosis_request)

    batches = await batches_of_a_stream(clinician, diagnosis_request)

    assert len(batches) == 1


async def test_with_no_wait_every_stage_is_its_own_write(clinician, diagnosis_request, settings):
    settings.STREAM_BATCH_MS = 0
    await warm_pool(diagnosis_request)

    batches = await batches_of_a_stream(clinician, diagnosis_request)

    stored = [seq for batch in batches for seq in batch]
    assert stored == list(range(len(stored)))
    assert len(batches) == 6  # one per stage, the last with "complete"
    assert batches[0][:2] == [0, 1]  # "accepted" goes out with the first stage


async def test_a_stream_waiting_for_an_engine_process_has_its_accepted_stored_at_once(
    clinician, diagnosis_request, settings
):
    """The user's share of the pool is held by another of their jobs: ``accepted`` is stored
    (and so sent) while the stream waits, and the rest follows once the process is free."""
    settings.ENGINE_PROCESSES = 2  # one user's jobs hold at most one
    settings.STREAM_BATCH_MS = 50
    session = await db_call(create_stream)(clinician, "diagnosis", diagnosis_request, "")
    async with holding(engine_pool, clinician.pk):
        run = asyncio.create_task(execute(StreamRun.of(session)))
        stored = await stored_while_waiting(session, run)
    await run

    assert stored == [0]
    batches = await batches_of(session)
    assert batches[0] == [0] and len(batches) == 2
