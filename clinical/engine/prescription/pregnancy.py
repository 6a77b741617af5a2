"""Pregnancy by gestation, and the patient's current medicines screened against pregnancy and
renal function.

A gestation comes from the request as weeks or as a trimester (the policy's trimester bounds);
a drug's ``pregnancy_by_gestation`` advice covering it overrides the drug's general pregnancy
advice, the strictest covering one winning (a trimester spans several weeks). Without a stated
gestation the general advice applies, and stricter advice for some weeks is asked about.

A current medicine the pregnancy or the renal function rules out is not left to the prescriber
to notice: the result says to stop or switch it, with the source's own advice."""

from __future__ import annotations

from clinical.engine.contract.requests import PatientInfo
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.knowledge.schema import (
    PREGNANCY_CATEGORIES,
    Drug,
    GestationAdvice,
    PregnancyAdvice,
    PrescribingPolicy,
)
from clinical.engine.prescription.dosing import applicable_band, number

Span = tuple[float, float]
_OPEN_END = 45.0  # the request's own bound on gestation_weeks


def gestation_span(patient: PatientInfo, policy: PrescribingPolicy) -> Span | None:
    """The weeks of gestation the request states: a point for weeks, a range for a trimester."""
    if patient.gestation_weeks is not None:
        return (patient.gestation_weeks, patient.gestation_weeks)
    if patient.trimester is None:
        return None
    second = policy.second_trimester_from_weeks
    third = policy.third_trimester_from_weeks
    if second is None or third is None:
        return None
    bounds = {1: (0.0, second.value), 2: (second.value, third.value), 3: (third.value, _OPEN_END)}
    low, high = bounds[patient.trimester]
    return (low, high if patient.trimester == 3 else high - 1e-9)


def describe_span(patient: PatientInfo) -> str:
    """ " at 22 weeks", " in the third trimester", or "" when no gestation is stated."""
    if patient.gestation_weeks is not None:
        return f" at {number(patient.gestation_weeks)} weeks"
    ordinal = {1: "first", 2: "second", 3: "third"}
    return f" in the {ordinal[patient.trimester]} trimester" if patient.trimester else ""


def _rank(advice: PregnancyAdvice) -> int:
    return PREGNANCY_CATEGORIES.index(advice.category)


def advice_for(drug: Drug, span: Span | None) -> PregnancyAdvice | None:
    """The pregnancy advice that applies at this gestation (the strictest covering it)."""
    if span is not None:
        covering = [rule for rule in drug.pregnancy_by_gestation if rule.overlaps(*span)]
        if covering:
            return max(covering, key=_rank)
    return drug.pregnancy


def stricter_by_gestation(drug: Drug) -> list[GestationAdvice]:
    """Gestation advice stricter than the general advice: to ask about when no gestation is
    stated."""
    general = _rank(drug.pregnancy) if drug.pregnancy else 0
    return [rule for rule in drug.pregnancy_by_gestation if _rank(rule) > general]


def screen_current_medicines(
    kb: KnowledgeBase, patient: PatientInfo, current: dict[str, str], span: Span | None
) -> list[str]:
    """Stop-or-switch advice for each current medicine (drug id -> as written) that pregnancy
    or the renal function rules out, and a review for one they caution."""
    warnings = []
    for drug_id, written in current.items():
        drug = kb.drugs[drug_id]
        if patient.is_pregnant:
            warnings += _pregnancy_screen(drug, written, patient, span)
        warnings += _renal_screen(drug, written, patient)
    return warnings


def _pregnancy_screen(
    drug: Drug, written: str, patient: PatientInfo, span: Span | None
) -> list[str]:
    advice = advice_for(drug, span)
    if advice is None or advice.category == "compatible":
        return []
    where = describe_span(patient)
    if advice.category == "avoid":
        todo = advice.if_taking or "stop or switch it, with specialist advice"
        return [
            f"Current medication {written!r} ({drug.name}) in pregnancy{where}: "
            f"{advice.advice.rstrip('.')}. Stop or switch: {todo} [{advice.source}]"
        ]
    return [
        f"Current medication {written!r} ({drug.name}) in pregnancy{where}: "
        f"{advice.advice.rstrip('.')}; review whether to continue or switch [{advice.source}]"
    ]


def _renal_screen(drug: Drug, written: str, patient: PatientInfo) -> list[str]:
    band = applicable_band(drug, patient.egfr)
    if band is None or band.action == "caution":
        return []
    where = f"eGFR {number(patient.egfr or 0)} below {number(band.egfr_below)}"
    if band.action == "avoid":
        todo = "stop or switch it"
    else:
        dose = f" (at most {number(band.dose_mg)} mg a dose)" if band.dose_mg else ""
        todo = f"check the dose{dose} or switch"
    return [
        f"Current medication {written!r} ({drug.name}): {where}: {band.advice.rstrip('.')}. "
        f"Review: {todo} [{band.source}]"
    ]
