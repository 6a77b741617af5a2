"""Every run logs one line when it starts and one when it ends, with the session and the worker
and never the request: a stream that completes is no longer silent in the logs."""

from __future__ import annotations

import logging

import orjson
import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from clinical.models import StreamEvent
from clinical.streams import store
from clinical.streams.runner import StreamRun, execute
from clinical.streams.start import create_stream
from medstream.logs import JsonFormatter

pytestmark = pytest.mark.django_db(transaction=True)

SYMPTOM = "xylophagous rash"
NOTE = f"Quillfeather, 72, {SYMPTOM} since Tuesday"
MARKERS = ["xylophagous", "Quillfeather"]


@pytest.fixture
def patient_request(diagnosis_request):
    return diagnosis_request | {"symptoms": ["cough", SYMPTOM], "note": NOTE}


def run_lines(caplog: pytest.LogCaptureFixture, session_id) -> list[dict]:
    """The run's lines of ``clinical.streams``, as the JSON a worker writes."""
    formatter = JsonFormatter()
    lines = [
        orjson.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "clinical.streams"
    ]
    return [line for line in lines if line.get("session_id") == str(session_id)]


def assert_no_patient_text(caplog: pytest.LogCaptureFixture) -> None:
    formatter = JsonFormatter()
    for record in caplog.records:
        line = formatter.format(record)
        for marker in MARKERS:
            assert marker not in line, line


async def test_a_completed_run_logs_its_start_and_its_end_with_ids_only(
    caplog, clinician, patient_request
):
    caplog.set_level(logging.DEBUG)
    session = await database_sync_to_async(create_stream)(
        clinician, "diagnosis", patient_request, "r-1"
    )

    await execute(StreamRun.of(session))

    stored = await StreamEvent.objects.filter(session=session).acount()
    lines = run_lines(caplog, session.id)
    assert [line["message"] for line in lines] == ["stream run started", "stream run ended"]
    started, ended = lines
    for line in lines:
        assert line["level"] == "INFO"
        assert line["worker"] == settings.WORKER_ID
        assert line["kind"] == "diagnosis"
    assert started["user_id"] == clinician.pk
    assert ended["status"] == "completed"
    assert ended["events"] == stored
    assert ended["duration_ms"] >= 0
    assert_no_patient_text(caplog)


async def test_a_cancelled_run_logs_its_end_as_cancelled(caplog, clinician, patient_request):
    caplog.set_level(logging.INFO)
    session = await database_sync_to_async(create_stream)(
        clinician, "diagnosis", patient_request, ""
    )
    assert await database_sync_to_async(store.request_cancel)(session.id)

    await execute(StreamRun.of(session))

    ended = run_lines(caplog, session.id)[-1]
    assert ended["message"] == "stream run ended"
    assert ended["status"] == "cancelled"
    assert ended["events"] == 1  # the terminal "cancelled" error, nothing else
    assert_no_patient_text(caplog)
