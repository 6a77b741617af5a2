"""Logs carry ids, never symptoms, names or payloads: a stream, a chat, a bad request and a
failure full of recognisable patient text leave none of it in any logger's output, even at
DEBUG level, formatted exactly as the workers format their lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from medstream.logs import JsonFormatter
from tests.conftest import DIAGNOSIS_REQUEST, PRESCRIPTION_REQUEST

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT_NAME = "Zebulon Quillfeather"
SYMPTOM = "xylophagous rash"
NOTE = f"{PATIENT_NAME}, 72, denies chest pain; {SYMPTOM} since Tuesday; lives at 4 Privet Drive"
MARKERS = ["Quillfeather", "xylophagous", "Privet"]


def json_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every captured record, as the JSON line a worker writes (traceback included)."""
    formatter = JsonFormatter()
    return [formatter.format(record) for record in caplog.records]


def assert_no_patient_text(lines: list[str]) -> None:
    for line in lines:
        for marker in MARKERS:
            assert marker not in line, line


def patient_diagnosis() -> dict[str, Any]:
    return DIAGNOSIS_REQUEST | {"symptoms": ["cough", SYMPTOM], "note": NOTE}


@pytest.fixture
def failing_event_write(settings: Any) -> Iterator[None]:
    """The database fails the write of the second stage (a logged, unexpected failure)."""
    settings.STREAM_BATCH_MS = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER fail_a_write BEFORE INSERT ON clinical_streamevent "
            "WHEN NEW.seq = 3 AND NEW.type != 'error' BEGIN SELECT json('disk full'); END"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER fail_a_write")


@pytest.fixture(autouse=True)
def _everything_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Every logger at DEBUG (LOG_LEVEL=DEBUG): the loggers' own levels are as configured."""
    caplog.set_level(logging.DEBUG)


async def test_patient_text_never_reaches_the_logs(
    caplog, failing_event_write, open_socket, clinician, reviewer
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": patient_diagnosis(), "request_id": "p-1"})
    frames = await socket.until_terminal()
    await socket.send({"type": "chat", "data": {"message": f"{PATIENT_NAME} in bed 4"}})
    await socket.receive()
    bad = patient_diagnosis() | {"history": {"age": 72, "sex": PATIENT_NAME}}
    await socket.send({"type": "diagnosis", "data": bad})
    await socket.receive()
    await socket.send({"type": PATIENT_NAME, "data": NOTE})
    await socket.receive()
    prescription = PRESCRIPTION_REQUEST | {"allergies": [SYMPTOM]}
    await socket.send({"type": "prescription", "data": prescription})
    await socket.until_terminal()
    watcher = await open_socket(reviewer)
    resume = {"session_id": frames[0]["session_id"], "last_seq": -1}
    await watcher.send({"type": "resume", "data": resume})
    await watcher.until_terminal()
    await socket.close()
    await watcher.close()

    lines = json_lines(caplog)
    assert frames[-1]["code"] == "stream_failed"
    assert any('"level":"ERROR"' in line and "Traceback" in line for line in lines)
    assert_no_patient_text(lines)


def test_rest_requests_leave_no_patient_text_in_the_logs(caplog, api_as, clinician):
    client = api_as(clinician)
    bad = patient_diagnosis() | {"vitals": {"heart_rate": 900}}

    client.post("/api/sessions/diagnosis/", bad, format="json")
    client.post("/api/sessions/diagnosis/", {"note": NOTE}, format="json")
    client.get(f"/api/sessions/?q={PATIENT_NAME}")

    lines = json_lines(caplog)
    assert any("Bad Request" in line for line in lines)
    assert_no_patient_text(lines)
