"""Only reviewers and admins see the review UI; nothing in it edits or deletes a record."""

from __future__ import annotations

import pytest
from django.test import Client

from clinical.models import AuditEntry, StreamSession
from tests.admin.conftest import SESSIONS, session_url

pytestmark = pytest.mark.django_db

RECORDS = [SESSIONS, "/admin/clinical/auditentry/", "/admin/clinical/review/"]


@pytest.mark.parametrize("path", RECORDS)
def test_a_clinician_with_staff_status_is_refused(staff_clinician_client, path):
    assert staff_clinician_client.get(path).status_code == 403


def test_a_clinician_with_staff_status_is_refused_a_session_page(
    staff_clinician_client, diagnosis_session
):
    assert staff_clinician_client.get(session_url(diagnosis_session)).status_code == 403
    assert not AuditEntry.objects.filter(action="viewed").exists()


def test_a_clinician_sees_no_clinical_records_on_the_admin_index(staff_clinician_client):
    html = staff_clinician_client.get("/admin/").content.decode()

    assert "Stream sessions" not in html and "Audit entries" not in html


def test_someone_not_signed_in_is_sent_to_the_login(diagnosis_session):
    response = Client().get(session_url(diagnosis_session))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("path", RECORDS)
def test_a_reviewer_sees_the_records(reviewer_client, path):
    assert reviewer_client.get(path).status_code == 200


def test_an_admin_sees_the_records(staff, diagnosis_session):
    client = Client()
    client.force_login(staff("ada", "admin"))

    assert client.get(SESSIONS).status_code == 200
    assert client.get(session_url(diagnosis_session)).status_code == 200


def test_sessions_cannot_be_added_or_deleted(reviewer_client, diagnosis_session):
    assert reviewer_client.get(f"{SESSIONS}add/").status_code == 403
    deleted = reviewer_client.post(f"{SESSIONS}{diagnosis_session.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert StreamSession.objects.filter(pk=diagnosis_session.pk).exists()


def test_the_delete_action_is_not_offered(reviewer_client, diagnosis_session):
    html = reviewer_client.get(SESSIONS).content.decode()

    assert 'value="delete_selected"' not in html
    assert 'value="mark_reviewed_agree"' in html and 'value="export_csv"' in html


def test_audit_entries_are_listed_read_only_with_filters(reviewer_client, diagnosis_session):
    entry = AuditEntry.objects.get(action="started")

    listing = reviewer_client.get(
        "/admin/clinical/auditentry/?action__exact=started&channel__exact=websocket"
    )
    page = reviewer_client.get(f"/admin/clinical/auditentry/{entry.pk}/change/")
    deleted = reviewer_client.post(
        f"/admin/clinical/auditentry/{entry.pk}/delete/", {"post": "yes"}
    )

    assert listing.status_code == 200 and "1 audit entry" in listing.content.decode()
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert deleted.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_entries_are_found_by_session_id(reviewer_client, diagnosis_session):
    response = reviewer_client.get(f"/admin/clinical/auditentry/?q={diagnosis_session.id}")

    assert "1 audit entry" in response.content.decode()
