"""A prescription result as draft MedicationRequests (proposals for a prescriber, never orders),
a DetectedIssue per interaction, and the Condition they were drafted for."""

from __future__ import annotations

from typing import Any

from clinical.engine import allergy_text, knowledge_base
from clinical.fhir import terminology as terms
from clinical.fhir.builder import BundleBuilder, Reference, concept, text_concept
from clinical.fhir.diagnosis import condition
from clinical.fhir.patient import (
    age_observation,
    allergies,
    current_medications,
    patient_resource,
    weight_observation,
)


def dosage_text(medication: dict[str, Any]) -> str:
    """Dose, route, frequency and duration on one line, as a prescriber writes them."""
    parts = [medication.get("dose"), medication.get("route"), medication.get("frequency")]
    text = " ".join(part for part in parts if part)
    duration = medication.get("duration")
    return f"{text}, {duration}" if duration else text


def _source_title(source_id: str | None) -> str | None:
    source = knowledge_base().sources.get(source_id or "")
    return f"Source: {source.title}." if source else None


def _medication_requests(
    builder: BundleBuilder, subject: Reference, reason: Reference, result: dict[str, Any]
) -> dict[str, Reference]:
    """One draft MedicationRequest per proposed medication, by the drug's knowledge-base id."""
    references = {}
    for index, medication in enumerate(result.get("medications", [])):
        fields = {
            "status": "draft",
            "intent": "proposal",
            "medicationCodeableConcept": text_concept(medication["name"]),
            "subject": subject,
            "authoredOn": builder.recorded,
            "reasonReference": [reason],
            "dosageInstruction": [
                {
                    "text": dosage_text(medication),
                    "route": text_concept(medication["route"]) if medication.get("route") else None,
                }
            ],
            "note": builder.notes(
                medication.get("rationale"),
                *medication.get("adjustments", []),
                *medication.get("check_before_prescribing", []),
                _source_title(medication.get("source")),
            ),
        }
        reference = builder.add(f"medication-request:{index}", "MedicationRequest", fields)
        references[medication.get("drug") or medication["name"]] = reference
    return references


def _implicated(
    interaction: dict[str, Any],
    proposed: dict[str, Reference],
    taken: dict[str, Reference],
) -> list[Reference]:
    """The proposed drugs (by id) and the current medications (by name) an interaction involves."""
    drug_ids = interaction.get("drug_ids", [])
    implicated = [proposed[drug_id] for drug_id in drug_ids if drug_id in proposed]
    others = [drug_id.replace("_", " ") for drug_id in drug_ids if drug_id not in proposed]
    for name, reference in taken.items():
        if any(other in name.lower() for other in others):
            implicated.append(reference)
    return implicated


def _detected_issues(
    builder: BundleBuilder,
    subject: Reference,
    result: dict[str, Any],
    proposed: dict[str, Reference],
    taken: dict[str, Reference],
) -> None:
    for index, interaction in enumerate(result.get("interactions", [])):
        severity = interaction.get("severity", "")
        drugs = " + ".join(interaction.get("drugs", []))
        fields = {
            "status": "preliminary",
            "code": concept(terms.DRUG_INTERACTION_ALERT),
            "severity": terms.INTERACTION_SEVERITY.get(severity),
            "patient": subject,
            "identifiedDateTime": builder.recorded,
            "implicated": _implicated(interaction, proposed, taken),
            "detail": f"{drugs} ({severity} interaction): {interaction.get('mechanism', '')}",
            "mitigation": [{"action": text_concept(interaction["advice"])}]
            if interaction.get("advice")
            else [],
        }
        builder.add(f"detected-issue:{index}", "DetectedIssue", fields)


def _allergy_groups(result: dict[str, Any]) -> dict[str, list[str]]:
    recognised = (result.get("allergy_check") or {}).get("recognized", [])
    return {item["allergy"]: item.get("groups", []) for item in recognised if "allergy" in item}


def prescription_resources(
    builder: BundleBuilder, request: dict[str, Any], result: dict[str, Any]
) -> None:
    patient = request.get("patient_info") or {}
    subject = patient_resource(builder, patient.get("sex", "unknown"))
    if patient.get("age") is not None:
        age_observation(builder, subject, patient["age"])
    if patient.get("weight") is not None:
        weight_observation(builder, subject, patient["weight"])
    written = [allergy_text(item) for item in request.get("allergies", [])]
    allergies(builder, subject, written, _allergy_groups(result))
    taken = current_medications(builder, subject, request.get("current_medications", []))
    reason = condition(
        builder,
        "condition:indication",
        subject,
        name=result["diagnosis"],
        icd10=result["icd10"],
        verification="provisional",
        notes=("The diagnosis the clinician asked a prescription for.",),
    )
    proposed = _medication_requests(builder, subject, reason, result)
    _detected_issues(builder, subject, result, proposed, taken)
