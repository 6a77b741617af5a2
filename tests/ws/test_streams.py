"""Protocol v1 streams in process: the seed's four tests and the guarantees around them."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from clinical.consumers import _open_sockets
from clinical.models import StreamEvent, StreamSession
from clinical.streams.worker import worker

pytestmark = pytest.mark.django_db(transaction=True)

DIAGNOSIS_STAGES = [
    ("symptoms_analysis", 10),
    ("vitals_evaluation", 30),
    ("history_review", 50),
    ("differential_diagnosis", 70),
    ("primary_diagnosis", 90),
    ("complete", 100),
]
PRESCRIPTION_STAGES = [
    ("allergy_check", 10),
    ("medication_selection", 30),
    ("interaction_check", 60),
    ("monitoring_advice", 80),
    ("finalization", 95),
    ("complete", 100),
]


def stages(frames: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(f["stage"], f["progress"]) for f in frames if f["type"] == "progress"]


def assert_one_contiguous_session(frames: list[dict[str, Any]]) -> None:
    assert len({f["session_id"] for f in frames}) == 1
    assert [f["seq"] for f in frames] == list(range(len(frames)))
    assert all(f["timestamp"].endswith("Z") for f in frames)


async def stored_payloads(session_id: str) -> list[dict[str, Any]]:
    rows = StreamEvent.objects.filter(session_id=session_id).order_by("seq")
    return await sync_to_async(lambda: list(rows.values_list("payload", flat=True)))()


async def test_a_diagnosis_streams_every_stage_in_order(open_socket, clinician, diagnosis_request):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})

    frames = await socket.until_terminal()

    assert frames[0]["type"] == "accepted" and frames[0]["kind"] == "diagnosis"
    assert_one_contiguous_session(frames)
    assert stages(frames) == DIAGNOSIS_STAGES
    differential = [
        f["content"]
        for f in frames
        if f["type"] == "stream_chunk" and f["stage"] == "differential_diagnosis"
    ]
    assert differential and all(
        {"diagnosis", "icd10", "probability", "reasoning"} <= set(item) for item in differential
    )
    result = frames[-1]["result"]
    for field in (
        "primary_diagnosis",
        "icd10",
        "confidence",
        "urgency",
        "differential",
        "recommended_tests",
        "red_flags",
        "scores",
        "unrecognized_symptoms",
        "engine_version",
        "disclaimer",
    ):
        assert field in result, field
    assert result["urgency"] in {"emergency", "urgent", "routine", "self_care"}
    assert "news2" in result["scores"]


async def test_every_frame_sent_is_stored_exactly(open_socket, clinician, diagnosis_request):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    frames = await socket.until_terminal()

    assert await stored_payloads(frames[0]["session_id"]) == frames
    session = await StreamSession.objects.aget(id=frames[0]["session_id"])
    assert session.status == "completed"
    assert session.last_seq == frames[-1]["seq"]
    assert session.primary_diagnosis == frames[-1]["result"]["primary_diagnosis"]
    assert session.engine_version == frames[-1]["result"]["engine_version"]


async def test_a_prescription_streams_every_stage_in_order(
    open_socket, clinician, prescription_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "prescription", "data": prescription_request})

    frames = await socket.until_terminal()

    assert frames[0]["kind"] == "prescription"
    assert_one_contiguous_session(frames)
    assert stages(frames) == PRESCRIPTION_STAGES
    result = frames[-1]["result"]
    for field in (
        "diagnosis",
        "icd10",
        "medications",
        "excluded",
        "interactions",
        "monitoring",
        "follow_up",
        "warnings",
        "engine_version",
        "disclaimer",
    ):
        assert field in result, field
    assert not any("cillin" in m["name"].lower() for m in result["medications"])


async def test_a_prescription_may_follow_its_diagnosis_session(
    open_socket, clinician, diagnosis_request, prescription_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    diagnosis_id = (await socket.until_terminal())[0]["session_id"]

    await socket.send(
        {"type": "prescription", "data": prescription_request | {"session_id": diagnosis_id}}
    )
    frames = await socket.until_terminal()

    session = await StreamSession.objects.aget(id=frames[0]["session_id"])
    assert str(session.follows_id) == diagnosis_id


async def test_a_prescription_cannot_follow_another_users_session(
    open_socket, clinician, colleague, diagnosis_request, prescription_request
):
    theirs = await open_socket(colleague)
    await theirs.send({"type": "diagnosis", "data": diagnosis_request})
    their_id = (await theirs.until_terminal())[0]["session_id"]
    mine = await open_socket(clinician)

    await mine.send(
        {"type": "prescription", "data": prescription_request | {"session_id": their_id}}
    )

    assert (await mine.receive())["code"] == "not_found"
    assert not await StreamSession.objects.filter(owner=clinician).aexists()


async def test_request_id_is_echoed_on_every_frame_of_the_stream(
    open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request, "request_id": "r-17"})

    frames = await socket.until_terminal()

    assert {f.get("request_id") for f in frames} == {"r-17"}


async def test_a_users_other_socket_follows_the_stream_too(
    open_socket, clinician, diagnosis_request
):
    first = await open_socket(clinician)
    second = await open_socket(clinician)
    await first.send({"type": "diagnosis", "data": diagnosis_request})

    sent = await first.until_terminal()
    seen = await second.until_terminal()

    assert seen == sent


async def test_a_stream_goes_on_when_its_socket_drops(open_socket, clinician, diagnosis_request):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    accepted = await socket.receive()
    await socket.close()

    await worker.wait(accepted["session_id"])

    session = await StreamSession.objects.aget(id=accepted["session_id"])
    assert session.status == "completed"


@pytest.mark.parametrize("seen", [0, 1, 3, 7])
async def test_resume_after_a_drop_sends_every_later_event_exactly_once(
    open_socket, clinician, diagnosis_request, seen
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    received = [await socket.receive() for _ in range(seen + 1)]
    session_id = received[0]["session_id"]
    await socket.close()

    again = await open_socket(clinician)
    await again.send({"type": "resume", "data": {"session_id": session_id, "last_seq": seen}})
    rest = await again.until_terminal()

    everything = received + rest
    assert_one_contiguous_session(everything)
    assert everything == await stored_payloads(session_id)
    assert await again.silent()


async def test_resume_from_minus_one_replays_the_whole_session(
    open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    original = await socket.until_terminal()

    await socket.send(
        {"type": "resume", "data": {"session_id": original[0]["session_id"], "last_seq": -1}}
    )

    assert await socket.until_terminal() == original


async def test_resume_of_another_users_session_is_not_found(
    open_socket, clinician, colleague, diagnosis_request
):
    theirs = await open_socket(colleague)
    await theirs.send({"type": "diagnosis", "data": diagnosis_request})
    their_id = (await theirs.until_terminal())[0]["session_id"]
    mine = await open_socket(clinician)

    await mine.send({"type": "resume", "data": {"session_id": their_id, "last_seq": -1}})
    refusal = await mine.receive()
    await mine.send({"type": "resume", "data": {"session_id": "not-a-uuid", "last_seq": -1}})
    malformed = await mine.receive()

    assert refusal["code"] == malformed["code"] == "not_found"
    assert refusal["error"] == malformed["error"]


async def test_a_reviewer_may_resume_any_session(
    open_socket, clinician, reviewer, diagnosis_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    original = await socket.until_terminal()
    review = await open_socket(reviewer)

    await review.send(
        {"type": "resume", "data": {"session_id": original[0]["session_id"], "last_seq": -1}}
    )

    assert await review.until_terminal() == original


async def test_cancelling_a_finished_session_says_so(open_socket, clinician, diagnosis_request):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    session_id = (await socket.until_terminal())[0]["session_id"]

    await socket.send({"type": "cancel", "data": {"session_id": session_id}, "request_id": "c1"})

    error = await socket.receive()
    assert error["code"] == "invalid_state" and error["request_id"] == "c1"
    assert "completed" in error["error"]


async def test_cancelling_another_users_session_is_not_found(
    open_socket, clinician, colleague, diagnosis_request
):
    theirs = await open_socket(colleague)
    await theirs.send({"type": "diagnosis", "data": diagnosis_request})
    their_id = (await theirs.until_terminal())[0]["session_id"]
    mine = await open_socket(clinician)

    await mine.send({"type": "cancel", "data": {"session_id": their_id}})

    assert (await mine.receive())["code"] == "not_found"


async def test_resuming_a_finished_session_one_has_whole_follows_nothing(
    open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    frames = await socket.until_terminal()
    resume = {"session_id": frames[0]["session_id"], "last_seq": frames[-1]["seq"]}

    await socket.send({"type": "resume", "data": resume})

    assert await socket.silent()
    assert all(consumer.followers.followed() == [] for consumer in _open_sockets)
