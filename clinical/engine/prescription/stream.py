"""The prescription stream: a validated request in, protocol v1's prescription stages out.

The engine reads every clinical fact from the knowledge base: the condition's regimen (options in
order of preference), each drug's allergy groups, contraindications, pregnancy category, renal
bands and doses, and the interaction pairs. A prescription is worked out in four steps, each in
its own module: what the request says about the patient (:mod:`.patient`), the checks of each
candidate drug (:mod:`.safety`), the choice of a regimen option (:mod:`.choice`), and the result
(:mod:`.render`). Every drug dropped on the way is reported with its specific reason, and a
result without any medication always says why.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from clinical.engine.contract import results
from clinical.engine.contract.events import Event, chunk, complete, progress
from clinical.engine.contract.requests import PrescriptionRequest, parse_prescription
from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base
from clinical.engine.prescription.choice import RegimenChoice
from clinical.engine.prescription.diagnosis_names import resolve_diagnosis
from clinical.engine.prescription.patient import PatientFacts
from clinical.engine.prescription.render import PrescriptionReport
from clinical.engine.prescription.safety import Assessment, DrugChecks

__all__ = ["prescribe", "prescription_result", "resolve_diagnosis", "validate_prescription"]


def validate_prescription(
    data: Mapping[str, Any] | PrescriptionRequest, knowledge_base: KnowledgeBase | None = None
) -> PrescriptionRequest:
    """The validated request; an unknown diagnosis is an error naming the closest known ones."""
    if isinstance(data, PrescriptionRequest):
        request = data
    else:
        request = parse_prescription(dict(data) if isinstance(data, Mapping) else data)
    resolve_diagnosis(request.diagnosis, knowledge_base or load_knowledge_base())
    return request


def prescribe(
    data: Mapping[str, Any] | PrescriptionRequest, knowledge_base: KnowledgeBase | None = None
) -> Iterator[Event]:
    """Validate now (raising before any event), then stream the prescription stages."""
    knowledge_base = knowledge_base or load_knowledge_base()
    request = validate_prescription(data, knowledge_base)
    return _stream(request, knowledge_base)


def prescription_result(
    data: Mapping[str, Any] | PrescriptionRequest, knowledge_base: KnowledgeBase | None = None
) -> results.PrescriptionResult:
    """The ``complete`` event's result alone (what benchmarks and reviews need)."""
    knowledge_base = knowledge_base or load_knowledge_base()
    request = validate_prescription(data, knowledge_base)
    return Prescription(request, knowledge_base).result()


def _stream(request: PrescriptionRequest, knowledge_base: KnowledgeBase) -> Iterator[Event]:
    result = Prescription(request, knowledge_base).result()
    yield progress("prescription", "allergy_check")
    yield chunk("allergy_check", result["allergy_check"])
    yield progress("prescription", "medication_selection")
    for medication in result["medications"]:
        yield chunk("medication_selection", medication)
    yield progress("prescription", "interaction_check")
    for interaction in result["interactions"]:
        yield chunk("interaction_check", interaction)
    yield progress("prescription", "monitoring_advice")
    for item in result["monitoring"]:
        yield chunk("monitoring_advice", item)
    yield progress("prescription", "finalization")
    finalization: results.Finalization = {
        "follow_up": result["follow_up"],
        "warnings": result["warnings"],
    }
    yield chunk("finalization", finalization)
    yield progress("prescription", "complete")
    yield complete(result)


class Prescription:
    """One request worked through the knowledge base; :meth:`result` is the complete result."""

    def __init__(self, request: PrescriptionRequest, knowledge_base: KnowledgeBase) -> None:
        self.kb = knowledge_base
        condition = resolve_diagnosis(request.diagnosis, knowledge_base)
        self.facts = PatientFacts.of(request, condition, knowledge_base)
        self.checks = DrugChecks(knowledge_base, self.facts)
        regimen = knowledge_base.regimen_for(condition.id)
        self.choice = RegimenChoice(knowledge_base, self.facts, self.checks, regimen)

    def assess(self, drug_id: str) -> Assessment:
        """Every check of one drug for this patient (what tests of a single rule need)."""
        return self.checks.assess(drug_id)

    def result(self) -> results.PrescriptionResult:
        chosen = self.choice.choose()
        return PrescriptionReport(self.kb, self.facts, self.checks, self.choice, chosen).result()
