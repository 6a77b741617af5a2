"""Requests the API refuses before its views' own rules: page parameters that are not whole
numbers in range (400 naming the parameter, never a quiet default), and bodies over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413 ``too_large`` in the protocol's shape, where Django would
answer its HTML 400 page; pages outside ``/api/`` keep that page)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from clinical.api.errors import bad_request
from clinical.models import AuditEntry, Review, StreamSession
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db


# ---- paging ------------------------------------------------------------------------------------


@pytest.fixture
def three_sessions(clinician, diagnosis_request):
    return [complete_session(clinician, "diagnosis", diagnosis_request) for _ in range(3)]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("limit=1.5", "limit"),
        ("limit=%2B5", "limit"),  # +5
        ("limit=5_0", "limit"),
        ("limit=%205", "limit"),  # " 5"
        ("offset=-5", "offset"),
        ("offset=abc", "offset"),
        ("offset=", "offset"),
        ("offset=1e3", "offset"),
        ("limit=2&offset=-1", "offset"),
    ],
)
def test_a_bad_page_parameter_is_a_400_naming_it(
    api_as, clinician, three_sessions, query, parameter
):
    response = api_as(clinician).get(f"/api/sessions/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["details"]) == [parameter]
    assert body["details"][parameter] == [
        f"must be a whole number of at least {1 if parameter == 'limit' else 0}"
    ]
    assert body["error"].startswith(f"Invalid request: {parameter}: ")


def test_good_page_parameters_page(api_as, clinician, three_sessions):
    client = api_as(clinician)

    page = client.get("/api/sessions/?limit=1&offset=2").json()
    first = client.get("/api/sessions/?limit=1&offset=0").json()
    past_the_end = client.get("/api/sessions/?offset=99999999999999999999999").json()
    capped = client.get("/api/sessions/?limit=99999999999999999999999").json()

    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"] is None
    assert len(first["results"]) == 1 and "offset=1" in first["next"]
    assert past_the_end["results"] == [] and past_the_end["count"] == 3
    assert len(capped["results"]) == 3


def test_a_bad_page_parameter_is_refused_before_counting(api_as, clinician, three_sessions):
    client = api_as(clinician)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/sessions/?offset=-5").status_code == 400

    assert not [q for q in queries.captured_queries if "clinical_streamsession" in q["sql"]]


# ---- oversized bodies --------------------------------------------------------------------------


def oversized_json() -> bytes:
    padding = b"x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    return b'{"note": "' + padding + b'"}'


def assert_too_large(response) -> None:
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "too_large", "error": "The request body is too large."}


@pytest.mark.parametrize(
    "path", ["/api/sessions/diagnosis/", "/api/sessions/prescription/", "/api/notes/read/"]
)
def test_an_oversized_body_is_a_json_413_and_stores_nothing(api_as, clinician, path):
    response = api_as(clinician).post(path, oversized_json(), content_type="application/json")

    assert_too_large(response)
    assert not StreamSession.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_an_oversized_login_is_a_json_413(api, content_type):
    assert_too_large(api.post("/api/auth/token/", oversized_json(), content_type=content_type))


def test_an_oversized_multipart_login_is_a_json_413(api):
    padding = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = Client().post("/api/auth/token/", {"username": padding, "password": "p"})

    assert_too_large(response)


def test_an_oversized_review_is_a_json_413(api_as, reviewer, clinician, diagnosis_request):
    session = complete_session(clinician, "diagnosis", diagnosis_request)

    response = api_as(reviewer).post(
        f"/api/sessions/{session.id}/reviews/", oversized_json(), content_type="application/json"
    )

    assert_too_large(response)
    assert not Review.objects.exists()


def test_a_body_at_the_limit_is_read(api_as, clinician):
    """The limit itself is allowed: the note is judged on its own rules (10,000 characters)."""
    size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'{"note": "' + b"x" * (size - len(b'{"note": ""}')) + b'"}'
    assert len(body) == size

    response = api_as(clinician).post("/api/notes/read/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["details"]) == ["note"]


def test_an_oversized_form_outside_the_api_keeps_djangos_html_page(db):
    padding = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = Client().post(
        "/accounts/login/", f"username={padding}", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_bad_host_is_json_under_the_api_and_html_elsewhere(db):
    api = Client().get("/api/sessions/", headers={"host": "evil.example"})
    page = Client().get("/healthz", headers={"host": "evil.example"})

    assert api.status_code == 400 and api.json()["code"] == "validation_error"
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_the_400_handler_answers_too_large_for_an_api_body_read_outside_drf():
    """A body read by middleware before any DRF view (none does so today) still answers JSON."""
    request = RequestFactory().post("/api/sessions/diagnosis/")

    response = bad_request(request, RequestDataTooBig("too big"))

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert b'"too_large"' in response.content
