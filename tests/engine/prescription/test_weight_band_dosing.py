"""Oseltamivir for a child, through the public ``prescribe`` stream: the Tamiflu label's weight
bands from 1 to 12 years (15 kg or less 30 mg, over 15-23 kg 45 mg, over 23-40 kg 60 mg, over
40 kg 75 mg), 3 mg/kg under 1 year, the adult 75 mg from 13, all twice daily [fda_tamiflu_label].
An audit found every child dosed at 3 mg/kg (42 mg at 14 kg, 66 mg at 22 kg). Also the schema's
refusal of a malformed band, naming the file, entry and field."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine import prescribe
from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.knowledge.loader import build_knowledge_base

LABEL = "[fda_tamiflu_label]"


def oseltamivir_for(age: float, weight: float) -> dict[str, Any]:
    """The oseltamivir line of a complete influenza prescription for this child."""
    request = {
        "diagnosis": "influenza",
        "patient_info": {"age": age, "weight": weight, "sex": "female"},
    }
    (complete,) = [event for event in prescribe(request) if event["type"] == "complete"]
    return next(m for m in complete["result"]["medications"] if m["drug"] == "oseltamivir")


# ------------------------------------------------------------------ weight bands, 1-12 years


@pytest.mark.parametrize(
    ("age", "weight", "dose", "band"),
    [
        (3, 14, "30 mg", "body-weight 15 kg or less"),
        (3, 15, "30 mg", "body-weight 15 kg or less"),  # 15 kg is still "15 kg or less"
        (4, 15.5, "45 mg", "body-weight over 15 kg and 23 kg or less"),
        (6, 22, "45 mg", "body-weight over 15 kg and 23 kg or less"),
        (7, 23, "45 mg", "body-weight over 15 kg and 23 kg or less"),
        (7, 23.1, "60 mg", "body-weight over 23 kg and 40 kg or less"),
        (9, 30, "60 mg", "body-weight over 23 kg and 40 kg or less"),
        (11, 40, "60 mg", "body-weight over 23 kg and 40 kg or less"),
        (11, 40.1, "75 mg", "body-weight over 40 kg"),
        (12, 45, "75 mg", "body-weight over 40 kg"),
    ],
)
def test_a_child_from_1_year_gets_the_fixed_dose_of_their_weight_band(
    age: float, weight: float, dose: str, band: str
) -> None:
    line = oseltamivir_for(age, weight)
    assert (line["dose"], line["frequency"], line["duration"]) == (dose, "twice daily", "5 days")
    assert f"child 1-12 years, {band}: fixed dose {dose} {LABEL}" in line["rationale"]


@pytest.mark.parametrize(("weight", "was"), [(14, "42 mg"), (22, "66 mg")])
def test_the_audited_children_no_longer_get_3_mg_per_kg(weight: float, was: str) -> None:
    line = oseltamivir_for(4, weight)
    assert line["dose"] != was
    assert "mg/kg" not in line["rationale"]


# ------------------------------------------------------------------ under 1 year: mg/kg


def test_an_infant_under_1_year_gets_3_mg_per_kg() -> None:
    line = oseltamivir_for(0.5, 7)
    assert (line["dose"], line["dose_mg"], line["frequency"]) == ("21 mg", 21, "twice daily")
    assert f"child 0-11 months: child: 3 mg/kg x 7 kg = 21 mg {LABEL}" in line["rationale"]


def test_the_infant_mg_per_kg_dose_keeps_the_adult_cap() -> None:
    line = oseltamivir_for(0.9, 30)  # 3 mg/kg x 30 kg = 90 mg
    assert line["dose"] == "75 mg"
    assert "capped at the maximum single dose of 75 mg" in line["rationale"]


# ------------------------------------------------------------------ 13 years and over


def test_from_13_years_the_adult_dose_applies_whatever_the_weight() -> None:
    line = oseltamivir_for(13, 35)
    assert (line["dose"], line["frequency"]) == ("75 mg", "twice daily")
    assert f"the adult dose applies from age 13 {LABEL}" in line["rationale"]


@pytest.mark.parametrize("age", [0.1, 0.5, 1, 5, 12, 17])
@pytest.mark.parametrize("weight", [3, 10, 15, 23, 40, 41, 80, 120])
def test_no_child_dose_is_above_the_adult_75_mg(age: float, weight: float) -> None:
    assert oseltamivir_for(age, weight)["dose_mg"] <= 75


# ------------------------------------------------------------------ schema checks


def _break_band(kb_copy: Any, change: Any) -> str:
    def edit(document: dict[str, Any]) -> None:
        oseltamivir = next(d for d in document["drugs"] if d["id"] == "oseltamivir")
        change(oseltamivir["paediatric"]["bands"])

    kb_copy.edit("drugs/anti_infectives.yaml", edit)
    with pytest.raises(KnowledgeBaseError) as caught:
        build_knowledge_base(kb_copy.root)
    return str(caught.value)


def test_overlapping_weight_bands_are_refused_naming_the_field(kb_copy: Any) -> None:
    def overlap(bands: list[dict[str, Any]]) -> None:
        bands[2]["weight"] = {"at_least": 15, "at_most": 23}  # 15 kg is in two bands

    message = _break_band(kb_copy, overlap)
    assert message == (
        "drugs/anti_infectives.yaml: entry 'oseltamivir': field 'paediatric': "
        "two dose bands cover the same age and weight"
    )


def test_a_weight_band_without_a_dose_is_refused_naming_the_band(kb_copy: Any) -> None:
    message = _break_band(kb_copy, lambda bands: bands[2].pop("dose_mg"))
    assert message == (
        "drugs/anti_infectives.yaml: entry 'oseltamivir': field 'paediatric.bands.2': "
        "give exactly one of dose_mg and mg_per_kg"
    )


def test_an_upside_down_weight_range_is_refused_naming_the_weight(kb_copy: Any) -> None:
    def upside_down(bands: list[dict[str, Any]]) -> None:
        bands[3]["weight"] = {"above": 40, "at_most": 23}

    message = _break_band(kb_copy, upside_down)
    assert "entry 'oseltamivir': field 'paediatric.bands.3.weight'" in message
    assert "the lower bound exceeds the upper one" in message
