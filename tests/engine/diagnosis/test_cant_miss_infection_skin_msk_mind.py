"""The safety net on the infectious, skin, musculoskeletal, mental health, poisoning and allergic
conditions not to be missed: a minimal request holding one key feature its guideline names, at an
age and sex the condition occurs in, gets the condition's own urgency, says so in the reason, and
shows the condition in the differential wherever it ranks."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.diagnosis.stream import diagnose
from clinical.engine.knowledge.loader import KnowledgeBase
from tests.engine.diagnosis.cant_miss import assert_caught, netted_in

AREA = {"infectious", "skin", "musculoskeletal", "mental_health", "toxicological", "allergic"}


def _patient(age: float, sex: str, **history: Any) -> dict[str, Any]:
    return {"age": age, "sex": sex, **history}


# (condition id, symptoms, history): the key feature in the fewest words a clinician would write.
KEY_FEATURES = [
    ("sepsis", ["fever", "confusion"], _patient(78, "female")),
    ("sepsis", ["fever"], _patient(0.1, "male")),
    ("anaphylaxis", ["hives", "wheeze"], _patient(25, "female")),
    ("malaria", ["fever"], _patient(34, "male", conditions=["returned from nigeria"])),
    ("dengue", ["fever"], _patient(29, "female", conditions=["returned from thailand"])),
    ("septic_arthritis", ["hot swollen joint", "can't move the joint"], _patient(70, "male")),
    ("paracetamol_overdose", ["took too much paracetamol"], _patient(19, "female")),
    (
        "carbon_monoxide_poisoning",
        ["headache", "whole family has headaches"],
        _patient(40, "female"),
    ),
    ("opioid_toxicity", ["pinpoint pupils", "drowsy"], _patient(35, "male")),
    ("meningococcal_sepsis", ["fever", "non blanching rash"], _patient(2, "female")),
    ("cauda_equina_syndrome", ["back pain", "saddle numbness"], _patient(42, "male")),
    (
        "metastatic_spinal_cord_compression",
        ["weakness in both legs"],
        _patient(68, "male", conditions=["active cancer"]),
    ),
    ("necrotising_fasciitis", ["pain out of proportion"], _patient(58, "male")),
    ("kawasaki_disease", ["fever for 5 days"], _patient(2, "male")),
    ("toxic_shock_syndrome", ["sunburn like rash", "tampon use"], _patient(19, "female")),
    ("enteric_fever", ["fever"], _patient(30, "male", conditions=["returned from pakistan"])),
    ("sjs_ten", ["skin peeling off", "blisters in the mouth and eyes"], _patient(45, "female")),
    ("serotonin_syndrome", ["clonus"], _patient(33, "female", medications=["sertraline"])),
    ("suicidal_crisis", ["suicidal intent"], _patient(22, "male")),
    (
        "spinal_infection",
        ["back pain", "fever"],
        _patient(45, "male", conditions=["injects heroin"]),
    ),
]


@pytest.mark.parametrize(
    ("condition_id", "symptoms", "history"),
    KEY_FEATURES,
    ids=[f"{case[0]}-{'-'.join(case[1])}" for case in KEY_FEATURES],
)
def test_a_key_feature_raises_urgency_to_the_conditions_level_and_shows_it(
    knowledge_base: KnowledgeBase, condition_id: str, symptoms: list[str], history: dict[str, Any]
) -> None:
    condition = knowledge_base.conditions[condition_id]
    result = list(diagnose({"symptoms": symptoms, "history": history}, knowledge_base))[-1]
    outcome = result["result"]
    assert_caught(outcome, condition)


def test_every_condition_of_the_area_not_to_be_missed_has_a_case(
    knowledge_base: KnowledgeBase,
) -> None:
    netted = netted_in(knowledge_base, AREA)
    assert netted == {case[0] for case in KEY_FEATURES}


# (condition id, note): the key feature as a clinician or patient writes it in a free-text note.
NOTES = [
    ("meningococcal_sepsis", "2yo girl with fever and a rash that does not fade under a glass."),
    ("cauda_equina_syndrome", "35M, back pain and numbness around the bottom."),
    ("necrotising_fasciitis", "58 year old man, red swollen leg, pain out of proportion, febrile."),
    ("sjs_ten", "45F started a new medicine, now skin peeling off and blisters in the mouth."),
    ("carbon_monoxide_poisoning", "40F. Family all have headaches at home."),
    ("kawasaki_disease", "2 year old boy with fever for 5 days, red eyes and red cracked lips."),
    (
        "toxic_shock_syndrome",
        "17 year old girl using tampons, high temperature, sunburn like rash.",
    ),
    (
        "serotonin_syndrome",
        "33F on sertraline, started tramadol, now agitated and sweaty with clonus.",
    ),
    ("suicidal_crisis", "22M has been thinking about suicide and has been stockpiling tablets."),
]


@pytest.mark.parametrize(("condition_id", "note"), NOTES, ids=[case[0] for case in NOTES])
def test_a_key_feature_written_in_a_note_reaches_the_net(
    knowledge_base: KnowledgeBase, condition_id: str, note: str
) -> None:
    condition = knowledge_base.conditions[condition_id]
    outcome = list(diagnose({"note": note}, knowledge_base))[-1]["result"]
    assert_caught(outcome, condition, listed=False)
