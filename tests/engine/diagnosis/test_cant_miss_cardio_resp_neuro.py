"""The safety net on the cardiovascular, respiratory, neurological, eye and ENT conditions not to
be missed: a minimal request holding one key feature its guideline names, at an age and sex the
condition occurs in, gets the condition's own urgency, says so in the reason, and shows the
condition in the differential wherever it ranks; and the same key feature written in everyday
words in a note reaches the net."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.diagnosis.stream import diagnose
from clinical.engine.knowledge.loader import KnowledgeBase
from tests.engine.diagnosis.cant_miss import assert_caught, netted_in

AREA = {"cardiovascular", "respiratory", "neurological", "eye", "ent"}


def _patient(age: float, sex: str, **history: Any) -> dict[str, Any]:
    return {"age": age, "sex": sex, **history}


# (condition id, symptoms, history): the key feature in the fewest words a clinician would write.
KEY_FEATURES = [
    ("acute_coronary_syndrome", ["jaw pain", "sweating"], _patient(67, "female")),
    ("acute_coronary_syndrome", ["epigastric pain", "clammy"], _patient(72, "male")),
    ("acute_coronary_syndrome", ["breathless", "sweaty"], _patient(78, "female")),
    ("aortic_dissection", ["tearing chest pain"], _patient(64, "male")),
    ("pulmonary_embolism", ["sudden breathlessness", "coughing up blood"], _patient(45, "female")),
    ("pneumothorax", ["breathless", "reduced air entry"], _patient(21, "male")),
    ("asthma_exacerbation", ["silent chest"], _patient(30, "female", conditions=["asthma"])),
    ("subarachnoid_haemorrhage", ["thunderclap headache"], _patient(48, "female")),
    ("stroke_or_tia", ["facial droop"], _patient(74, "male")),
    ("stroke_or_tia", ["slurred speech"], _patient(69, "female")),
    ("bacterial_meningitis", ["fever", "stiff neck"], _patient(19, "male")),
    ("acute_angle_closure_glaucoma", ["halos around lights", "red eye"], _patient(64, "female")),
    ("orbital_cellulitis", ["swollen eyelid", "pain on moving the eye"], _patient(7, "male")),
    ("retinal_detachment", ["curtain over vision"], _patient(58, "male")),
    ("giant_cell_arteritis", ["jaw pain when chewing"], _patient(74, "female")),
    ("epiglottitis", ["sore throat", "drooling"], _patient(45, "male")),
    (
        "peritonsillar_abscess",
        ["sore throat on one side", "hot potato voice"],
        _patient(22, "female"),
    ),
    ("acute_limb_ischaemia", ["sudden leg pain", "cold pale leg"], _patient(78, "male")),
    ("cardiac_syncope", ["fainted during exercise"], _patient(17, "male")),
    (
        "cardiac_syncope",
        ["blackout", "brother died suddenly"],
        _patient(29, "female"),
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


# (condition id, note): the key feature as a patient, relative or clinician writes it.
NOTES = [
    ("acute_coronary_syndrome", "62M, crushing pain going into my jaw and sweaty."),
    ("acute_coronary_syndrome", "70F pain spreading down her left arm, clammy and grey."),
    ("aortic_dissection", "59M sudden ripping pain in the chest going through to his back."),
    (
        "pulmonary_embolism",
        "34F on the pill, suddenly couldn't catch her breath and coughed up blood.",
    ),
    ("pneumothorax", "20M tall and thin, breathless, reduced air entry on the left side."),
    ("asthma_exacerbation", "25F known asthmatic, so breathless, lips have gone blue."),
    (
        "subarachnoid_haemorrhage",
        "45M, worst headache of my life, came on like a thunderclap an hour ago.",
    ),
    ("stroke_or_tia", "My dad is 74, his face drooped on one side at breakfast."),
    ("stroke_or_tia", "68F, sudden slurred speech and she couldn't lift her right arm."),
    (
        "bacterial_meningitis",
        "19 year old student, he has a high temperature and a stiff neck since today.",
    ),
    (
        "acute_angle_closure_glaucoma",
        "66F came out of the cinema with a painful red eye, seeing halos around lights, vomiting.",
    ),
    ("orbital_cellulitis", "6yo boy, swollen red eyelid, hurts to move his eye, temperature 38.6."),
    (
        "retinal_detachment",
        "55M, new floaters and then a dark curtain coming down over his vision.",
    ),
    (
        "giant_cell_arteritis",
        "76F new headache, jaw aches when eating, sore scalp when brushing hair.",
    ),
    (
        "epiglottitis",
        "48M, severe sore throat, can't swallow his saliva and drooling, muffled voice.",
    ),
    (
        "peritonsillar_abscess",
        "21F tonsillitis for 4 days, now sore throat worse on one side, hot potato voice.",
    ),
    (
        "acute_limb_ischaemia",
        "80M with AF, stopped his apixaban, sudden pain in his leg, and the leg has gone cold.",
    ),
    ("cardiac_syncope", "16 year old boy collapsed while running at football, came round quickly."),
]


@pytest.mark.parametrize(("condition_id", "note"), NOTES, ids=[case[0] for case in NOTES])
def test_a_key_feature_written_in_a_note_reaches_the_net(
    knowledge_base: KnowledgeBase, condition_id: str, note: str
) -> None:
    condition = knowledge_base.conditions[condition_id]
    outcome = list(diagnose({"note": note}, knowledge_base))[-1]["result"]
    assert_caught(outcome, condition)
