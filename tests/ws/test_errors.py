"""Every error code of protocol v1: each answered with an error frame, the socket kept open."""

from __future__ import annotations

import pytest

from clinical.models import StreamEvent, StreamSession

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_still_serving(socket) -> None:
    """The socket still answers a valid message after the bad one."""
    await socket.send({"type": "chat", "data": {"message": "still here?"}})
    assert (await socket.receive())["type"] == "chat"


async def nothing_stored() -> bool:
    return not await StreamSession.objects.aexists() and not await StreamEvent.objects.aexists()


async def test_an_unknown_type_is_an_error_and_the_socket_stays_open(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send({"type": "invalid_type", "data": {}})
    error = await socket.receive()

    assert error["type"] == "error" and error["code"] == "unknown_type"
    assert "invalid_type" in error["error"]
    assert error["timestamp"].endswith("Z")
    await assert_still_serving(socket)


@pytest.mark.parametrize("text", ["{not json", "   ", "NaN", '{"type": "chat", "data": Infinity}'])
async def test_invalid_json_is_an_error_not_a_crash(open_socket, clinician, text):
    socket = await open_socket(clinician)

    await socket.send_text(text)

    assert (await socket.receive())["code"] == "invalid_json"
    await assert_still_serving(socket)


async def test_a_binary_frame_is_an_error_not_a_crash(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send_bytes(b"\x00\xff{}")

    assert (await socket.receive())["code"] == "invalid_json"
    await assert_still_serving(socket)


async def test_deeply_nested_json_is_an_error(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send_text("[" * 2000 + "]" * 2000)

    assert (await socket.receive())["code"] == "invalid_json"
    await assert_still_serving(socket)


@pytest.mark.parametrize("message", [[1, 2], "diagnosis", 42, None])
async def test_a_message_that_is_not_an_object_is_a_validation_error(
    open_socket, clinician, message
):
    socket = await open_socket(clinician)

    await socket.send(message)

    assert (await socket.receive())["code"] == "validation_error"
    await assert_still_serving(socket)


async def test_an_invalid_diagnosis_names_each_field_and_stores_nothing(
    open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    diagnosis_request["vitals"]["heart_rate"] = 900
    diagnosis_request["history"]["sex"] = "robot"

    await socket.send({"type": "diagnosis", "data": diagnosis_request, "request_id": "bad-1"})
    error = await socket.receive()

    assert error["code"] == "validation_error"
    assert error["request_id"] == "bad-1"
    assert set(error["details"]) == {"vitals.heart_rate", "history.sex"}
    assert "300" in error["details"]["vitals.heart_rate"][0]
    assert await nothing_stored()
    await assert_still_serving(socket)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (None, "data"),
        # A structured request (no note) without age or sex: each is named. A note that
        # states neither is diagnosed with a labelled fallback (tests/engine: test_note_alone).
        ({"symptoms": ["cough"]}, "history.age"),
        ({"symptoms": ["cough"], "history": {"age": 30}}, "history.sex"),
        ({"symptoms": ["cough"], "history": {"age": 30, "sex": "male"}, "mood": "x"}, "mood"),
        ({"symptoms": [], "history": {"age": 30, "sex": "male"}}, "non_field_errors"),
    ],
)
async def test_a_malformed_diagnosis_is_a_validation_error(open_socket, clinician, data, field):
    socket = await open_socket(clinician)

    await socket.send({"type": "diagnosis", "data": data})
    error = await socket.receive()

    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert await nothing_stored()


async def test_an_unknown_diagnosis_to_prescribe_lists_close_matches(
    open_socket, clinician, prescription_request
):
    socket = await open_socket(clinician)
    prescription_request["diagnosis"] = "pneumonai"

    await socket.send({"type": "prescription", "data": prescription_request})
    error = await socket.receive()

    assert error["code"] == "validation_error"
    assert "diagnosis" in error["details"]
    assert "pneumonia" in error["details"]["diagnosis"][0].lower()
    assert await nothing_stored()


async def test_an_unknown_top_level_field_is_a_validation_error(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send({"type": "chat", "data": {"message": "hi"}, "colour": "blue"})

    assert (await socket.receive())["details"] == {"colour": ["unknown field"]}


async def test_a_request_id_that_is_not_a_short_string_is_refused(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send({"type": "chat", "data": {"message": "hi"}, "request_id": "x" * 101})

    error = await socket.receive()
    assert error["code"] == "validation_error" and "request_id" in error["details"]


@pytest.mark.parametrize(
    "data",
    [
        {"session_id": "0b0e7c2e-0000-4000-8000-000000000000", "last_seq": "3"},
        {"session_id": "0b0e7c2e-0000-4000-8000-000000000000", "last_seq": -2},
        {"session_id": "0b0e7c2e-0000-4000-8000-000000000000", "from": 1},
        "resume",
    ],
)
async def test_a_malformed_resume_is_a_validation_error(open_socket, clinician, data):
    socket = await open_socket(clinician)

    await socket.send({"type": "resume", "data": data})

    assert (await socket.receive())["code"] == "validation_error"


async def test_an_oversized_frame_closes_the_socket_with_1009(open_socket, clinician, settings):
    settings.WS_MAX_FRAME_BYTES = 4096
    socket = await open_socket(clinician)

    await socket.send({"type": "chat", "data": {"message": "é" * 3000}})

    assert await socket.closed_with() == 1009
