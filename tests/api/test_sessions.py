"""Sessions and their stored events over REST: your own only, unless you are a reviewer."""

from __future__ import annotations

import pytest

from clinical.streams import store
from clinical.streams.runner import StreamRun
from clinical.streams.start import create_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_session(clinician, diagnosis_request):
    """A diagnosis session run to completion through the store, as a worker runs it."""
    session = create_stream(clinician, "diagnosis", diagnosis_request, "r1")
    frames = list(StreamRun.of(session).frames())
    result = frames[-1]["result"]
    store.append_events(
        session.id,
        "diagnosis",
        frames,
        worker_id=session.worker_id,
        lease_seconds=5,
        finish=store.Finish(status="completed", result=result),
    )
    session.refresh_from_db()
    return session, frames


def test_a_clinician_lists_only_their_sessions(api_as, clinician, colleague, finished_session):
    mine = api_as(clinician).get("/api/sessions/").json()
    theirs = api_as(colleague).get("/api/sessions/").json()

    assert [s["id"] for s in mine["results"]] == [str(finished_session[0].id)]
    assert theirs["results"] == []


def test_a_reviewer_lists_everyones_sessions(api_as, reviewer, finished_session):
    listed = api_as(reviewer).get("/api/sessions/").json()

    assert listed["count"] == 1


def test_another_users_session_is_not_found(api_as, colleague, finished_session):
    session, _ = finished_session

    for path in (f"/api/sessions/{session.id}/", f"/api/sessions/{session.id}/events/"):
        response = api_as(colleague).get(path)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "error": "No such session."}


def test_a_session_shows_its_request_and_result(api_as, clinician, finished_session):
    session, frames = finished_session

    body = api_as(clinician).get(f"/api/sessions/{session.id}/").json()

    assert body["status"] == "completed"
    assert body["result"] == frames[-1]["result"]
    assert body["request"]["history"]["age"] == 72


def test_polling_events_pages_by_seq(api_as, clinician, finished_session):
    session, frames = finished_session
    client = api_as(clinician)

    first = client.get(f"/api/sessions/{session.id}/events/?after_seq=-1").json()
    later = client.get(f"/api/sessions/{session.id}/events/?after_seq=4").json()
    none_left = client.get(f"/api/sessions/{session.id}/events/?after_seq={len(frames) - 1}").json()

    assert first["events"] == frames and first["finished"] is True
    assert [e["seq"] for e in later["events"]] == list(range(5, len(frames)))
    assert none_left["events"] == [] and none_left["last_seq"] == len(frames) - 1


@pytest.mark.parametrize("after_seq", ["x", "-2", "1.5"])
def test_a_bad_after_seq_is_a_validation_error(api_as, clinician, finished_session, after_seq):
    session, _ = finished_session

    response = api_as(clinician).get(f"/api/sessions/{session.id}/events/?after_seq={after_seq}")

    assert response.status_code == 400
    assert "after_seq" in response.json()["details"]


def test_a_sessions_chat_is_listed_oldest_first(api_as, clinician, reviewer, finished_session):
    from clinical.streams.chat import post_chat

    session, _ = finished_session
    post_chat(clinician, {"message": "first", "session_id": str(session.id)})
    post_chat(reviewer, {"message": "second", "session_id": str(session.id)})

    listed = api_as(clinician).get(f"/api/sessions/{session.id}/chat/").json()

    assert [m["message"]["text"] for m in listed] == ["first", "second"]
    assert listed[1]["message"]["author"] == "Rita"


def test_another_users_session_chat_is_not_found(api_as, colleague, finished_session):
    session, _ = finished_session

    assert api_as(colleague).get(f"/api/sessions/{session.id}/chat/").status_code == 404


def test_the_team_room_is_listed(api_as, clinician, colleague):
    from clinical.streams.chat import post_chat

    post_chat(colleague, {"message": "handover at 8"})

    listed = api_as(clinician).get("/api/chat/team/").json()

    assert [m["message"]["text"] for m in listed] == ["handover at 8"]
