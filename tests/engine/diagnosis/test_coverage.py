"""The wider coverage (issue 10): every condition has a regimen and synonyms, emergencies say what
to do, the new red-flag rules fire at their thresholds and not below, and warfarin is checked
against the antibiotics and antifungals."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from clinical.engine.diagnosis.stream import diagnose
from clinical.engine.knowledge.loader import KnowledgeBase

from .test_vignettes import VIGNETTES


def result(request: dict[str, Any]) -> dict[str, Any]:
    return list(diagnose(request))[-1]["result"]


def fired(outcome: dict[str, Any]) -> set[str]:
    return {flag["id"] for flag in outcome["red_flags"] if flag["status"] == "present"}


def test_the_knowledge_base_covers_at_least_85_conditions(knowledge_base: KnowledgeBase) -> None:
    assert len(knowledge_base.conditions) >= 85
    systems = Counter(condition.system for condition in knowledge_base.conditions.values())
    for system in ("toxicological", "haematological", "renal", "skin", "eye", "ent"):
        assert systems[system] >= 1, system


def test_every_condition_has_a_regimen(knowledge_base: KnowledgeBase) -> None:
    assert set(knowledge_base.regimens) == set(knowledge_base.conditions)


def test_every_emergency_without_a_drug_says_what_to_do(knowledge_base: KnowledgeBase) -> None:
    for condition in knowledge_base.conditions.values():
        regimen = knowledge_base.regimens[condition.id]
        if condition.base_urgency == "emergency" and not regimen.first_line:
            assert len(regimen.follow_up) > 80, condition.id


def test_the_vignettes_span_every_level_of_care() -> None:
    levels = Counter(vignette["expect"]["urgency"] for vignette in VIGNETTES)
    assert set(levels) == {"self_care", "routine", "urgent", "emergency"}
    assert min(levels.values()) >= 10, levels


# ------------------------------------------------------------------ thresholds


@pytest.mark.parametrize(
    ("potassium", "rules", "urgency"),
    [
        (5.9, set(), None),
        (6.0, {"moderate_hyperkalaemia"}, "urgent"),
        (6.4, {"moderate_hyperkalaemia"}, "urgent"),
        (6.5, {"severe_hyperkalaemia", "moderate_hyperkalaemia"}, "emergency"),
    ],
)
def test_potassium_thresholds(potassium: float, rules: set[str], urgency: str | None) -> None:
    outcome = result(
        {
            "symptoms": ["tiredness"],
            "history": {"age": 70, "sex": "male", "conditions": ["chronic kidney disease"]},
            "labs": {"potassium_mmol_l": potassium},
        }
    )
    assert fired(outcome) & {"moderate_hyperkalaemia", "severe_hyperkalaemia"} == rules
    if urgency is not None:
        assert outcome["urgency"] == urgency


@pytest.mark.parametrize(("rate", "present"), [(8, True), (9, False)])
def test_slow_breathing_with_reduced_consciousness_is_an_emergency(
    rate: int, present: bool
) -> None:
    outcome = result(
        {
            "symptoms": ["drowsy"],
            "vitals": {"respiratory_rate": rate, "consciousness": "V"},
            "history": {"age": 30, "sex": "male"},
        }
    )
    assert ("respiratory_depression" in fired(outcome)) is present


@pytest.mark.parametrize(("creatinine", "status"), [(120, "absent"), (121, "present")])
def test_creatinine_above_the_reference_range(creatinine: float, status: str) -> None:
    outcome = result(
        {
            "symptoms": ["vomiting"],
            "history": {"age": 80, "sex": "female"},
            "labs": {"creatinine_umol_l": creatinine},
        }
    )
    found = {item["finding"]: item["status"] for item in outcome["recognized_findings"]}
    assert found["raised_creatinine"] == status


def test_fever_after_malaria_area_travel_is_same_day() -> None:
    outcome = result(
        {
            "symptoms": ["fever"],
            "history": {"age": 40, "sex": "female", "conditions": ["returned from africa"]},
        }
    )
    assert "fever_after_malaria_area_travel" in fired(outcome)
    assert outcome["urgency"] == "urgent"
    without_travel = result({"symptoms": ["fever"], "history": {"age": 40, "sex": "female"}})
    assert "fever_after_malaria_area_travel" not in fired(without_travel)


def test_a_household_with_headaches_is_a_carbon_monoxide_emergency() -> None:
    outcome = result(
        {
            "symptoms": ["headache", "whole family has headaches"],
            "history": {"age": 45, "sex": "male"},
        }
    )
    assert "carbon_monoxide_household" in fired(outcome)
    assert outcome["urgency"] == "emergency"
    ranked = [item["condition_id"] for item in outcome["differential"]]
    assert "carbon_monoxide_poisoning" in ranked[:3]


@pytest.mark.parametrize(
    "symptoms",
    [["paracetamol overdose"], ["staggered overdose"], ["took an overdose"]],
)
def test_any_paracetamol_or_deliberate_overdose_is_an_emergency(symptoms: list[str]) -> None:
    outcome = result({"symptoms": symptoms, "history": {"age": 19, "sex": "female"}})
    assert outcome["urgency"] == "emergency"


# ------------------------------------------------------------------ warfarin


@pytest.mark.parametrize(
    ("drug", "severity"),
    [
        ("doxycycline", "moderate"),
        ("azithromycin", "moderate"),
        ("trimethoprim", "moderate"),
        ("amoxicillin", "minor"),
        ("co_amoxiclav", "minor"),
        ("miconazole_oral_gel", "major"),
        ("fluconazole", "major"),
        ("clarithromycin", "major"),
        ("ciprofloxacin", "major"),
        ("metronidazole", "major"),
    ],
)
def test_warfarin_is_checked_against_anti_infectives_both_ways(
    knowledge_base: KnowledgeBase, drug: str, severity: str
) -> None:
    forward = knowledge_base.interactions_between("warfarin", drug)
    backward = knowledge_base.interactions_between(drug, "warfarin")
    assert forward == backward
    assert forward[0].severity == severity


@pytest.mark.parametrize(("age", "urgency"), [(49, "self_care"), (50, "routine")])
def test_rectal_bleeding_from_50_is_referred_within_days(age: int, urgency: str) -> None:
    outcome = result(
        {
            "symptoms": ["blood on the toilet paper", "straining"],
            "history": {"age": age, "sex": "male"},
        }
    )
    assert outcome["urgency"] == urgency
    assert ("rectal_bleeding_at_50_or_over" in fired(outcome)) is (age >= 50)
