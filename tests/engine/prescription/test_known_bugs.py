"""Known prescription bugs of issue 16, each pinned by its source: fluconazole's renal reduction
is for repeated doses only (BNF); a child's flucloxacillin dose follows NICE NG141's age band;
sumatriptan is not recommended over 65 (label); a penicillin allergy with no reaction stated is
treated as possibly immediate (BNF: no cephalosporin)."""

from __future__ import annotations

from typing import Any

from clinical.engine.knowledge.loader import build_knowledge_base, load_knowledge_base
from clinical.engine.prescription.stream import (
    Prescription,
    prescription_result,
    validate_prescription,
)

OLD_MAN = {"age": 81, "weight": 60, "sex": "male", "egfr": 38}


def _one_fluconazole_150(document: dict[str, Any]) -> None:
    for regimen in document["regimens"]:
        if regimen["condition"] == "oral_candidiasis":
            regimen["first_line"] = [
                {
                    "drugs": [
                        {
                            "drug": "fluconazole",
                            "dose_mg": 150,
                            "frequency": "once",
                            "single_dose": True,
                        }
                    ]
                }
            ]


def test_a_single_fluconazole_dose_is_not_reduced_for_the_renal_function(kb_copy) -> None:
    kb_copy.edit("regimens/ent.yaml", _one_fluconazole_150)
    outcome = prescription_result(
        {"diagnosis": "Oral candidiasis", "patient_info": OLD_MAN},
        build_knowledge_base(kb_copy.root),
    )
    (fluconazole,) = outcome["medications"]
    assert fluconazole["dose"] == "150 mg"
    assert "a single dose needs no reduction" in fluconazole["rationale"]


def test_repeated_fluconazole_doses_are_still_halved_below_egfr_50() -> None:
    outcome = prescription_result(
        {
            "diagnosis": "Oral candidiasis",
            "patient_info": OLD_MAN,
            "allergies": ["nystatin"],
            "current_medications": ["simvastatin"],
        }
    )
    assert outcome["medications"][0]["dose"] == "25 mg"


def test_a_six_year_olds_flucloxacillin_is_the_age_band_dose() -> None:
    outcome = prescription_result(
        {"diagnosis": "Cellulitis", "patient_info": {"age": 6, "weight": 21, "sex": "male"}}
    )
    (flucloxacillin,) = outcome["medications"]
    assert flucloxacillin["dose"] == "250 mg"
    assert "[nice_ng141]" in flucloxacillin["rationale"]


def test_sumatriptan_is_not_given_over_65() -> None:
    request = {"diagnosis": "Migraine", "patient_info": {"age": 70, "weight": 70, "sex": "male"}}
    parsed = validate_prescription(request)
    reasons = Prescription(parsed, load_knowledge_base()).assess("sumatriptan").reasons
    assert any("65 years or over" in r and "[emc_imigran_tablets_smpc]" in r for r in reasons)
    younger = dict(request, patient_info={"age": 40, "weight": 70, "sex": "male"})
    parsed = validate_prescription(younger)
    assert not Prescription(parsed, load_knowledge_base()).assess("sumatriptan").reasons


def test_a_penicillin_allergy_without_a_reaction_holds_the_cephalosporin() -> None:
    outcome = prescription_result(
        {
            "diagnosis": "Pyelonephritis",
            "patient_info": {"age": 40, "weight": 70, "sex": "male"},
            "allergies": ["penicillin allergy"],
        }
    )
    assert "cefalexin" not in [m["drug"] for m in outcome["medications"]]
    assert outcome["allergy_check"]["recognized"][0]["reaction"] == "unknown"
