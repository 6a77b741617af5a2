"""The patient reference on a session: validated with specific errors, kept from the engine
(except the age its date of birth gives), stored, searchable, exported to FHIR."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from clinical.fhir import session_bundle
from clinical.patients import Patient, nhs_number_is_valid, parse
from clinical.protocol import InvalidMessage
from tests.api.completed import complete_session

# 943 476 5919: the worked example the NHS number validators publish (modulus 11 passes).
NHS = "943 476 5919"
TODAY = date(2026, 12, 7)


def identified(identifier: str = NHS, system: str = "nhs_number", born: str = "1954-03-02"):
    return {"identifier": identifier, "identifier_system": system, "birth_date": born}


def refusal(value: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidMessage) as raised:
        parse(value, TODAY)
    return raised.value.details


def test_nhs_number_check_digit() -> None:
    assert nhs_number_is_valid("9434765919")
    assert not nhs_number_is_valid("9434765918")  # one digit off
    assert not nhs_number_is_valid("943476591")  # nine digits
    # 000000006 sums to 12, 12 mod 11 = 1, 11 - 1 = 10: a prefix never issued, whatever follows.
    assert not any(nhs_number_is_valid(f"000000006{last}") for last in "0123456789")
    assert nhs_number_is_valid("0000000051")  # 10 mod 11 = 10, 11 - 10 = 1


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ("9434765919", "patient", "must be an object"),
        ({"anonymous": False}, "patient.anonymous", "must be true"),
        ({"anonymous": True, "identifier": "X"}, "patient.anonymous", "no identifier"),
        (
            {"identifier": NHS, "birth_date": "1954-03-02"},
            "patient.identifier_system",
            "nhs_number",
        ),
        (identified("943 476 5918"), "patient.identifier", "check digit does not match"),
        (identified("94347659"), "patient.identifier", "10 digits"),
        (identified("MRN\u200b1", "local"), "patient.identifier", "invisible"),
        (identified(" ", "local"), "patient.identifier", "anonymous: true"),
        ({**identified(), "birth_date": None}, "patient.birth_date", "date of birth"),
        ({**identified(), "birth_date": "02/03/1954"}, "patient.birth_date", "YYYY-MM-DD"),
        ({**identified(), "birth_date": "2027-01-01"}, "patient.birth_date", "future"),
        ({**identified(), "name": "Jo"}, "patient.name", "unknown field"),
    ],
)
def test_refusals_name_the_field_and_the_fault(value: Any, field: str, message: str) -> None:
    details = refusal(value)
    assert list(details) == [field]
    assert message in details[field][0]


def test_nhs_number_stored_as_digits_and_age_counts_birthdays() -> None:
    patient = parse(identified(born="1954-12-08"), TODAY)
    assert patient == Patient("9434765919", "nhs_number", date(1954, 12, 8))
    assert patient.age_on(TODAY) == 71  # the 72nd birthday is tomorrow
    assert parse({"anonymous": True}, TODAY).anonymous


def test_session_keeps_the_patient_and_the_engine_gets_only_the_age(
    clinician: Any, diagnosis_request: dict[str, Any]
) -> None:
    del diagnosis_request["history"]["age"]
    born = timezone.localdate().replace(year=timezone.localdate().year - 72)
    data = {**diagnosis_request, "patient": identified(born=born.isoformat())}
    session = complete_session(clinician, "diagnosis", data)
    assert session.patient_identifier == "9434765919"
    assert session.patient_birth_date == born
    assert "patient" not in session.request
    assert session.request["history"]["age"] == 72


def test_stated_age_wins_over_the_birth_date(
    clinician: Any, diagnosis_request: dict[str, Any]
) -> None:
    diagnosis_request["history"]["age"] = 40
    data = {**diagnosis_request, "patient": identified(born="1954-03-02")}
    assert complete_session(clinician, "diagnosis", data).request["history"]["age"] == 40


def test_invalid_patient_stores_nothing(clinician: Any, diagnosis_request: dict[str, Any]) -> None:
    from clinical.models import StreamSession

    data = {**diagnosis_request, "patient": identified("943 476 5918")}
    with pytest.raises(InvalidMessage):
        complete_session(clinician, "diagnosis", data)
    assert not StreamSession.objects.exists()


def test_prescription_inherits_its_diagnosis_patient(
    clinician: Any, diagnosis_request: dict[str, Any], prescription_request: dict[str, Any]
) -> None:
    data = {**diagnosis_request, "patient": identified("MRN-0042", "local")}
    diagnosis = complete_session(clinician, "diagnosis", data)
    prescription_request["session_id"] = str(diagnosis.id)
    prescription = complete_session(clinician, "prescription", prescription_request)
    assert prescription.follows_id == diagnosis.id
    assert prescription.patient_identifier == "MRN-0042"
    assert prescription.patient_identifier_system == "local"


def test_list_shows_and_searches_the_patient(
    api_as: Any, clinician: Any, diagnosis_request: dict[str, Any]
) -> None:
    complete_session(clinician, "diagnosis", {**diagnosis_request, "patient": identified()})
    other = copy.deepcopy(diagnosis_request)
    complete_session(clinician, "diagnosis", {**other, "patient": {"anonymous": True}})
    complete_session(clinician, "diagnosis", copy.deepcopy(diagnosis_request))
    api = api_as(clinician)
    listed = [row["patient"] for row in api.get("/api/sessions/").json()["results"]]
    assert listed == [
        None,
        {"anonymous": True},
        {"identifier": "9434765919", "identifier_system": "nhs_number", "birth_date": "1954-03-02"},
    ]
    found = api.get("/api/sessions/", {"patient": NHS}).json()["results"]
    assert [row["patient"]["identifier"] for row in found] == ["9434765919"]


def test_fhir_patient_carries_identifier_and_birth_date(
    clinician: Any, diagnosis_request: dict[str, Any]
) -> None:
    session = complete_session(
        clinician, "diagnosis", {**diagnosis_request, "patient": identified()}
    )
    resources = [entry["resource"] for entry in session_bundle(session)["entry"]]
    patient = next(item for item in resources if item["resourceType"] == "Patient")
    assert patient["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}
    ]
    assert patient["birthDate"] == "1954-03-02"
    anonymous = complete_session(
        clinician, "diagnosis", {**diagnosis_request, "patient": {"anonymous": True}}
    )
    resources = [entry["resource"] for entry in session_bundle(anonymous)["entry"]]
    patient = next(item for item in resources if item["resourceType"] == "Patient")
    assert "identifier" not in patient and "birthDate" not in patient
