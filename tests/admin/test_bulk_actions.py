"""Bulk actions: mark as reviewed (agree) after a confirmation, and export CSV."""

from __future__ import annotations

import csv
import io

import pytest

from clinical.models import AuditEntry, Review, StreamSession
from clinical.reviews import record_review
from clinical.streams.start import create_stream
from tests.admin.conftest import SESSIONS
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db


def act(client, action: str, sessions, **extra):
    return client.post(
        SESSIONS,
        {"action": action, "_selected_action": [str(s.pk) for s in sessions], **extra},
    )


@pytest.fixture
def running(clinician, diagnosis_request):
    return create_stream(clinician, "diagnosis", diagnosis_request, None)


def test_marking_reviewed_asks_first_and_says_what_it_will_skip(
    reviewer_client, diagnosis_session, prescription_session, running
):
    response = act(
        reviewer_client, "mark_reviewed_agree", [diagnosis_session, prescription_session, running]
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Record your review “agree” for these 2 sessions?" in html
    assert f"{str(running.pk)[:8]}: still running" in html
    assert not Review.objects.exists()


def test_confirming_records_an_agree_review_for_each(
    reviewer_client, senior, diagnosis_session, prescription_session, running
):
    response = act(
        reviewer_client,
        "mark_reviewed_agree",
        [diagnosis_session, prescription_session, running],
        confirmed="yes",
    )

    assert response.status_code == 302
    reviews = Review.objects.order_by("session__created_at")
    assert [(r.session, r.verdict, r.reviewer) for r in reviews] == [
        (diagnosis_session, "agree", senior),
        (prescription_session, "agree", senior),
    ]
    assert AuditEntry.objects.filter(action="reviewed", channel="admin").count() == 2


def test_sessions_you_reviewed_already_are_skipped(reviewer_client, senior, diagnosis_session):
    record_review(diagnosis_session, senior, verdict="needs_follow_up", channel="admin")

    response = act(reviewer_client, "mark_reviewed_agree", [diagnosis_session])

    assert "you have already reviewed it" in response.content.decode()
    assert "None of the selected sessions can be marked as reviewed." in response.content.decode()


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_sessions_you_started_are_skipped_saying_so(
    reviewer_client, senior, diagnosis_session, diagnosis_request
):
    own = complete_session(senior, "diagnosis", diagnosis_request)

    asked = act(reviewer_client, "mark_reviewed_agree", [own, diagnosis_session])
    act(reviewer_client, "mark_reviewed_agree", [own, diagnosis_session], confirmed="yes")

    assert f"{str(own.pk)[:8]}: you started it: another reviewer reviews it" in (
        asked.content.decode()
    )
    assert [review.session for review in Review.objects.all()] == [diagnosis_session]


def test_the_csv_holds_one_row_per_session(
    reviewer_client, senior, diagnosis_session, prescription_session
):
    record_review(diagnosis_session, senior, verdict="agree", channel="admin")

    response = act(reviewer_client, "export_csv", [diagnosis_session, prescription_session])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="medstream-sessions-')
    rows = {row["session_id"]: row for row in read_csv(response)}
    diagnosis = rows[str(diagnosis_session.pk)]
    assert diagnosis | {
        "created_at": "",
        "finished_at": "",
        "reviewed_at": "",
        "engine_version": "",
    } == {
        "session_id": str(diagnosis_session.pk),
        "clinician": "alice",
        "clinician_name": "Alice",
        "kind": "diagnosis",
        "status": "completed",
        "diagnosis": "Community-acquired pneumonia",
        "icd10": "J18.9",
        "urgency": "urgent",
        "created_at": "",
        "finished_at": "",
        "engine_version": "",
        "review_verdict": "agree",
        "reviewed_by": "rose",
        "reviewed_at": "",
    }
    assert diagnosis["created_at"].startswith(diagnosis_session.created_at.date().isoformat())
    assert diagnosis["reviewed_at"]
    prescription = rows[str(prescription_session.pk)]
    assert (prescription["kind"], prescription["icd10"], prescription["review_verdict"]) == (
        "prescription",
        "I24.9",
        "",
    )


def test_each_exported_session_is_audited(
    reviewer_client, senior, diagnosis_session, prescription_session
):
    act(reviewer_client, "export_csv", [diagnosis_session, prescription_session])

    exported = AuditEntry.objects.filter(action="exported", channel="admin", actor=senior)
    assert set(exported.values_list("session_id", flat=True)) == {
        diagnosis_session.pk,
        prescription_session.pk,
    }


def test_a_cell_that_looks_like_a_formula_is_quoted(reviewer_client, diagnosis_session):
    StreamSession.objects.filter(pk=diagnosis_session.pk).update(primary_diagnosis="=HYPERLINK(1)")

    (row,) = read_csv(act(reviewer_client, "export_csv", [diagnosis_session]))

    assert row["diagnosis"] == "'=HYPERLINK(1)"
