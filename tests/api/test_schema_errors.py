"""The OpenAPI document lists the answers every operation can give beyond its own rules: 429
(the default throttles apply to every operation) with ``Retry-After``, 413 and 415 wherever a
body is read, 406 for the FHIR export; and the server answers them as documented."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from clinical.api.schema import ERROR_DESCRIPTIONS
from tests.api.completed import complete_session
from tests.api.conftest import operations

pytestmark = pytest.mark.django_db

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def test_every_operation_documents_429_with_retry_after(schema):
    for name, operation in operations(schema):
        limited = operation["responses"].get("429")
        assert limited, name
        assert {media["schema"]["$ref"] for media in limited["content"].values()} == {
            ERROR_REF["$ref"]
        }, name
        assert limited["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}


def test_every_operation_with_a_body_documents_413_and_415(schema):
    with_body = {name for name, operation in operations(schema) if "requestBody" in operation}
    assert with_body == {
        "POST /api/auth/token/",
        "POST /api/sessions/diagnosis/",
        "POST /api/sessions/prescription/",
        "POST /api/notes/read/",
        "POST /api/sessions/{id}/reviews/",
    }
    for name, operation in operations(schema):
        codes = set(operation["responses"])
        if name in with_body:
            assert {"413", "415"} <= codes, name
            assert operation["responses"]["413"]["description"] == ERROR_DESCRIPTIONS[413]
        else:
            assert not {"413", "415"} & codes, name


def test_the_fhir_export_documents_406_in_both_media_types(schema):
    responses = dict(operations(schema))["GET /api/sessions/{id}/fhir/"]["responses"]

    assert set(responses["406"]["content"]) == {"application/fhir+json", "application/json"}
    assert set(responses) == {"200", "401", "404", "406", "409", "429"}


def test_page_parameters_document_their_lower_bounds(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in dict(operations(schema))["GET /api/sessions/"]["parameters"]
    }

    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["offset"]["schema"] == {"type": "integer", "minimum": 0}


# ---- and the server answers them so ------------------------------------------------------------


def test_fhir_in_xml_is_a_406_in_the_protocol_shape(api_as, clinician, diagnosis_request):
    session = complete_session(clinician, "diagnosis", diagnosis_request)

    response = api_as(clinician).get(
        f"/api/sessions/{session.id}/fhir/", HTTP_ACCEPT="application/fhir+xml"
    )

    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


@pytest.mark.parametrize(
    "path", ["/api/sessions/diagnosis/", "/api/notes/read/", "/api/auth/token/"]
)
def test_a_body_of_an_unread_type_is_a_415_in_the_protocol_shape(api_as, clinician, path):
    response = api_as(clinician).post(path, b"<note/>", content_type="application/xml")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.fixture
def fresh_throttle_counts():
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


def test_a_throttled_answer_carries_retry_after(fresh_throttle_counts, api):
    """The token endpoint's login throttle (20 a minute), as documented for every operation."""
    statuses = [api.post("/api/auth/token/", {}, format="json").status_code for _ in range(21)]
    refused = api.post("/api/auth/token/", {}, format="json")

    assert statuses[-1] == 429 and refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert refused["Retry-After"] == str(body["retry_after"]) and int(refused["Retry-After"]) >= 1
