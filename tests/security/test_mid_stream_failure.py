"""A stream that fails midway ends ``failed`` with its reason and a terminal frame, and keeps no
half-written stage: each batch of frames is stored in one transaction, or not at all.

The failure is real, not simulated in our code: a trigger in the database refuses the insert of
one event, exactly as a full disk or a broken constraint would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from clinical import engine
from clinical.models import StreamEvent, StreamSession
from tests.conftest import DIAGNOSIS_REQUEST

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = list(engine.diagnose(DIAGNOSIS_REQUEST))
# seq of each stage's progress frame (seq 0 is "accepted"): each starts a stored batch.
STAGE_STARTS = [seq for seq, event in enumerate(EVENTS, start=1) if event["type"] == "progress"]
FAILING_SEQ = STAGE_STARTS[2] + 1  # inside the third stage's batch, not at its start


@pytest.fixture
def refused_event(settings) -> Iterator[int]:
    """The database refuses to store the (non-error) event with seq FAILING_SEQ."""
    settings.STREAM_BATCH_MS = 0  # every stage is a batch of its own
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse_one_event BEFORE INSERT ON clinical_streamevent "
            f"WHEN NEW.seq = {FAILING_SEQ} AND NEW.type != 'error' "
            # A runtime error that is not a constraint violation (those mean "lease lost").
            "BEGIN SELECT json('disk full'); END"
        )
    yield FAILING_SEQ
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_one_event")


async def test_a_failed_write_midway_fails_the_session_with_its_reason_and_no_half_stage(
    refused_event, open_socket, clinician
):
    socket = await open_socket(clinician)

    await socket.send({"type": "diagnosis", "data": DIAGNOSIS_REQUEST})
    frames = await socket.until_terminal()

    session = await StreamSession.objects.aget(id=frames[0]["session_id"])
    stored = [row.payload async for row in StreamEvent.objects.filter(session=session)]
    assert session.status == "failed"
    assert session.failure_reason == "internal error (OperationalError)"
    assert session.result is None and session.finished_at is not None
    # Everything before the failing stage, then the terminal error right after it, no gap.
    assert [frame["seq"] for frame in stored] == [*range(STAGE_STARTS[2]), STAGE_STARTS[2]]
    assert stored[-1]["type"] == "error" and stored[-1]["code"] == "stream_failed"
    assert frames[-1] == stored[-1]
