"""Interaction severities as the cited source grades them (issue 16): each pair below is checked
against the grade its source gives, and the result follows the grade."""

from __future__ import annotations

import pytest

from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base
from clinical.engine.prescription.stream import (
    Prescription,
    prescription_result,
    validate_prescription,
)

# (first, second, the source's grade, the source): MHRA 2011, citalopram is contraindicated with
# other QT-prolonging drugs; MHRA 2012, simvastatin is contraindicated with clarithromycin and
# capped at 20 mg with amiodarone or diltiazem; the Daktarin SmPC contraindicates miconazole with
# simvastatin; MHRA 2016, miconazole gel markedly enhances warfarin (avoid, nystatin instead).
GRADED = [
    ("clarithromycin", "citalopram", "contraindicated", "mhra_dsu_citalopram_qt_2011"),
    ("erythromycin", "citalopram", "contraindicated", "mhra_dsu_citalopram_qt_2011"),
    ("azithromycin", "citalopram", "contraindicated", "mhra_dsu_citalopram_qt_2011"),
    ("ciprofloxacin", "citalopram", "contraindicated", "mhra_dsu_citalopram_qt_2011"),
    ("amiodarone", "citalopram", "contraindicated", "mhra_dsu_citalopram_qt_2011"),
    ("clarithromycin", "simvastatin", "contraindicated", "mhra_dsu_simvastatin_2012"),
    ("amiodarone", "simvastatin", "major", "mhra_dsu_simvastatin_2012"),
    ("diltiazem", "simvastatin", "major", "mhra_dsu_simvastatin_2012"),
    ("miconazole_oral_gel", "simvastatin", "contraindicated", "emc_daktarin_oral_gel_smpc"),
    ("miconazole_oral_gel", "warfarin", "major", "mhra_dsu_miconazole_warfarin_2016"),
]


@pytest.mark.parametrize(("first", "second", "grade", "source"), GRADED)
def test_each_pair_is_graded_as_its_source_grades_it(
    knowledge_base: KnowledgeBase, first: str, second: str, grade: str, source: str
) -> None:
    (interaction,) = [
        found
        for found in knowledge_base.interactions_between(first, second)
        if found.source == source
    ]
    assert interaction.severity == grade


def test_clarithromycin_with_citalopram_is_excluded_not_alerted() -> None:
    request = {
        "diagnosis": "J18.9",
        "patient_info": {"age": 50, "weight": 70, "sex": "male"},
        "current_medications": ["citalopram 20 mg"],
    }
    parsed = validate_prescription(request)
    reasons = Prescription(parsed, load_knowledge_base()).assess("clarithromycin").reasons
    assert any(
        "contraindicated with Citalopram" in r and "[mhra_dsu_citalopram_qt_2011]" in r
        for r in reasons
    )


def test_in_pregnancy_erythromycin_comes_before_clarithromycin() -> None:
    """NICE NG138: erythromycin is the macrolide in pregnancy."""
    outcome = prescription_result(
        {
            "diagnosis": "J18.9",
            "patient_info": {"age": 30, "weight": 65, "sex": "female", "gestation_weeks": 16},
            "allergies": ["penicillin anaphylaxis"],
        }
    )
    assert [medication["drug"] for medication in outcome["medications"]] == ["erythromycin"]
    reasons = {item["drug"]: item["reason"] for item in outcome["excluded"]}
    assert "erythromycin is preferred in pregnancy" in reasons["clarithromycin"]


def test_an_nsaid_is_not_added_to_an_ace_inhibitor_with_a_diuretic() -> None:
    """bpacnz 2018 (Lapi, BMJ 2013): the 'triple whammy' raises the risk of acute kidney injury."""
    patient = {"age": 82, "weight": 75, "sex": "male", "egfr": 55}
    both = ["furosemide 40 mg", "ramipril 5 mg"]
    outcome = prescription_result(
        {"diagnosis": "Acute gout", "patient_info": patient, "current_medications": both}
    )
    prescribed = [medication["drug"] for medication in outcome["medications"]]
    assert not {"naproxen", "ibuprofen", "diclofenac"} & set(prescribed)
    reasons = {item["drug"]: item["reason"] for item in outcome["excluded"]}
    assert "[bpac_triple_whammy_2018]" in reasons["naproxen"]
    without_diuretic = prescription_result(
        {"diagnosis": "Acute gout", "patient_info": patient, "current_medications": both[1:]}
    )
    assert "naproxen" in [m["drug"] for m in without_diuretic["medications"]]
