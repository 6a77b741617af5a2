"""Isolation on one worker: a user resumes, cancels, reads and chats about only their own
sessions; a reviewer reads any through the review permission, and nothing else opens them.

Anything else is ``not_found``, answered exactly as a session that does not exist: the same
frame or body, after the same number of database queries (one lookup that filters by owner), so
neither the answer nor its timing class tells "exists but not yours" from "does not exist".
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinical.models import AuditEntry, ChatMessage, StreamSession
from clinical.streams.access import SessionNotFound, own_session, visible_session
from clinical.streams.start import create_stream
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db(transaction=True)

NOT_FOUND = {"type": "error", "code": "not_found", "error": "No such session."}


def without_timestamp(frame: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in frame.items() if key != "timestamp"}


def socket_message(kind: str, session_id: Any) -> dict[str, Any]:
    data = {
        "resume": {"session_id": str(session_id), "last_seq": -1},
        "cancel": {"session_id": str(session_id)},
        "chat": {"session_id": str(session_id), "message": "bed 4?"},
    }[kind]
    return {"type": kind, "data": data, "request_id": "probe"}


@pytest.fixture
def alices_session(clinician: Any, diagnosis_request: dict[str, Any]) -> StreamSession:
    return complete_session(clinician, "diagnosis", diagnosis_request)


@pytest.fixture
def alices_running_session(
    clinician: Any, diagnosis_request: dict[str, Any], settings: Any
) -> StreamSession:
    """Stored and leased, but run by no worker (until its 1 s lease lapses and a takeover runs
    it): only a cancel request could change it meanwhile."""
    settings.STREAM_LEASE_SECONDS = 1
    return create_stream(clinician, "diagnosis", diagnosis_request, None)


@pytest.mark.parametrize("kind", ["resume", "cancel", "chat"])
async def test_over_the_socket_someone_elses_session_is_answered_as_a_missing_one(
    open_socket, stranger, alices_running_session, kind
):
    socket = await open_socket(stranger)

    await socket.send(socket_message(kind, alices_running_session.id))
    theirs = await socket.receive()
    await socket.send(socket_message(kind, uuid.uuid4()))
    missing = await socket.receive()

    assert (
        without_timestamp(theirs)
        == without_timestamp(missing)
        == NOT_FOUND | {"request_id": "probe"}
    )
    session = await StreamSession.objects.aget(pk=alices_running_session.pk)
    assert not session.cancel_requested
    assert not await ChatMessage.objects.aexists()
    assert not await AuditEntry.objects.exclude(action="started").aexists()


async def test_a_reviewer_may_read_any_session_but_cancel_only_their_own(
    open_socket, reviewer, alices_running_session
):
    socket = await open_socket(reviewer)

    await socket.send(socket_message("cancel", alices_running_session.id))
    cancel = await socket.receive()
    await socket.send(socket_message("resume", alices_running_session.id))
    resumed = await socket.receive()

    assert cancel["code"] == "not_found"
    assert resumed["type"] == "accepted" and resumed["session_id"] == str(alices_running_session.id)


async def test_staff_status_without_the_review_permission_opens_nothing(
    open_socket, no_role, alices_session
):
    socket = await open_socket(no_role)

    for kind in ("resume", "cancel", "chat"):
        await socket.send(socket_message(kind, alices_session.id))
        assert (await socket.receive())["code"] == "not_found"


async def test_a_user_without_the_clinician_role_may_not_start_streams(
    open_socket, no_role, diagnosis_request, prescription_request
):
    socket = await open_socket(no_role)

    for kind, data in (("diagnosis", diagnosis_request), ("prescription", prescription_request)):
        await socket.send({"type": kind, "data": data, "request_id": kind})
        refusal = await socket.receive()
        assert refusal["code"] == "forbidden" and refusal["request_id"] == kind

    assert not await StreamSession.objects.aexists()
    assert not await AuditEntry.objects.aexists()
    unknown = "00000000-0000-4000-8000-000000000000"
    await socket.send({"type": "resume", "data": {"session_id": unknown, "last_seq": -1}})
    assert (await socket.receive())["code"] == "not_found"  # the socket still answers


# ---- REST ---------------------------------------------------------------------------------

SESSION_READS = ["", "events/", "events/?after_seq=-1", "chat/", "reviews/", "fhir/"]


def rest_answer(client: Any, method: str, path: str) -> tuple[int, Any, int]:
    """Status, body and the number of queries one request made."""
    with CaptureQueriesContext(connection) as queries:
        if method == "POST":
            response = client.post(path, {"verdict": "agree"}, format="json")
        else:
            response = client.get(path)
    return response.status_code, response.json(), len(queries)


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", suffix) for suffix in SESSION_READS] + [("POST", "reviews/")]
)
def test_over_rest_someone_elses_session_is_answered_as_a_missing_one(
    api_as, stranger, alices_session, method, suffix
):
    client = api_as(stranger)
    client.get("/api/sessions/")  # the token's first use, out of the comparison

    theirs = rest_answer(client, method, f"/api/sessions/{alices_session.id}/{suffix}")
    missing = rest_answer(client, method, f"/api/sessions/{uuid.uuid4()}/{suffix}")

    assert theirs == missing
    assert theirs[:2] == (404, {"code": "not_found", "error": "No such session."})
    assert not AuditEntry.objects.exclude(action="started").exists()


def test_over_rest_a_prescription_cannot_follow_someone_elses_diagnosis(
    api_as, stranger, alices_session, prescription_request
):
    body = prescription_request | {"session_id": str(alices_session.id)}

    response = api_as(stranger).post("/api/sessions/prescription/", body, format="json")

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert StreamSession.objects.count() == 1


def test_over_rest_a_reviewer_reads_any_session_and_the_owner_their_own(
    api_as, clinician, reviewer, alices_session
):
    for user in (clinician, reviewer):
        client = api_as(user)
        for suffix in SESSION_READS:
            response = client.get(f"/api/sessions/{alices_session.id}/{suffix}")
            assert response.status_code == 200, (user.username, suffix, response.json())


def test_over_rest_staff_status_without_the_review_permission_opens_nothing(
    api_as, no_role, alices_session
):
    client = api_as(no_role)

    assert client.get("/api/sessions/").json()["count"] == 0
    for suffix in SESSION_READS:
        assert client.get(f"/api/sessions/{alices_session.id}/{suffix}").status_code == 404


# ---- the lookups themselves ---------------------------------------------------------------


@pytest.mark.parametrize("lookup", [visible_session, own_session])
def test_a_lookup_costs_one_query_whether_the_session_is_someone_elses_or_missing(
    django_assert_num_queries, stranger, alices_session, lookup
):
    stranger.has_perm("clinical.review_streamsession")  # permissions cached, as on a socket
    for session_id in (alices_session.id, uuid.uuid4()):
        with django_assert_num_queries(1), pytest.raises(SessionNotFound):
            lookup(stranger, str(session_id))


def test_malformed_ids_are_not_found_without_a_query(django_assert_num_queries, stranger):
    stranger.has_perm("clinical.review_streamsession")
    for session_id in ("not-a-uuid", 42, None, ["x"], "x" * 10_000):
        with django_assert_num_queries(0), pytest.raises(SessionNotFound):
            visible_session(stranger, session_id)
