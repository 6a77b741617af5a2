"""GET /api/sessions/{id}/fhir/: who may export, in which media type, and the audit it leaves."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle
from rest_framework.test import APIClient

from clinical.models import AuditEntry
from clinical.streams.start import create_stream

pytestmark = pytest.mark.django_db


def fhir_path(session) -> str:
    return f"/api/sessions/{session.id}/fhir/"


def test_the_owner_exports_fhir_json_and_it_is_audited(api_as, clinician, diagnosis_session):
    response = api_as(clinician).get(fhir_path(diagnosis_session))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert Bundle.model_validate_json(response.content).type == "collection"
    assert AuditEntry.objects.filter(
        session=diagnosis_session, action="exported", channel="rest", actor=clinician
    ).exists()


def test_a_client_asking_for_plain_json_gets_it(api_as, clinician, diagnosis_session):
    response = api_as(clinician).get(fhir_path(diagnosis_session), HTTP_ACCEPT="application/json")

    assert response["Content-Type"] == "application/json"
    assert response.json()["resourceType"] == "Bundle"


def test_a_reviewer_exports_anyones_session(api_as, reviewer, interacting_prescription_session):
    response = api_as(reviewer).get(fhir_path(interacting_prescription_session))

    assert response.status_code == 200
    Bundle.model_validate(response.json())


def test_another_clinician_gets_not_found_and_nothing_is_audited(
    api_as, colleague, diagnosis_session
):
    response = api_as(colleague).get(fhir_path(diagnosis_session))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "error": "No such session."}
    assert not AuditEntry.objects.filter(action="exported").exists()


def test_a_running_session_is_an_invalid_state(api_as, clinician, diagnosis_request):
    session = create_stream(clinician, "diagnosis", diagnosis_request, None)

    response = api_as(clinician).get(fhir_path(session))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert "running" in response.json()["error"]


def test_an_anonymous_client_is_unauthenticated(diagnosis_session):
    response = APIClient().get(fhir_path(diagnosis_session), HTTP_HOST="testserver")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
