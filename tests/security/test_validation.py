"""Every field bounded, over the socket and over REST: impossible vital signs name their field,
lists, strings, numbers and nesting have limits, text is normalised, and nothing invalid is
stored (no session, no event, no audit entry)."""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

import pytest

from clinical.models import AuditEntry, ChatMessage, StreamEvent, StreamSession
from clinical.streams.start import create_stream
from tests.conftest import DIAGNOSIS_REQUEST, PRESCRIPTION_REQUEST

pytestmark = pytest.mark.django_db(transaction=True)


def with_value(request: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``request`` with the field at dotted ``path`` set to ``value``."""
    changed = copy.deepcopy(request)
    *parents, name = path.split(".")
    target = changed
    for part in parents:
        target = target.setdefault(part, {})
    target[name] = value
    return changed


IMPOSSIBLE_DIAGNOSES = [
    ("vitals.temperature", 19.9),
    ("vitals.temperature", 45.1),
    ("vitals.heart_rate", 19),
    ("vitals.heart_rate", 301),
    ("vitals.respiratory_rate", 2),
    ("vitals.respiratory_rate", 81),
    ("vitals.oxygen_saturation", 49),
    ("vitals.oxygen_saturation", 100.5),
    ("vitals.blood_pressure", "310/80"),
    ("vitals.blood_pressure", "120/130"),
    ("vitals.blood_pressure", "120/10"),
    ("history.age", 121),
    ("history.age", -1),
    ("labs.potassium_mmol_l", 15),
]


async def stored_nothing() -> bool:
    return not (
        await StreamSession.objects.aexists()
        or await StreamEvent.objects.aexists()
        or await AuditEntry.objects.aexists()
    )


async def test_every_impossible_vital_sign_is_a_validation_error_naming_its_field(
    open_socket, clinician
):
    socket = await open_socket(clinician)

    for path, value in IMPOSSIBLE_DIAGNOSES:
        data = with_value(DIAGNOSIS_REQUEST, path, value)
        await socket.send({"type": "diagnosis", "data": data})
        error = await socket.receive()
        assert error["code"] == "validation_error", (path, value, error)
        assert list(error["details"]) == [path], (path, value, error)

    assert await stored_nothing()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("patient_info.weight", 351, "patient_info.weight"),
        ("patient_info.weight", 0.1, "patient_info.weight"),
        ("patient_info.age", 130, "patient_info.age"),
        ("patient_info.egfr", 250, "patient_info.egfr"),
        ("allergies", ["x"] * 51, "allergies"),
        ("diagnosis", "x" * 201, "diagnosis"),
    ],
)
async def test_an_impossible_prescription_names_its_field(
    open_socket, clinician, path, value, field
):
    socket = await open_socket(clinician)

    await socket.send(
        {"type": "prescription", "data": with_value(PRESCRIPTION_REQUEST, path, value)}
    )
    error = await socket.receive()

    assert error["code"] == "validation_error" and field in error["details"]
    assert await stored_nothing()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("symptoms", ["cough"] * 51, "symptoms"),
        ("history.allergies", ["penicillin"] * 51, "history.allergies"),
        ("note", "x" * 10_001, "note"),
        ("symptoms", ["x" * 201], "symptoms.0.name"),
        ("symptoms", [{"name": "cough", "duration": "d" * 101}], "symptoms.0.duration"),
        ("symptoms", ["cough\x00"], "symptoms.0.name"),
        ("symptoms", ["cough\x1b[31m"], "symptoms.0.name"),
        ("vitals.heart_rate", True, "vitals.heart_rate"),
        ("vitals.heart_rate", "90", "vitals.heart_rate"),
        ("vitals.heart_rate", 10**18, "vitals.heart_rate"),
        ("history.sex", ["male"], "history.sex"),
    ],
)
async def test_lists_strings_and_numbers_are_bounded(open_socket, clinician, path, value, field):
    socket = await open_socket(clinician)

    await socket.send({"type": "diagnosis", "data": with_value(DIAGNOSIS_REQUEST, path, value)})
    error = await socket.receive()

    assert error["code"] == "validation_error" and field in error["details"], error
    assert await stored_nothing()


async def test_a_message_nested_past_the_protocols_depth_is_refused(open_socket, clinician):
    socket = await open_socket(clinician)
    deep: Any = "leaf"
    for _ in range(20):
        deep = {"x": deep}

    await socket.send({"type": "diagnosis", "data": deep})
    error = await socket.receive()
    await socket.send({"type": "diagnosis", "data": with_value(DIAGNOSIS_REQUEST, "note", [[[1]]])})
    shallow = await socket.receive()

    assert error["code"] == "validation_error" and "nest deeper" in error["details"]["data"][0]
    assert shallow["code"] == "validation_error" and "note" in shallow["details"]
    assert await stored_nothing()


@pytest.mark.parametrize("request_id", ["a\x00b", "line\nbreak", "\x7f"])
async def test_a_request_id_with_control_characters_is_refused(open_socket, clinician, request_id):
    socket = await open_socket(clinician)

    await socket.send({"type": "diagnosis", "data": DIAGNOSIS_REQUEST, "request_id": request_id})
    error = await socket.receive()

    assert error["code"] == "validation_error" and "request_id" in error["details"]
    assert await stored_nothing()


async def test_chat_text_is_bounded_and_free_of_control_characters(open_socket, clinician):
    socket = await open_socket(clinician)

    for text in ("x" * 2001, "bell\x07", "   ", 42):
        await socket.send({"type": "chat", "data": {"message": text}})
        assert (await socket.receive())["code"] == "validation_error"


@pytest.mark.parametrize("character", ["\u202e", "\u200b", "\u2066", "\ufeff"])
async def test_a_request_id_or_chat_text_with_an_invisible_formatting_character_is_refused(
    open_socket, clinician, character
):
    """As names are (the engine's one rule): the error names the character."""
    socket = await open_socket(clinician)
    code = f"U+{ord(character):04X}"

    await socket.send(
        {"type": "diagnosis", "data": DIAGNOSIS_REQUEST, "request_id": f"id{character}1"}
    )
    refused_id = await socket.receive()
    await socket.send({"type": "chat", "data": {"message": f"dose {character}01 gm"}})
    refused_chat = await socket.receive()

    assert code in refused_id["details"]["request_id"][0]
    assert code in refused_chat["details"]["message"][0]
    assert await stored_nothing()
    assert not await ChatMessage.objects.aexists()


def test_text_is_stored_in_one_unicode_normal_form(clinician):
    decomposed = unicodedata.normalize("NFD", "Zoë's fever")
    data = DIAGNOSIS_REQUEST | {"symptoms": [decomposed], "note": decomposed}

    session = create_stream(clinician, "diagnosis", data, None)

    assert session.request["symptoms"][0]["name"] == unicodedata.normalize("NFC", decomposed)
    assert session.request["note"] == unicodedata.normalize("NFC", decomposed)


# ---- REST: the same rules through the same model --------------------------------------------


def post_raw(client: Any, body: str) -> Any:
    return client.post("/api/sessions/diagnosis/", body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (json.dumps(with_value(DIAGNOSIS_REQUEST, "vitals.heart_rate", 900)), "vitals.heart_rate"),
        # REST bodies go through the socket's JSON codec, which refuses an infinite number and
        # a lone surrogate as not JSON at all (no field to name), as the socket does.
        ('{"symptoms": ["cough"], "history": {"age": 1e400, "sex": "male"}}', None),
        ('{"symptoms": ["cough"], "history": {"age": NaN, "sex": "male"}}', None),
        ('{"symptoms": ["\\ud800"], "history": {"age": 30, "sex": "male"}}', None),
        (
            '{"symptoms": ["cough"], "history": {"age": 30, "sex": "male"}, '
            '"request_id": "\\u0000"}',
            "request_id",
        ),
        (
            '{"symptoms": ["cough"], "history": {"age": 30, "sex": "male"}, '
            '"request_id": "a\\u202eb"}',
            "request_id",
        ),
        ('{"symptoms": ["cough"], "history": {"age": 3' + "0" * 5000 + ', "sex": "male"}}', None),
    ],
)
def test_rest_applies_the_same_bounds_and_stores_nothing(api_as, clinician, body, field):
    response = post_raw(api_as(clinician), body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    if field:
        assert field in response.json()["details"]
    assert not StreamSession.objects.exists() and not AuditEntry.objects.exists()
