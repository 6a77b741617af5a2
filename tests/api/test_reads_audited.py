"""Every REST read of a session is audited as ``viewed``: its detail, its events whatever
``after_seq`` (each poll reads patient data), its chat and its reviews; a read answered 404 or
400 records nothing."""

from __future__ import annotations

import uuid

import pytest

from clinical.models import AuditEntry
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db

READS = [
    "/api/sessions/{id}/",
    "/api/sessions/{id}/events/",
    "/api/sessions/{id}/events/?after_seq=-1",
    "/api/sessions/{id}/events/?after_seq=0",
    "/api/sessions/{id}/events/?after_seq=3",
    "/api/sessions/{id}/events/?after_seq=100000",
    "/api/sessions/{id}/chat/",
    "/api/sessions/{id}/reviews/",
]


@pytest.fixture
def session(clinician, diagnosis_request):
    return complete_session(clinician, "diagnosis", diagnosis_request)


def views() -> list[tuple[str, str, str, str]]:
    return [
        (entry.actor_name, entry.action, entry.channel, str(entry.session_ref))
        for entry in AuditEntry.objects.exclude(action="started").order_by("at", "id")
    ]


@pytest.mark.parametrize("path", READS)
def test_each_read_of_a_session_adds_one_viewed_entry(api_as, clinician, session, path):
    response = api_as(clinician).get(path.format(id=session.id))

    assert response.status_code == 200
    assert views() == [("alice", "viewed", "rest", str(session.id))]
    entry = AuditEntry.objects.get(action="viewed")
    assert entry.actor == clinician and entry.session_id == session.id
    assert entry.client == "127.0.0.1"


@pytest.mark.parametrize("path", READS)
def test_a_reviewer_reading_someone_elses_session_is_named(api_as, reviewer, session, path):
    assert api_as(reviewer).get(path.format(id=session.id)).status_code == 200

    assert views() == [("rita", "viewed", "rest", str(session.id))]


def test_polling_records_every_poll(api_as, clinician, session):
    client = api_as(clinician)
    for after_seq in (-1, 4, 9):
        client.get(f"/api/sessions/{session.id}/events/?after_seq={after_seq}")

    assert views() == [("alice", "viewed", "rest", str(session.id))] * 3


@pytest.mark.parametrize("path", READS)
def test_a_read_answered_not_found_records_nothing(api_as, clinician, colleague, session, path):
    someone_elses = api_as(colleague).get(path.format(id=session.id))
    missing = api_as(clinician).get(path.format(id=uuid.uuid4()))
    malformed = api_as(clinician).get(path.format(id="not-a-uuid"))

    assert [r.status_code for r in (someone_elses, missing, malformed)] == [404] * 3
    assert {r.json()["code"] for r in (someone_elses, missing, malformed)} == {"not_found"}
    assert views() == []


def test_a_bad_after_seq_records_nothing(api_as, clinician, session):
    response = api_as(clinician).get(f"/api/sessions/{session.id}/events/?after_seq=-2")

    assert response.status_code == 400
    assert views() == []


def test_writing_a_review_records_reviewed_not_viewed(api_as, reviewer, session):
    response = api_as(reviewer).post(
        f"/api/sessions/{session.id}/reviews/", {"verdict": "agree"}, format="json"
    )

    assert response.status_code == 201
    assert views() == [("rita", "reviewed", "rest", str(session.id))]
