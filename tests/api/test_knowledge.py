"""The knowledge base over REST, read-only, for autocomplete."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_findings_are_found_by_the_start_of_a_word_in_a_synonym(api_as, clinician):
    found = api_as(clinician).get("/api/kb/findings/?search=dysp").json()

    assert "shortness_of_breath" in [f["id"] for f in found]


def test_name_matches_rank_before_synonym_matches(api_as, clinician):
    found = api_as(clinician).get("/api/kb/findings/?search=cough").json()

    assert found[0]["id"] == "cough"


@pytest.mark.parametrize(
    ("path", "search", "expected"),
    [
        ("/api/kb/conditions/", "pneum", "community_acquired_pneumonia"),
        ("/api/kb/drugs/", "amox", "amoxicillin"),
        ("/api/kb/allergy-groups/", "penic", "penicillins"),
    ],
)
def test_each_kind_is_searchable(api_as, clinician, path, search, expected):
    found = api_as(clinician).get(f"{path}?search={search}").json()

    assert expected in [entry["id"] for entry in found]


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=ten", "search=" + "x" * 101])
def test_bad_parameters_are_validation_errors(api_as, clinician, query):
    response = api_as(clinician).get(f"/api/kb/findings/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_the_knowledge_base_needs_authentication(api):
    assert api.get("/api/kb/findings/").status_code == 401
