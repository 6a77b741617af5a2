"""The review form on a session's page."""

from __future__ import annotations

import pytest

from clinical.models import AuditEntry, Review, StreamSession
from clinical.streams.start import create_stream
from tests.admin.conftest import session_url
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db


def review(client, session, **fields):
    return client.post(session_url(session), {"corrected_icd10": "", "comment": "", **fields})


def test_a_review_is_saved_with_reviewer_and_time(reviewer_client, senior, diagnosis_session):
    response = review(reviewer_client, diagnosis_session, verdict="agree", comment="Sound.")

    assert response.status_code == 302 and response["Location"] == session_url(diagnosis_session)
    saved = Review.objects.get()
    assert (saved.session, saved.reviewer, saved.verdict) == (diagnosis_session, senior, "agree")
    assert saved.comment == "Sound." and saved.reviewed_at is not None
    assert AuditEntry.objects.filter(action="reviewed", channel="admin", actor=senior).count() == 1


def test_the_saved_review_shows_on_the_page(reviewer_client, diagnosis_session):
    page = review(
        reviewer_client,
        diagnosis_session,
        verdict="disagree",
        corrected_icd10="j44.1",
        comment="Known COPD, no consolidation.",
    )

    html = reviewer_client.get(page["Location"]).content.decode()
    assert "Your review is saved." in html
    assert "Acute exacerbation of COPD (J44.1)" in html
    assert "Known COPD, no consolidation." in html


def test_a_bad_icd10_code_is_a_clear_error_and_nothing_is_saved(reviewer_client, diagnosis_session):
    response = review(
        reviewer_client, diagnosis_session, verdict="disagree", corrected_icd10="Z99.9"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "&#x27;Z99.9&#x27; is not the ICD-10 code of any condition in the knowledge base." in html
    )
    assert 'class="form-row errors"' in html
    assert not Review.objects.exists()
    assert not AuditEntry.objects.filter(action="reviewed").exists()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"verdict": "agree", "corrected_icd10": "J44.1"}, "Leave the corrected diagnosis empty"),
        ({"verdict": "disagree"}, "Say why you disagree"),
        ({"verdict": ""}, "This field is required."),
        ({"verdict": "perhaps"}, "Select a valid choice."),
    ],
)
def test_an_incomplete_review_says_what_is_missing(
    reviewer_client, diagnosis_session, fields, message
):
    response = review(reviewer_client, diagnosis_session, **fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Review.objects.exists()


def test_a_running_session_cannot_be_reviewed(reviewer_client, clinician, diagnosis_request):
    running = create_stream(clinician, "diagnosis", diagnosis_request, None)

    response = review(reviewer_client, running, verdict="agree")

    assert response.status_code == 200
    assert "This session is running: review it once it has finished." in response.content.decode()
    assert not Review.objects.exists()


def test_posting_the_page_never_changes_the_session(reviewer_client, diagnosis_session):
    review(reviewer_client, diagnosis_session, verdict="agree", status="failed", icd10="X00")

    stored = StreamSession.objects.get(pk=diagnosis_session.pk)
    assert (stored.status, stored.icd10) == ("completed", "J18.9")


@pytest.fixture
def own_session(senior, diagnosis_request):
    return complete_session(senior, "diagnosis", diagnosis_request)


def test_a_session_you_started_shows_why_you_cannot_review_it_and_no_form(
    reviewer_client, own_session
):
    html = reviewer_client.get(session_url(own_session)).content.decode()

    assert 'data-testid="four-eyes"' in html and "You started this session" in html
    assert "Save review" not in html


def test_posting_a_review_of_a_session_you_started_is_refused(reviewer_client, own_session):
    response = review(reviewer_client, own_session, verdict="agree")

    assert response.status_code == 200
    assert 'class="errornote"' in response.content.decode()
    assert "You started this session" in response.content.decode()
    assert not Review.objects.exists()
