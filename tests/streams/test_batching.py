"""How many writes a stream costs: as few as STREAM_BATCH_MS allows, never fewer than correct."""

from __future__ import annotations

import pytest

from clinical.db import db_call
from clinical.models import StreamEvent
from clinical.streams.runner import StreamRun, execute
from clinical.streams.start import create_stream

pytestmark = pytest.mark.django_db(transaction=True)


async def batches_of_a_stream(user, request) -> list[list[int]]:
    """Run a stream to its end; return its seqs grouped by the write that stored them."""
    session = await db_call(create_stream)(user, "diagnosis", request, "")
    await execute(StreamRun.of(session))
    batches: dict = {}
    async for event in StreamEvent.objects.filter(session=session).order_by("seq"):
        batches.setdefault(event.created_at, []).append(event.seq)
    return list(batches.values())


async def test_a_fast_engine_stream_is_written_at_once(clinician, diagnosis_request, settings):
    settings.STREAM_BATCH_MS = 50

    batches = await batches_of_a_stream(clinician, diagnosis_request)

    assert len(batches) == 1


async def test_with_no_wait_every_stage_is_its_own_write(clinician, diagnosis_request, settings):
    settings.STREAM_BATCH_MS = 0

    batches = await batches_of_a_stream(clinician, diagnosis_request)

    stored = [seq for batch in batches for seq in batch]
    assert stored == list(range(len(stored)))
    assert len(batches) == 6  # one per stage, the last with "complete"
    assert batches[0][:2] == [0, 1]  # "accepted" goes out with the first stage
