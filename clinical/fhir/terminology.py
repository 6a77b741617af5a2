"""Code systems and the mappings from medstream's vocabulary to FHIR R4 value sets.

These are terminology mappings (our word for a FHIR code), not clinical facts: the facts come
from the stored result, which came from the knowledge base.
"""

from __future__ import annotations

ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_URI = "urn:ietf:rfc:3986"
# The NHS number's naming system (HL7 UK Core; NHS Data Dictionary "NHS NUMBER").
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
# A local identifier (MRN) has no national system: a receiving system maps this one to its PAS's.
LOCAL_PATIENT_IDENTIFIER_SYSTEM = "urn:medstream:patient-identifier:local"

DECISION_SUPPORT_TAG = {
    "system": "urn:medstream:fhir:tag",
    "code": "decision-support",
    "display": "Clinical decision support output for a clinician: not a diagnosis or prescription",
}
ENGINE_SOURCE_PREFIX = "urn:medstream:engine:"

AGE = {"system": LOINC, "code": "30525-0", "display": "Age"}
BODY_WEIGHT = {"system": LOINC, "code": "29463-7", "display": "Body weight"}
ENCOUNTER_DIAGNOSIS = {
    "system": CONDITION_CATEGORY,
    "code": "encounter-diagnosis",
    "display": "Encounter Diagnosis",
}
DRUG_INTERACTION_ALERT = {"system": ACT_CODE, "code": "DRG", "display": "Drug Interaction Alert"}

# Our interaction severities (knowledge base) to DetectedIssue.severity (high | moderate | low).
INTERACTION_SEVERITY = {
    "contraindicated": "high",
    "major": "high",
    "moderate": "moderate",
    "minor": "low",
}

# Our scores' risk bands to http://terminology.hl7.org/CodeSystem/risk-probability. A band
# between two FHIR codes takes the higher one: over-stating a risk is the safer error.
RISK_BAND = {
    "low": "low",
    "low-medium": "moderate",
    "medium": "moderate",
    "intermediate": "moderate",
    "high": "high",
}
RISK_DISPLAY = {
    "low": "Low likelihood",
    "moderate": "Moderate likelihood",
    "high": "High likelihood",
}
ALLERGY_ACTIVE = {"system": ALLERGY_CLINICAL, "code": "active", "display": "Active"}
ALLERGY_UNCONFIRMED = {
    "system": ALLERGY_VERIFICATION,
    "code": "unconfirmed",
    "display": "Unconfirmed",
}


def risk_coding(code: str) -> dict[str, str]:
    return {"system": RISK_PROBABILITY, "code": code, "display": RISK_DISPLAY[code]}
