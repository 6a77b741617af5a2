"""What the session holds about the patient: the Patient (its identifier and birth date when the
clinician gave them, else anonymous), age and weight, allergies and current medications. Names,
addresses and contacts are never held, so never exported."""

from __future__ import annotations

from collections.abc import Iterable

from clinical.fhir import terminology as terms
from clinical.fhir.builder import BundleBuilder, Reference, concept, text_concept

REPORTED = "As reported in the request to medstream; not verified."


def patient_resource(builder: BundleBuilder, sex: str) -> Reference:
    """A Patient with administrative gender, and the session's identifier and birth date if it
    has them; never a name, address or contact."""
    fields: dict = {"gender": sex}
    patient = builder.patient
    if patient is not None and not patient.anonymous:
        system = (
            terms.NHS_NUMBER_SYSTEM
            if patient.identifier_system == "nhs_number"
            else terms.LOCAL_PATIENT_IDENTIFIER_SYSTEM
        )
        fields["identifier"] = [{"system": system, "value": patient.identifier}]
        if patient.birth_date is not None:
            fields["birthDate"] = patient.birth_date.isoformat()
    return builder.add("patient", "Patient", fields)


def _quantity_observation(
    builder: BundleBuilder,
    key: str,
    code: dict[str, str],
    subject: Reference,
    value: float,
    unit: str,
    ucum: str,
) -> Reference:
    return builder.add(
        key,
        "Observation",
        {
            "status": "final",
            "code": concept(code),
            "subject": subject,
            "effectiveDateTime": builder.recorded,
            "valueQuantity": {"value": value, "unit": unit, "system": terms.UCUM, "code": ucum},
        },
    )


def age_observation(builder: BundleBuilder, subject: Reference, age_years: float) -> Reference:
    """Age as an Observation, as the engine read it (the Patient has a birth date only when the
    clinician gave one)."""
    return _quantity_observation(builder, "age", terms.AGE, subject, age_years, "years", "a")


def weight_observation(builder: BundleBuilder, subject: Reference, weight_kg: float) -> Reference:
    code = terms.BODY_WEIGHT
    return _quantity_observation(builder, "weight", code, subject, weight_kg, "kg", "kg")


def allergies(
    builder: BundleBuilder,
    subject: Reference,
    names: Iterable[str],
    read_as: dict[str, list[str]] | None = None,
) -> list[Reference]:
    """One AllergyIntolerance per allergy the request named, unconfirmed (nobody verified it);
    ``read_as`` maps an allergy to the allergy groups the engine recognised it as."""
    read_as = read_as or {}
    references = []
    for index, name in enumerate(names):
        groups = read_as.get(name, [])
        recognised = f"Read by the engine as: {', '.join(groups)}." if groups else None
        fields = {
            "clinicalStatus": concept(terms.ALLERGY_ACTIVE),
            "verificationStatus": concept(terms.ALLERGY_UNCONFIRMED),
            "code": text_concept(name),
            "patient": subject,
            "recordedDate": builder.recorded,
            "note": builder.notes(REPORTED, recognised, disclaimer=False),
        }
        references.append(builder.add(f"allergy:{index}", "AllergyIntolerance", fields))
    return references


def current_medications(
    builder: BundleBuilder, subject: Reference, names: Iterable[str]
) -> dict[str, Reference]:
    """One MedicationStatement per medication the patient takes, by the name the request gave."""
    references = {}
    for index, name in enumerate(names):
        fields = {
            "status": "active",
            "medicationCodeableConcept": text_concept(name),
            "subject": subject,
            "dateAsserted": builder.recorded,
            "note": builder.notes(REPORTED, disclaimer=False),
        }
        key = f"medication-statement:{index}"
        references[name] = builder.add(key, "MedicationStatement", fields)
    return references
