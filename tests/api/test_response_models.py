"""What the REST API returns for a stored session matches the response models its OpenAPI schema
publishes: the request, the result and every stored frame (extra fields refused)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from clinical.api.serializers import StoredFrame, StoredRequest, StoredResult
from clinical.engine.contract.results import DiagnosisResult, PrescriptionResult
from tests.api.completed import INTERACTING_PRESCRIPTION, complete_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["diagnosis", "prescription"])
def test_a_completed_session_matches_the_published_models(
    api_as, clinician, diagnosis_request, kind
):
    data = diagnosis_request if kind == "diagnosis" else dict(INTERACTING_PRESCRIPTION)
    session = complete_session(clinician, kind, data, request_id="r-1")
    api = api_as(clinician)

    detail = api.get(f"/api/sessions/{session.id}/").json()
    page = api.get(f"/api/sessions/{session.id}/events/?after_seq=-1").json()

    StoredRequest.model_validate(detail["request"])
    StoredResult.model_validate(detail["result"])
    own = DiagnosisResult if kind == "diagnosis" else PrescriptionResult
    TypeAdapter(own).validate_python(detail["result"])
    assert [frame["seq"] for frame in page["events"]] == list(range(len(page["events"])))
    for frame in page["events"]:
        StoredFrame.model_validate(frame)


def test_a_frame_with_a_field_the_protocol_does_not_have_is_refused(
    api_as, clinician, diagnosis_request
):
    session = complete_session(clinician, "diagnosis", diagnosis_request)
    frames = api_as(clinician).get(f"/api/sessions/{session.id}/events/?after_seq=-1").json()

    altered = frames["events"][0] | {"surprise": 1}

    with pytest.raises(ValueError, match="surprise"):
        StoredFrame.model_validate(altered)
