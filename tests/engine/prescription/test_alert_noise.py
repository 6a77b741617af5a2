"""Warnings only where they apply (issue 16): no breastfeeding check past a plausible age, no
pregnancy prompt outside a plausible age (policy/prescribing.yaml, each bound with its source or
reasoning); a stated fact is still checked at any age."""

from __future__ import annotations

from typing import Any

from clinical.engine.prescription.stream import prescription_result


def said(
    patient: dict[str, Any], diagnosis: str = "Non-specific (mechanical) low back pain"
) -> str:
    # An NSAID allergy leaves codeine, which has a breastfeeding contraindication (BNF).
    request = {"diagnosis": diagnosis, "patient_info": patient, "allergies": ["NSAIDs"]}
    outcome = prescription_result(request)
    texts = [
        *outcome["warnings"],
        *(c for m in outcome["medications"] for c in m["check_before_prescribing"]),
    ]
    return " ".join(texts).lower()


def test_an_82_year_old_woman_is_not_asked_about_breastfeeding_or_pregnancy() -> None:
    text = said({"age": 82, "weight": 60, "sex": "female"})
    assert "breastfeeding" not in text
    assert "pregnancy not stated" not in text


def test_a_30_year_old_woman_is_asked_about_breastfeeding() -> None:
    assert "breastfeeding" in said({"age": 30, "weight": 60, "sex": "female"})


def test_a_78_year_old_woman_gets_no_pregnancy_prompt_where_a_30_year_old_does() -> None:
    older = said({"age": 78, "weight": 60, "sex": "female"}, "J18.9")
    younger = said({"age": 30, "weight": 60, "sex": "female"}, "Acne vulgaris")
    assert "pregnancy not stated" not in older
    assert "pregnancy not stated" in younger


def test_a_6_year_old_girl_gets_no_pregnancy_prompt() -> None:
    assert "pregnancy not stated" not in said(
        {"age": 6, "weight": 21, "sex": "female"}, "Acne vulgaris"
    )
