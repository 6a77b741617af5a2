"""POST /api/notes/read/: a note read without a diagnosis. Who may, the note's bounds, that
nothing is kept, and that the answer is exactly what a real diagnosis stream of the same note
sends as ``symptoms_analysis.extracted``."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from rest_framework.settings import api_settings

from clinical.engine.contract.requests import MAX_NOTE_CHARS
from clinical.limits import NoteReadThrottle
from clinical.streams.worker import worker
from tests.api.test_stream_start import client_for, poll_until_finished

READ = "/api/notes/read/"
NOTE = (
    "denies chest pain, no fever, productive cough for 3 days, HR 110, SpO2 93% on air, "
    "72-year-old man"
)
NOTES = {
    "the portal's note": NOTE,
    "measurements, medications and allergies": (
        "34 yo F c/o ?UTI, dysuria and frequency x 2/7. Temp 101.3 F, BP 150 over 90, RR 22, "
        "GCS 14. Urea 8.1, CRP 45 mg/L, glucose 180 mg/dL. Takes ramipril, not on warfarin. "
        "Allergic to penicillin (rash); allergic to elastoplast. FH: asthma. Previous DVT."
    ),
    "padded, decomposed and on several lines": (
        "  \n Cafe\u0301 owner, vomitting\n\tsince yesterday "
    ),
    "another language": "Больной жалуется на кашель и температуру уже три дня.",
}


@pytest.fixture(autouse=True)
def fresh_throttle_counts(empty_throttle_counts: None) -> None:
    """Every test starts with empty throttle counts."""


@pytest.fixture
async def stopped_worker_after() -> AsyncIterator[None]:
    yield
    worker.draining = False
    await worker.stop()


def clinical_rows() -> dict[str, int]:
    """How many rows each of the clinical app's tables holds."""
    return {
        model.__name__: model.objects.count()
        for model in apps.get_app_config("clinical").get_models()
    }


# ---- who may read notes ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_client_is_unauthenticated(api):
    response = api.post(READ, {"note": NOTE}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
def test_a_user_without_a_role_may_not_read_notes(api_as, make_user):
    nobody = make_user("norole", role=None)

    response = api_as(nobody).post(READ, {"note": NOTE}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "error": "Your role may not read notes: reading one is part of starting a diagnosis.",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clinician", "reviewer", "admin"])
def test_whoever_may_start_a_diagnosis_may_read_a_note(api_as, make_user, role):
    user = make_user(f"someone-{role}", role=role)

    response = api_as(user).post(READ, {"note": NOTE}, format="json")

    assert response.status_code == 200
    extracted = response.json()["extracted"]
    assert {item["id"] for item in extracted["negated"]} >= {"chest_pain", "fever"}
    assert extracted["vitals"]["heart_rate"]["text"] == "HR 110"
    assert extracted["history"]["age"]["value"] == 72
    assert extracted["history"]["sex"]["value"] == "male"
    for item in extracted["findings"] + extracted["negated"] + extracted["uncertain"]:
        assert NOTE[item["span"][0] : item["span"][1]] == item["text"]


@pytest.mark.django_db
def test_a_portal_page_reads_with_its_cookie_and_the_csrf_token(settings, clinician):
    """The portal posts with its session cookie, so CSRF applies: refused without the token."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clinician)
    browser.get("/accounts/login/")
    token = browser.cookies["csrftoken"].value
    body = json.dumps({"note": NOTE})

    refused = browser.post(READ, body, content_type="application/json")
    read = browser.post(READ, body, content_type="application/json", headers={"X-CSRFToken": token})

    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    assert read.status_code == 200 and read.json()["extracted"]["negated"]


# ---- the note's bounds ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field, message",
    [
        (
            {"note": "x" * (MAX_NOTE_CHARS + 1)},
            "note",
            "String should have at most 10000 characters",
        ),
        ({"note": "cough\x00 fever"}, "note", "must not contain control characters"),
        ({"note": "fever \x1b[31m"}, "note", "must not contain control characters"),
        ({"note": "   \n\t "}, "note", "must not be blank"),
        ({"note": ""}, "note", "must not be blank"),
        ({"note": 42}, "note", "Input should be a valid string"),
        ({"note": None}, "note", "Input should be a valid string"),
        ({}, "note", "this field is required"),
        ({"note": "cough", "history": {"age": 40}}, "history", "unknown field"),
        (["cough"], "non_field_errors", "The body must be a JSON object."),
    ],
)
def test_a_bad_body_is_a_validation_error_naming_the_field(api_as, clinician, body, field, message):
    response = api_as(clinician).post(READ, body, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "validation_error"
    assert answer["details"] == {field: [message]}
    assert answer["error"] == f"Invalid request: {field}: {message}"


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_validation_error(api_as, clinician):
    response = api_as(clinician).post(READ, '{"note": NaN}', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.django_db
def test_a_note_of_exactly_the_limit_is_read(api_as, clinician):
    note = ("cough " * (MAX_NOTE_CHARS // 6 + 1))[: MAX_NOTE_CHARS - 1] + "!"

    response = api_as(clinician).post(READ, {"note": note}, format="json")

    assert len(note) == MAX_NOTE_CHARS
    assert response.status_code == 200
    assert response.json()["extracted"]["findings"][0]["id"] == "cough"


# ---- nothing kept --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reading_a_note_stores_nothing_and_logs_no_patient_text(api_as, clinician, caplog):
    client = api_as(clinician)
    before = clinical_rows()
    caplog.set_level(logging.DEBUG)

    for note in NOTES.values():
        assert client.post(READ, {"note": note}, format="json").status_code == 200
    client.post(READ, {"note": "x" * (MAX_NOTE_CHARS + 1)}, format="json")

    assert clinical_rows() == before
    assert not any(text in caplog.text for text in ("chest pain", "dysuria", "кашель"))


# ---- its own rate ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reads_are_rate_limited_per_user_apart_from_stream_starts(api_as, clinician):
    assert api_settings.DEFAULT_THROTTLE_RATES["note_read"] == "60/minute"
    client = api_as(clinician)
    throttle = NoteReadThrottle()
    allowed, _ = throttle.parse_rate(throttle.rate)
    assert throttle.scope == "note_read"

    statuses = [
        client.post(READ, {"note": "cough"}, format="json").status_code for _ in range(allowed + 1)
    ]

    assert statuses == [200] * allowed + [429]
    limited = client.post(READ, {"note": "cough"}, format="json").json()
    assert limited["code"] == "rate_limited" and limited["retry_after"] > 0
    # Stream starts keep their own budget: an empty start is judged, not throttled.
    assert client.post("/api/sessions/diagnosis/", {}, format="json").status_code == 400


# ---- the same as the stream's --------------------------------------------------------------------


async def stream_extracted(client: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``extracted`` of the ``symptoms_analysis`` chunk of a real diagnosis stream, as stored."""
    started = await client.post("/api/sessions/diagnosis/", data)
    assert started.status_code == 201, started.json()
    frames = await poll_until_finished(client, started.json()["session"]["id"])
    (chunk,) = [
        frame
        for frame in frames
        if frame["type"] == "stream_chunk" and frame["stage"] == "symptoms_analysis"
    ]
    return chunk["content"]["extracted"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("note", list(NOTES.values()), ids=list(NOTES))
async def test_the_answer_is_what_a_diagnosis_stream_of_the_note_sends(
    stopped_worker_after, clinician, note
):
    client = await client_for(clinician)

    read = await client.post(READ, {"note": note})
    # The note alone, as the preview reads it; what the note does not state is given.
    stated = read.json()["extracted"]["history"]
    history = {k: v for k, v in {"age": 72, "sex": "male"}.items() if k not in stated}
    streamed = await stream_extracted(client, {"note": note, "history": history})

    assert read.status_code == 200
    assert read.json() == {"extracted": streamed}


@pytest.mark.django_db
def test_the_spans_point_into_the_note_as_it_is_sent(api_as, clinician):
    """The note is read as a diagnosis receives it (Unicode NFC, trimmed), the form the portal
    sends it in, so the spans shown before the stream are the spans the stream reports."""
    note = NOTES["padded, decomposed and on several lines"]
    sent = unicodedata.normalize("NFC", note).strip()

    extracted = api_as(clinician).post(READ, {"note": note}, format="json").json()["extracted"]

    (vomiting,) = extracted["findings"]
    assert vomiting["id"] == "vomiting" and vomiting["fuzzy"] is True
    assert sent[vomiting["span"][0] : vomiting["span"][1]] == vomiting["text"] == "vomitting"
    (since,) = extracted["timing"]
    assert sent[since["span"][0] : since["span"][1]] == since["text"] == "since yesterday"


# ---- the schema ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_documents_the_body_the_answer_and_each_error(api):
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"][READ]["post"]
    components = schema["components"]["schemas"]

    assert set(operation["responses"]) == {"200", "400", "401", "403", "413", "415", "429"}
    body = operation["requestBody"]["content"]
    assert list(body) == ["application/json"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/NoteReadRequest"}
    request = components["NoteReadRequest"]
    assert request["required"] == ["note"] and request["additionalProperties"] is False
    assert request["properties"]["note"]["maxLength"] == MAX_NOTE_CHARS
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    extracted = components[answer["$ref"].rsplit("/", 1)[1]]["properties"]["extracted"]
    assert set(components[extracted["allOf"][0]["$ref"].rsplit("/", 1)[1]]["properties"]) >= {
        "findings",
        "negated",
        "uncertain",
        "vitals",
        "labs",
        "history",
        "medications",
        "allergies",
        "nothing_extracted",
    }
    assert "stores nothing" in operation["description"]
