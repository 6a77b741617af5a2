"""The OpenAPI document: valid, every operation with its errors, stream bodies from the engine."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from clinical.engine.contract.requests import DiagnosisRequest, PrescriptionRequest, Vitals
from tests.api.conftest import operations

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"


def test_the_schema_validates_without_a_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_every_error_response_has_the_protocol_shape(schema):
    for name, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith("2"):
                continue
            for media in response["content"].values():
                assert media["schema"] == {"$ref": ERROR_REF}, (name, code)


def test_every_operation_but_the_token_exchange_declares_unauthenticated(schema):
    for name, operation in operations(schema):
        if name == "POST /api/auth/token/":
            # The password is its only credential: no header or cookie is looked at.
            assert "401" not in operation["responses"]
            assert operation.get("security") in (None, [{}]), name
            continue
        assert "401" in operation["responses"], name
        assert operation.get("security") != [{}], name


@pytest.mark.parametrize(
    "operation, codes",
    [
        ("POST /api/sessions/diagnosis/", {"201", "400", "401", "403", "413", "415", "429", "503"}),
        (
            "POST /api/sessions/prescription/",
            {"201", "400", "401", "403", "404", "413", "415", "429", "503"},
        ),
        (
            "POST /api/sessions/{id}/reviews/",
            {"201", "400", "401", "403", "404", "409", "413", "415", "429"},
        ),
        ("GET /api/sessions/{id}/fhir/", {"200", "401", "404", "406", "409", "429"}),
        ("GET /api/sessions/", {"200", "400", "401", "429"}),
    ],
)
def test_new_endpoints_document_each_outcome(schema, operation, codes):
    assert set(dict(operations(schema))[operation]["responses"]) == codes


def test_stream_bodies_are_the_engines_request_models(schema):
    components = schema["components"]["schemas"]

    diagnosis = components["DiagnosisStart"]["properties"]
    prescription = components["PrescriptionStart"]["properties"]
    service = {"request_id", "patient"}
    assert set(diagnosis) == {*DiagnosisRequest.model_fields, *service}
    assert set(prescription) == {*PrescriptionRequest.model_fields, *service, "session_id"}
    patient = components["PatientReference"]["properties"]
    assert set(patient) == {"anonymous", "identifier", "identifier_system", "birth_date"}
    assert components["DiagnosisStart"]["additionalProperties"] is False
    heart_rate = components["Vitals"]["properties"]["heart_rate"]
    bounds = {type(m).__name__: m for m in Vitals.model_fields["heart_rate"].metadata}
    assert (heart_rate["minimum"], heart_rate["maximum"]) == (bounds["Ge"].ge, bounds["Le"].le)
    assert heart_rate["nullable"] is True


def test_a_symptom_may_be_a_plain_name_in_the_schema(schema):
    items = schema["components"]["schemas"]["DiagnosisStart"]["properties"]["symptoms"]["items"]

    assert {"$ref": "#/components/schemas/Symptom"} in items["anyOf"]
    assert any(option.get("type") == "string" for option in items["anyOf"])


def test_the_docs_page_renders(api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
