"""The session list's filters and pagination."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clinical.models import StreamSession
from clinical.reviews import record_review
from clinical.streams.start import create_stream
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(clinician, reviewer, diagnosis_request, prescription_request):
    """An urgent diagnosis (reviewed: agree) from March, a prescription from May (urgent too:
    it carries its condition's urgency), and a diagnosis still running from July."""
    diagnosis = complete_session(clinician, "diagnosis", diagnosis_request)
    prescription = complete_session(clinician, "prescription", prescription_request)
    running = create_stream(clinician, "diagnosis", diagnosis_request, None)
    for session, month in ((diagnosis, 3), (prescription, 5), (running, 7)):
        StreamSession.objects.filter(pk=session.pk).update(
            created_at=datetime(2026, month, 1, 12, tzinfo=UTC)
        )
    record_review(diagnosis, reviewer, verdict="agree", channel="rest")
    return {"diagnosis": diagnosis, "prescription": prescription, "running": running}


def listed(client, query: str) -> list[str]:
    response = client.get(f"/api/sessions/?{query}")
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def ids(sessions, *names: str) -> list[str]:
    return [str(sessions[name].id) for name in names]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["running", "prescription", "diagnosis"]),
        ("kind=prescription", ["prescription"]),
        ("status=running", ["running"]),
        ("status=completed&kind=diagnosis", ["diagnosis"]),
        ("urgency=urgent", ["prescription", "diagnosis"]),
        ("urgency=emergency", []),
        ("created_after=2026-04-01", ["running", "prescription"]),
        ("created_before=2026-04-01", ["diagnosis"]),
        ("created_after=2026-04-01T00:00:00Z&created_before=2026-06-01", ["prescription"]),
        ("reviewed=true", ["diagnosis"]),
        ("reviewed=false", ["running", "prescription"]),
        ("verdict=agree", ["diagnosis"]),
        ("verdict=disagree", []),
    ],
)
def test_filters_select_sessions(api_as, clinician, sessions, query, expected):
    assert listed(api_as(clinician), query) == ids(sessions, *expected)


def test_a_reviewer_filters_everyones_sessions(
    api_as, reviewer, colleague, sessions, diagnosis_request
):
    theirs = complete_session(colleague, "diagnosis", diagnosis_request)

    assert listed(api_as(reviewer), "reviewed=false&kind=diagnosis") == [
        str(theirs.id),
        str(sessions["running"].id),
    ]


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("kind=chat", "kind", '"chat" is not a valid choice.'),
        ("urgency=soon", "urgency", '"soon" is not a valid choice.'),
        ("reviewed=perhaps", "reviewed", "Must be a valid boolean."),
        ("created_after=yesterday", "created_after", None),
        (
            "created_after=2026-05-01&created_before=2026-04-01",
            "created_before",
            "must be later than created_after",
        ),
    ],
)
def test_a_bad_filter_is_a_validation_error_naming_it(api_as, clinician, query, field, message):
    response = api_as(clinician).get(f"/api/sessions/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and list(body["details"]) == [field]
    assert message is None or body["details"][field] == [message]


def test_the_list_is_paginated(api_as, clinician, sessions):
    page = api_as(clinician).get("/api/sessions/?limit=2&offset=1").json()

    assert page["count"] == 3
    assert [s["id"] for s in page["results"]] == ids(sessions, "prescription", "diagnosis")
    assert page["previous"] and page["next"] is None


def test_a_page_holds_at_most_200(api_as, clinician, sessions):
    page = api_as(clinician).get("/api/sessions/?limit=100000").json()

    assert "limit=200" not in (page["next"] or "")
    assert len(page["results"]) == 3


def test_each_listed_session_shows_its_review_state(api_as, clinician, sessions):
    results = api_as(clinician).get("/api/sessions/").json()["results"]
    by_id = {item["id"]: item["latest_review"] for item in results}

    assert by_id[str(sessions["diagnosis"].id)]["verdict"] == "agree"
    assert by_id[str(sessions["prescription"].id)] is None
