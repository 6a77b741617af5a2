"""A diagnosis result as Conditions (the primary provisional, the rest of the differential as
differential) and RiskAssessments (NEWS2, qSOFA, CURB-65, ... whichever scores were computed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clinical.engine import knowledge_base
from clinical.fhir import terminology as terms
from clinical.fhir.builder import BundleBuilder, Reference, Resource, concept, text_concept
from clinical.fhir.patient import (
    age_observation,
    allergies,
    current_medications,
    patient_resource,
)


def percent(probability: float) -> str:
    """A probability as people read it: 88%, 2.5%, <0.1%."""
    if probability < 0.001:
        return "<0.1%"
    if probability < 0.1:
        return f"{probability:.1%}"
    return f"{probability:.0%}"


def condition(
    builder: BundleBuilder,
    key: str,
    subject: Reference,
    *,
    name: str,
    icd10: str,
    verification: str,
    evidence: Sequence[dict[str, Any]] = (),
    notes: tuple[str | None, ...] = (),
) -> Reference:
    """A Condition coded in ICD-10, with the findings that raised it as evidence."""
    fields = {
        "verificationStatus": concept(
            {
                "system": terms.CONDITION_VERIFICATION,
                "code": verification,
                "display": verification.capitalize(),
            }
        ),
        "category": [concept(terms.ENCOUNTER_DIAGNOSIS)],
        "code": {"coding": [{"system": terms.ICD10, "code": icd10, "display": name}], "text": name},
        "subject": subject,
        "recordedDate": builder.recorded,
        "evidence": [
            {"code": [text_concept(item["label"])]}
            for item in evidence
            if item.get("status") == "present" and item.get("label")
        ],
        "note": builder.notes(*notes),
    }
    return builder.add(key, "Condition", fields)


def _primary_item(result: dict[str, Any]) -> dict[str, Any]:
    """The differential entry of the primary diagnosis (its reasoning and evidence)."""
    for item in result.get("differential", []):
        if item.get("icd10") == result.get("icd10"):
            return item
    return {}


def _conditions(builder: BundleBuilder, subject: Reference, result: dict[str, Any]) -> None:
    primary = _primary_item(result)
    urgency = result.get("urgency")
    condition(
        builder,
        "condition:primary",
        subject,
        name=result["primary_diagnosis"],
        icd10=result["icd10"],
        verification="provisional",
        evidence=primary.get("evidence", []),
        notes=(
            f"Primary diagnosis proposed, confidence {percent(result['confidence'])}.",
            f"Urgency: {urgency}. {result.get('urgency_reason', '')}".strip() if urgency else None,
            primary.get("reasoning"),
        ),
    )
    for rank, item in enumerate(result.get("differential", []), start=1):
        if item is primary:
            continue
        condition(
            builder,
            f"condition:differential:{item['icd10']}",
            subject,
            name=item["diagnosis"],
            icd10=item["icd10"],
            verification="differential",
            evidence=item.get("evidence", []),
            notes=(
                f"Rank {rank} in the differential, probability {percent(item['probability'])}.",
                item.get("reasoning"),
            ),
        )


def _components(score: dict[str, Any], labels: dict[str, str]) -> str:
    parts = [f"{labels.get(k, k)} {v}" for k, v in (score.get("components") or {}).items()]
    return "Components: " + "; ".join(parts) + "." if parts else ""


def _missing(score: dict[str, Any], labels: dict[str, str]) -> str:
    """The items not scored, and those scored only in part (in components at their floor too)."""
    scored = score.get("components") or {}
    names = {item: labels.get(item, item.replace("_", " ")) for item in score.get("missing") or []}
    unscored = [name for item, name in names.items() if item not in scored]
    partly = [name for item, name in names.items() if item in scored]
    parts = [
        "Not scored (no value given): " + "; ".join(unscored) + "." if unscored else "",
        "Scored only in part (at least the points given): " + "; ".join(partly) + "."
        if partly
        else "",
    ]
    return " ".join(part for part in parts if part)


def _prediction(score: dict[str, Any], name: str) -> Resource:
    """The score's risk band (mapped to risk-probability) and the advice that goes with it."""
    risk = score.get("risk")
    code = terms.RISK_BAND.get(risk or "")
    prediction: Resource = {"rationale": score.get("advice")}
    if risk and code:
        prediction["qualitativeRisk"] = concept(terms.risk_coding(code), f"{risk} ({name})")
    elif risk:
        prediction["qualitativeRisk"] = text_concept(f"{risk} ({name})")
    if not prediction["rationale"] and not risk:
        prediction["rationale"] = f"No risk band: {name} is incomplete."
    return prediction


def _score_summary(score: dict[str, Any], name: str, value_key: str) -> str:
    value = score.get(value_key, score.get("total", score.get("score")))
    summary = f"{name}: {value}"
    if "positive" in score:
        summary += " (positive)" if score["positive"] else " (negative)"
    if score.get("scale"):
        summary += f", SpO2 scale {score['scale']}"
    return summary + "."


def _risk_assessments(builder: BundleBuilder, subject: Reference, result: dict[str, Any]) -> None:
    knowledge = knowledge_base()
    for score_id, score in (result.get("scores") or {}).items():
        if not isinstance(score, dict):
            continue
        table = knowledge.score_tables.get(score_id)
        name = table.name if table else score_id
        labels = {item.id: item.label for item in table.items} if table else {}
        source = knowledge.sources.get(score.get("source") or "")
        fields = {
            "status": "final" if score.get("complete") else "preliminary",
            "code": text_concept(name),
            "subject": subject,
            "occurrenceDateTime": builder.recorded,
            "method": text_concept(source.title) if source else None,
            "prediction": [_prediction(score, name)],
            "note": builder.notes(
                _score_summary(score, name, table.score_name if table else "score"),
                f"Mortality: {score['mortality']}." if score.get("mortality") else None,
                _components(score, labels),
                _missing(score, labels),
                table.note if table else None,
            ),
        }
        builder.add(f"risk:{score_id}", "RiskAssessment", fields)


def diagnosis_resources(
    builder: BundleBuilder, request: dict[str, Any], result: dict[str, Any]
) -> None:
    history = request.get("history") or {}
    subject = patient_resource(builder, history.get("sex", "unknown"))
    if history.get("age") is not None:
        age_observation(builder, subject, history["age"])
    allergies(builder, subject, history.get("allergies", []))
    current_medications(builder, subject, history.get("medications", []))
    _conditions(builder, subject, result)
    _risk_assessments(builder, subject, result)
