"""FHIR R4 bundles of finished sessions, validated with fhir.resources.

fhir.resources' top-level package is FHIR R5; its ``R4B`` package is the R4 line (R4B changed
none of the resources exported here), so bundles are validated against ``fhir.resources.R4B``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinical.fhir import NotExportable, session_bundle
from clinical.fhir import terminology as terms
from clinical.streams.start import create_stream
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def assert_valid_r4(bundle: dict[str, Any]) -> None:
    """The bundle parses as an R4 Bundle, each entry as its own resource type, and every
    reference points at an entry of the bundle."""
    Bundle.model_validate(bundle)
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        for reference in references_in(resource):
            assert reference in full_urls, f"{resource['resourceType']} points at {reference}"


def references_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in references_in(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references_in(item)]
    return []


def test_a_diagnosis_is_a_valid_r4_collection(diagnosis_session):
    bundle = session_bundle(diagnosis_session)

    assert_valid_r4(bundle)
    assert bundle["type"] == "collection"
    assert bundle["identifier"]["value"] == f"urn:uuid:{diagnosis_session.id}"


def test_the_primary_is_provisional_and_the_rest_of_the_differential_is_differential(
    diagnosis_session,
):
    result = diagnosis_session.result
    conditions = resources(session_bundle(diagnosis_session), "Condition")

    statuses = [c["verificationStatus"]["coding"][0]["code"] for c in conditions]
    codings = [c["code"]["coding"][0] for c in conditions]
    assert statuses == ["provisional"] + ["differential"] * (len(result["differential"]) - 1)
    assert {c["system"] for c in codings} == {terms.ICD10}
    assert [c["code"] for c in codings] == [item["icd10"] for item in result["differential"]]
    assert codings[0] == {
        "system": terms.ICD10,
        "code": "J18.9",
        "display": "Community-acquired pneumonia",
    }


def test_a_condition_carries_its_reasoning_and_evidence(diagnosis_session):
    primary = resources(session_bundle(diagnosis_session), "Condition")[0]
    notes = [note["text"] for note in primary["note"]]

    assert any(note.startswith("Community-acquired pneumonia: 88%") for note in notes)
    assert {"text": "Productive cough"} in [e["code"][0] for e in primary["evidence"]]
    assert notes[-1] == diagnosis_session.result["disclaimer"]


def test_each_score_is_a_risk_assessment(diagnosis_session):
    assessments = {
        r["code"]["text"]: r for r in resources(session_bundle(diagnosis_session), "RiskAssessment")
    }

    news2 = assessments["National Early Warning Score 2 (NEWS2)"]
    curb65 = assessments["CURB-65"]
    assert set(assessments) >= {"National Early Warning Score 2 (NEWS2)", "CURB-65"}
    assert any("qSOFA" in name for name in assessments)
    assert news2["status"] == "preliminary"  # supplemental oxygen was not given
    assert news2["note"][0]["text"].endswith(": 6, SpO2 scale 1.")
    assert curb65["status"] == "final"
    assert curb65["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "moderate"
    assert curb65["prediction"][0]["qualitativeRisk"]["text"] == "intermediate (CURB-65)"


def test_the_patient_has_sex_only_and_age_is_an_observation(diagnosis_session):
    bundle = session_bundle(diagnosis_session)
    (patient,) = resources(bundle, "Patient")
    (age,) = resources(bundle, "Observation")

    assert set(patient) == {"resourceType", "id", "meta", "gender"}
    assert patient["gender"] == "male"
    assert age["code"]["coding"][0]["code"] == "30525-0"
    assert age["valueQuantity"] == {
        "value": 72,
        "unit": "years",
        "system": terms.UCUM,
        "code": "a",
    }


def test_allergies_from_the_request_are_unconfirmed_allergy_intolerances(diagnosis_session):
    (allergy,) = resources(session_bundle(diagnosis_session), "AllergyIntolerance")

    assert allergy["code"] == {"text": "penicillin"}
    assert allergy["verificationStatus"]["coding"][0]["code"] == "unconfirmed"
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "active"


def test_every_resource_is_labelled_decision_support(diagnosis_session):
    bundle = session_bundle(diagnosis_session)

    for item in [bundle, *(entry["resource"] for entry in bundle["entry"])]:
        assert terms.DECISION_SUPPORT_TAG in item["meta"]["tag"]
        assert item["meta"]["source"] == f"urn:medstream:engine:{diagnosis_session.engine_version}"


def test_exporting_twice_gives_the_same_bundle(diagnosis_session):
    assert session_bundle(diagnosis_session) == session_bundle(diagnosis_session)


def test_a_prescription_is_a_valid_r4_collection(interacting_prescription_session):
    assert_valid_r4(session_bundle(interacting_prescription_session))


def test_medications_are_draft_proposals_with_dosage_text(interacting_prescription_session):
    bundle = session_bundle(interacting_prescription_session)
    (indication,) = [
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
    ]
    requests = resources(bundle, "MedicationRequest")
    medications = interacting_prescription_session.result["medications"]

    assert [r["medicationCodeableConcept"]["text"] for r in requests] == [
        m["name"] for m in medications
    ]
    for request in requests:
        assert (request["status"], request["intent"]) == ("draft", "proposal")
        assert request["reasonReference"] == [{"reference": indication}]
        assert request["dosageInstruction"][0]["text"].startswith("300 mg oral")


def test_an_interaction_is_a_detected_issue_implicating_both_drugs(
    interacting_prescription_session,
):
    bundle = session_bundle(interacting_prescription_session)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    (issue,) = resources(bundle, "DetectedIssue")

    implicated = [by_url[ref["reference"]] for ref in issue["implicated"]]
    assert issue["severity"] == "high"  # "major" in the knowledge base
    assert issue["code"]["coding"][0]["code"] == "DRG"
    assert [r["resourceType"] for r in implicated] == ["MedicationRequest", "MedicationStatement"]
    assert implicated[1]["medicationCodeableConcept"] == {"text": "warfarin"}
    assert issue["detail"].startswith("Aspirin + Warfarin (major interaction): ")
    assert issue["mitigation"][0]["action"]["text"].startswith("Combine only")


def test_a_prescription_allergy_notes_the_group_the_engine_read(interacting_prescription_session):
    (allergy,) = resources(session_bundle(interacting_prescription_session), "AllergyIntolerance")

    assert "Read by the engine as: Penicillins." in [note["text"] for note in allergy["note"]]


@pytest.mark.parametrize("severity, expected", [("contraindicated", "high"), ("minor", "low")])
def test_interaction_severities_map_to_fhir(severity, expected):
    assert terms.INTERACTION_SEVERITY[severity] == expected


def test_a_running_session_is_not_exportable(clinician, diagnosis_request):
    session = create_stream(clinician, "diagnosis", diagnosis_request, None)

    with pytest.raises(NotExportable, match="running"):
        session_bundle(session)


def test_a_structured_allergy_is_exported_as_written_with_what_the_engine_read(clinician):
    request = {
        "diagnosis": "Pyelonephritis",
        "patient_info": {"age": 40, "weight": 70, "sex": "male"},
        "allergies": [{"substance": "penicillin", "reaction": "anaphylaxis", "severity": "severe"}],
    }
    bundle = session_bundle(complete_session(clinician, "prescription", request))
    (allergy,) = resources(bundle, "AllergyIntolerance")

    assert allergy["code"] == {"text": "penicillin (anaphylaxis, severe)"}
    assert any("Penicillins" in note["text"] for note in allergy["note"])
    assert_valid_r4(bundle)
