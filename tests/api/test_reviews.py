"""Reviews over REST: reviewers write them, whoever may see the session reads them."""

from __future__ import annotations

import pytest

from clinical.models import AuditEntry, Review
from clinical.streams.start import create_stream
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(clinician, diagnosis_request):
    return complete_session(clinician, "diagnosis", diagnosis_request)


def reviews_path(session) -> str:
    return f"/api/sessions/{session.id}/reviews/"


def test_a_reviewer_agrees_and_it_is_audited(api_as, reviewer, session):
    response = api_as(reviewer).post(reviews_path(session), {"verdict": "agree"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["verdict"] == "agree" and body["reviewer"] == "rita"
    assert body["session"] == str(session.id) and body["reviewed_at"]
    entry = AuditEntry.objects.get(action="reviewed")
    assert (entry.session_id, entry.actor, entry.channel) == (session.id, reviewer, "rest")


def test_a_correction_takes_its_name_from_the_knowledge_base(api_as, reviewer, session):
    response = api_as(reviewer).post(
        reviews_path(session),
        {"verdict": "disagree", "corrected_icd10": " j44.1 ", "comment": "Known COPD."},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["corrected_icd10"] == "J44.1"
    assert body["corrected_diagnosis"] == "Acute exacerbation of COPD"


def test_an_unknown_icd10_code_is_refused_with_close_ones(api_as, reviewer, session):
    response = api_as(reviewer).post(
        reviews_path(session), {"verdict": "disagree", "corrected_icd10": "J18.1"}, format="json"
    )

    assert response.status_code == 400
    message = response.json()["details"]["corrected_icd10"][0]
    assert message.startswith("'J18.1' is not the ICD-10 code of any condition in the knowledge")
    assert "Close ones: J18.9 Community-acquired pneumonia." in message
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"verdict": "maybe"}, "verdict", '"maybe" is not a valid choice.'),
        (
            {"verdict": "agree", "corrected_icd10": "J44.1"},
            "corrected_icd10",
            "Leave the corrected diagnosis empty when you agree.",
        ),
        (
            {"verdict": "disagree"},
            "comment",
            "Say why you disagree: give a corrected diagnosis or a comment.",
        ),
        (
            {"verdict": "disagree", "corrected_icd10": "J18.9"},
            "corrected_icd10",
            "J18.9 is the session's own diagnosis: choose agree, or another condition.",
        ),
        ({"verdict": "agree", "comment": "x" * 5001}, "comment", None),
    ],
)
def test_a_bad_review_names_the_field(api_as, reviewer, session, body, field, message):
    response = api_as(reviewer).post(reviews_path(session), body, format="json")

    assert response.status_code == 400
    details = response.json()["details"]
    assert list(details) == [field]
    assert message is None or details[field] == [message]


def test_a_running_session_cannot_be_reviewed_yet(api_as, reviewer, clinician, diagnosis_request):
    running = create_stream(clinician, "diagnosis", diagnosis_request, None)

    response = api_as(reviewer).post(reviews_path(running), {"verdict": "agree"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_state",
        "error": "This session is running: review it once it has finished.",
    }


def test_the_owner_may_not_review_their_own_session(api_as, clinician, session):
    response = api_as(clinician).post(reviews_path(session), {"verdict": "agree"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == "Only reviewers may review sessions."


def test_another_clinician_gets_not_found_for_reading_and_writing(api_as, colleague, session):
    client = api_as(colleague)

    posted = client.post(reviews_path(session), {"verdict": "agree"}, format="json")
    listed = client.get(reviews_path(session))

    assert posted.status_code == listed.status_code == 404
    assert posted.json() == listed.json() == {"code": "not_found", "error": "No such session."}


def test_reviews_are_a_history_newest_first(api_as, reviewer, clinician, session, make_user):
    senior = make_user("sam", role="reviewer")
    api_as(reviewer).post(
        reviews_path(session), {"verdict": "needs_follow_up", "comment": "CXR?"}, format="json"
    )
    api_as(senior).post(reviews_path(session), {"verdict": "agree"}, format="json")

    listed = api_as(clinician).get(reviews_path(session)).json()

    assert [(r["reviewer"], r["verdict"]) for r in listed] == [
        ("sam", "agree"),
        ("rita", "needs_follow_up"),
    ]
    assert listed[1]["comment"] == "CXR?"


def test_the_session_shows_its_latest_review(api_as, reviewer, clinician, session):
    api_as(reviewer).post(reviews_path(session), {"verdict": "agree"}, format="json")

    detail = api_as(clinician).get(f"/api/sessions/{session.id}/").json()

    assert detail["latest_review"]["verdict"] == "agree"
    assert detail["latest_review"]["reviewer"] == "rita"


def test_reviews_need_authentication(api, session):
    assert api.get(reviews_path(session)).status_code == 401
    assert api.post(reviews_path(session), {"verdict": "agree"}, format="json").status_code == 401


def test_a_reviewer_may_not_review_a_session_they_started(api_as, reviewer, diagnosis_request):
    own = complete_session(reviewer, "diagnosis", diagnosis_request)

    response = api_as(reviewer).post(reviews_path(own), {"verdict": "agree"}, format="json")

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["error"].startswith("You started this session, so you cannot review it")
    assert not Review.objects.exists()
    assert not AuditEntry.objects.filter(action="reviewed").exists()


def test_four_eyes_comes_before_the_reviews_own_rules(api_as, reviewer, diagnosis_request):
    """Even a review that breaks a rule is answered with the reason that settles it."""
    own = complete_session(reviewer, "diagnosis", diagnosis_request)

    response = api_as(reviewer).post(
        reviews_path(own), {"verdict": "disagree", "corrected_icd10": "Z99.9"}, format="json"
    )

    assert response.status_code == 403 and "You started this session" in response.json()["error"]
