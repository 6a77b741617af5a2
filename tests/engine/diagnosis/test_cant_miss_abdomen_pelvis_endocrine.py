"""The safety net on the abdominal, obstetric, gynaecological, endocrine, renal, urinary and
haematological conditions not to be missed: a minimal request holding one key feature its
guideline names, at an age and sex the condition occurs in, gets the condition's own urgency, says
so in the reason, and shows the condition in the differential wherever it ranks; the same feature
written in a note in everyday words does too. Pre-eclampsia follows the weeks of pregnancy (NICE
NG133): from 20 weeks and up to 6 weeks after the birth, never before 20 weeks."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.diagnosis.stream import diagnose
from clinical.engine.knowledge.loader import KnowledgeBase
from tests.engine.diagnosis.cant_miss import assert_caught, netted_in

AREA = {
    "abdominal",
    "obstetric",
    "gynaecological",
    "endocrine",
    "renal",
    "urinary",
    "haematological",
}


def _patient(age: float, sex: str, **history: Any) -> dict[str, Any]:
    return {"history": {"age": age, "sex": sex, **history}}


# (condition id, symptoms, the rest of the request): the key feature in the fewest words a
# clinician would write.
KEY_FEATURES: list[tuple[str, list[str], dict[str, Any]]] = [
    ("upper_gi_bleed", ["vomiting blood"], _patient(62, "male")),
    (
        "diabetic_ketoacidosis",
        ["high ketones"],
        _patient(19, "female", conditions=["type 1 diabetes"]),
    ),
    ("ectopic_pregnancy", ["missed period", "pelvic pain"], _patient(28, "female")),
    ("acute_appendicitis", ["migratory abdominal pain"], _patient(17, "male")),
    ("bowel_obstruction", ["absolute constipation", "vomiting"], _patient(70, "female")),
    ("acute_kidney_injury", ["passing little urine"], _patient(80, "male")),
    (
        "hyperkalaemia",
        ["fatigue"],
        {**_patient(74, "male"), "labs": {"potassium_mmol_l": 6.3}},
    ),
    (
        "sickle_cell_crisis",
        ["bone pain"],
        _patient(15, "male", conditions=["sickle cell disease"]),
    ),
    ("intussusception", ["drawing up legs", "colicky pain"], _patient(0.75, "male")),
    ("acute_liver_failure", ["jaundice", "confusion"], _patient(30, "female")),
    (
        "acute_mesenteric_ischaemia",
        ["abdominal pain", "pain out of proportion"],
        _patient(78, "female"),
    ),
    ("ruptured_abdominal_aortic_aneurysm", ["abdominal pain", "collapsed"], _patient(72, "male")),
    (
        "haemolytic_uraemic_syndrome",
        ["bloody diarrhoea", "passing little urine"],
        _patient(3, "female"),
    ),
    ("pre_eclampsia", ["headache"], _patient(29, "female", gestation_weeks=34)),
    (
        "pre_eclampsia",
        ["headache"],
        {**_patient(31, "female", pregnant=True), "vitals": {"blood_pressure": "150/95"}},
    ),
    ("pre_eclampsia", ["headache"], _patient(33, "female", conditions=["postnatal"])),
    ("antepartum_haemorrhage", ["vaginal bleeding"], _patient(27, "female", gestation_weeks=30)),
    (
        "hyperosmolar_hyperglycaemic_state",
        ["thirst"],
        {**_patient(81, "female"), "labs": {"glucose_mmol_l": 42}},
    ),
    (
        "adrenal_crisis",
        ["vomiting"],
        _patient(45, "female", conditions=["addison's disease"]),
    ),
    ("acute_urinary_retention", ["unable to pass urine"], _patient(76, "male")),
    ("testicular_torsion", ["sudden testicular pain"], _patient(14, "male")),
    ("ovarian_torsion", ["pelvic pain", "vomiting"], _patient(16, "female")),
]


@pytest.mark.parametrize(
    ("condition_id", "symptoms", "request_rest"),
    KEY_FEATURES,
    ids=[f"{case[0]}-{'-'.join(case[1])}-{index}" for index, case in enumerate(KEY_FEATURES)],
)
def test_a_key_feature_raises_urgency_to_the_conditions_level_and_shows_it(
    knowledge_base: KnowledgeBase,
    condition_id: str,
    symptoms: list[str],
    request_rest: dict[str, Any],
) -> None:
    condition = knowledge_base.conditions[condition_id]
    request = {"symptoms": symptoms, **request_rest}
    outcome = list(diagnose(request, knowledge_base))[-1]["result"]
    assert_caught(outcome, condition)


def test_every_condition_of_the_area_not_to_be_missed_has_a_case(
    knowledge_base: KnowledgeBase,
) -> None:
    netted = netted_in(knowledge_base, AREA)
    assert netted == {case[0] for case in KEY_FEATURES}
    assert netted == {case[0] for case in NOTES}


# (condition id, note): the key feature as a clinician or patient writes it in a free-text note.
NOTES = [
    ("upper_gi_bleed", "62 year old man, vomited blood this morning and feels faint."),
    ("diabetic_ketoacidosis", "19F, type 1 diabetic, stopped her insulin, ketones 4.2."),
    ("ectopic_pregnancy", "28 year old woman, period is late and she has pain low in the belly."),
    ("acute_appendicitis", "17M, pain started around his belly button then moved to the right."),
    ("bowel_obstruction", "70F, not opened bowels or passed wind for 3 days, vomiting."),
    ("acute_kidney_injury", "80 year old man with diarrhoea, hardly passing any urine, oliguria."),
    ("hyperkalaemia", "74M on ramipril and spironolactone, K 6.4 on bloods, feels weak."),
    ("sickle_cell_crisis", "15 year old boy with sickle cell disease, aching bones since today."),
    ("intussusception", "9 month old boy screaming in bouts, pulling his legs up, vomiting."),
    ("acute_liver_failure", "30F took an overdose of paracetamol 3 days ago, now yellow eyes."),
    (
        "acute_mesenteric_ischaemia",
        "78 year old woman with AF, severe tummy pain, pain out of proportion to exam.",
    ),
    (
        "ruptured_abdominal_aortic_aneurysm",
        "72 year old man collapsed on the toilet with tummy pain, known AAA.",
    ),
    (
        "haemolytic_uraemic_syndrome",
        "3 year old girl, bloody diarrhoea last week, now dry nappies and very pale.",
    ),
    ("pre_eclampsia", "29 year old woman, 34+2, headache and puffy hands, BP 150/100."),
    ("antepartum_haemorrhage", "27 year old woman 30 weeks pregnant, bleeding from the vagina."),
    (
        "hyperosmolar_hyperglycaemic_state",
        "81F type 2 diabetic, drowsy and very dry, sugar 42.",
    ),
    ("adrenal_crisis", "45F with Addison's disease, vomiting since last night, dizzy on standing."),
    ("acute_urinary_retention", "76 year old man, can't pass water since this morning, agony."),
    ("testicular_torsion", "14 year old boy, sudden severe pain in his testicle, vomited twice."),
    ("ovarian_torsion", "16 year old girl, known ovarian cyst, sudden lower tummy pain."),
]


@pytest.mark.parametrize(("condition_id", "note"), NOTES, ids=[case[0] for case in NOTES])
def test_a_key_feature_written_in_a_note_reaches_the_net(
    knowledge_base: KnowledgeBase, condition_id: str, note: str
) -> None:
    condition = knowledge_base.conditions[condition_id]
    outcome = list(diagnose({"note": note}, knowledge_base))[-1]["result"]
    assert_caught(outcome, condition, listed=False)


@pytest.mark.parametrize(
    "note",
    [
        "29 year old woman 8 weeks pregnant, BP 150/95, headache.",
        "31F, 12/40, headache, BP 146/92.",
    ],
)
def test_raised_blood_pressure_before_20_weeks_is_not_pre_eclampsia(
    knowledge_base: KnowledgeBase, note: str
) -> None:
    """NICE NG133: pre-eclampsia is new hypertension after 20 weeks; before it the net must not
    call raised blood pressure pre-eclampsia, nor should the differential rank it."""
    outcome = list(diagnose({"note": note}, knowledge_base))[-1]["result"]
    assert "pre-eclampsia" not in outcome["urgency_reason"].lower()
    ranked = {item["condition_id"]: item["probability"] for item in outcome["differential"]}
    assert (
        ranked.get("pre_eclampsia", 0.0) < knowledge_base.policy.triage.cant_miss_probability.value
    )


@pytest.mark.parametrize(
    "note",
    [
        "29 year old woman at 28/40, BP 150/100, headache.",
        "29 year old woman, 34+2, BP 150/100.",
        "32 year old woman, day 6 postnatal, bad headache.",
    ],
)
def test_the_weeks_of_pregnancy_in_a_note_drive_pre_eclampsia(
    knowledge_base: KnowledgeBase, note: str
) -> None:
    outcome = list(diagnose({"note": note}, knowledge_base))[-1]["result"]
    assert outcome["urgency"] == "emergency"
    assert "can't miss: pre-eclampsia" in outcome["urgency_reason"].lower()


@pytest.mark.parametrize(
    ("request_history", "present", "absent"),
    [
        (
            {"gestation_weeks": 8},
            {"pregnant", "pregnant_under_20_weeks"},
            {"pregnant_20_weeks_or_more"},
        ),
        (
            {"gestation_weeks": 34},
            {"pregnant", "pregnant_20_weeks_or_more"},
            {"pregnant_under_20_weeks"},
        ),
    ],
)
def test_the_weeks_of_pregnancy_in_the_history_are_evidence(
    knowledge_base: KnowledgeBase,
    request_history: dict[str, Any],
    present: set[str],
    absent: set[str],
) -> None:
    request = {"symptoms": ["headache"], "history": {"age": 30, "sex": "female", **request_history}}
    outcome = list(diagnose(request, knowledge_base))[-1]["result"]
    status = {item["finding"]: item["status"] for item in outcome["recognized_findings"]}
    assert all(status.get(finding) == "present" for finding in present)
    assert all(status.get(finding) == "absent" for finding in absent)
