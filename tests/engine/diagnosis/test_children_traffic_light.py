"""Children under 5 with fever are triaged by NICE NG143's traffic-light table, not adult NEWS2
thresholds: every age-banded rate at its edge (just below, at, just above), each feature from a
structured symptom and from a note's words, and the reason naming the feature and NG143."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine import diagnose


def _result(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = list(diagnose(data))[-1]["result"]
    return result


def _febrile_child(age: float, **vitals: Any) -> dict[str, Any]:
    return {
        "symptoms": ["fever", "cough"],
        "vitals": {"temperature": 38.5, **vitals},
        "history": {"age": age, "sex": "female"},
    }


# (vital sign, age in years, the NG143 threshold (strictly above), its finding, the level above)
RATE_EDGES = [
    ("respiratory_rate", 0.75, 50, "tachypnoea_6_to_12_months", "urgent"),
    # exactly 12 months: the stricter over-12-months rate
    ("respiratory_rate", 1.0, 40, "tachypnoea_over_12_months", "urgent"),
    ("respiratory_rate", 3.0, 40, "tachypnoea_over_12_months", "urgent"),
    ("respiratory_rate", 0.3, 60, "tachypnoea_over_60", "emergency"),  # any age under 5: red
    ("respiratory_rate", 4.0, 60, "tachypnoea_over_60", "emergency"),
    ("heart_rate", 0.5, 160, "tachycardia_under_12_months", "urgent"),
    ("heart_rate", 1.5, 150, "tachycardia_12_to_24_months", "urgent"),
    ("heart_rate", 3.0, 140, "tachycardia_2_to_5_years", "urgent"),
]


def _present(result: dict[str, Any]) -> set[str]:
    return {f["finding"] for f in result["recognized_findings"] if f["status"] == "present"}


@pytest.mark.parametrize(("vital", "age", "threshold", "finding", "level"), RATE_EDGES)
def test_an_age_banded_rate_is_graded_only_above_its_ng143_threshold(
    vital: str, age: float, threshold: int, finding: str, level: str
) -> None:
    above = _result(_febrile_child(age, **{vital: threshold + 1}))
    assert finding in _present(above)
    assert above["urgency"] == level
    assert "NG143" in above["urgency_reason"]
    for value in (threshold, threshold - 1):
        result = _result(_febrile_child(age, **{vital: value}))
        assert finding not in _present(result), (vital, age, value)


def test_a_rate_normal_for_a_toddler_is_not_an_adult_emergency() -> None:
    # RR 28 and HR 125 at 2 years are normal; the adult NICE sepsis criteria (RR 25 or more,
    # heart rate 130) and NEWS2 hold from 16 only.
    result = _result(_febrile_child(2, respiratory_rate=28, heart_rate=125))
    assert result["urgency"] != "emergency"
    assert not _present(result) & {"tachypnoea", "severe_tachypnoea", "tachycardia"}


def test_the_same_rates_in_an_adult_keep_the_adult_thresholds() -> None:
    adult = _febrile_child(30, respiratory_rate=28)
    assert _result(adult)["urgency"] == "emergency"


def test_a_rate_band_does_not_apply_past_its_age_band() -> None:
    # HR 145 is above the 2-5 years rate (140) but not the 12-24 months one (150); at 6 years
    # no NG143 band applies (the table is for under 5s).
    assert "tachycardia_2_to_5_years" in _present(_result(_febrile_child(2, heart_rate=145)))
    assert not any(
        "tachycardia" in f for f in _present(_result(_febrile_child(1.9, heart_rate=145)))
    )
    assert "NG143" not in _result(_febrile_child(6, heart_rate=155))["urgency_reason"]


@pytest.mark.parametrize(("saturation", "amber"), [(94, True), (95, True), (96, False)])
def test_oxygen_saturation_95_or_less_in_air_is_amber(saturation: int, amber: bool) -> None:
    result = _result(_febrile_child(2, oxygen_saturation=saturation))
    assert ("oxygen_saturation_95_or_less" in _present(result)) is amber


@pytest.mark.parametrize(
    ("age", "temperature", "level"),
    [
        (0.2, 37.9, None),
        (0.2, 38.0, "emergency"),  # under 3 months, 38 C or more: red
        (0.25, 38.9, None),  # at 3 months: the 3-6 months band
        (0.25, 39.0, "urgent"),  # 3-6 months, 39 C or more: amber
        (0.4, 39.1, "urgent"),
        (0.5, 39.0, None),  # 6 months: neither temperature band
    ],
)
def test_temperature_bands_by_age(age: float, temperature: float, level: str | None) -> None:
    data = {
        "symptoms": ["cough"],
        "vitals": {"temperature": temperature},
        "history": {"age": age, "sex": "male"},
    }
    reason = _result(data)["urgency_reason"]
    fired = "NICE red" in reason or "NICE amber" in reason
    assert fired is (level is not None), reason
    if level is not None:
        assert _result(data)["urgency"] == level


# A feature as a clinician or parent writes it, and the level NG143 gives it.
NOTE_FEATURES = [
    ("he is floppy", "urgent"),
    ("not feeding", "urgent"),
    ("mottled", "emergency"),
    ("grunting", "emergency"),
    ("a high-pitched cry", "emergency"),
    ("she won't wake", "emergency"),
    ("dry nappies all day", "urgent"),
    ("nasal flaring", "urgent"),
    ("bulging fontanelle", "emergency"),
    ("CRT 3 sec", "urgent"),
    ("reduced skin turgor", "emergency"),
    ("not smiling", "urgent"),
    ("looks toxic", "emergency"),
    ("won't put weight on her left leg", "urgent"),
    ("more sleepy than usual", "urgent"),
]


@pytest.mark.parametrize(("words", "level"), NOTE_FEATURES)
def test_a_feature_in_a_note_is_graded_by_ng143(words: str, level: str) -> None:
    result = _result({"note": f"8 month old boy, temp 38.4, {words}."})
    assert result["urgency"] == level, result["urgency_reason"]
    assert "NG143" in result["urgency_reason"]


@pytest.mark.parametrize(("words", "level"), NOTE_FEATURES)
def test_the_same_feature_does_not_grade_a_child_without_fever(words: str, level: str) -> None:
    result = _result({"note": f"8 month old boy, temp 37.2, {words}."})
    assert "NG143" not in result["urgency_reason"]


@pytest.mark.parametrize(
    ("symptom", "level"), [("grunting", "emergency"), ("nasal flaring", "urgent")]
)
def test_a_structured_symptom_is_graded_by_ng143(symptom: str, level: str) -> None:
    data = {
        "symptoms": ["fever", symptom],
        "history": {"age": 1, "sex": "female"},
    }
    assert _result(data)["urgency"] == level


def test_the_reason_names_the_features_present_and_ng143() -> None:
    result = _result({"note": "2 yo girl, fever 38.9, grunting and RR 64."})
    reason = result["urgency_reason"]
    assert result["urgency"] == "emergency"
    assert "NICE NG143 red" in reason
    assert "grunting" in reason.lower() and "respiratory rate above 60" in reason.lower()


def test_a_child_of_5_is_outside_ng143() -> None:
    result = _result({"note": "5 year old boy, temp 38.6, grunting."})
    assert "NG143" not in result["urgency_reason"]


def test_a_parent_who_felt_the_child_hot_reports_a_fever() -> None:
    # NG143 1.1: a parent's perception of fever is taken seriously; under 3 months it is red.
    result = _result({"note": "6 week old girl, mum says she feels hot, feeding ok."})
    assert result["urgency"] == "emergency"
    assert "under 3 months" in result["urgency_reason"]


@pytest.mark.parametrize(
    ("note", "urgency"),
    [
        ("toddler, grunting and breathing fast, temp 38.9", "emergency"),
        ("my baby has a temp of 38.5 and is pale", "emergency"),
        ("little girl with a temp, not smiling, dry nappies", "urgent"),
        ("baby floppy and not feeding, temp 39.4", "urgent"),
    ],
)
def test_a_child_named_without_an_age_still_meets_ng143(note: str, urgency: str) -> None:
    """Without an age the age-banded rules cannot fire and the note was assessed as an adult's
    ("toddler, grunting and breathing fast, temp 38.9" was urgent, with COPD in its
    differential); a baby or young child named in the note carries NG143's features."""
    result = _result({"note": note})
    assert result["urgency"] == urgency
    assert "baby or young child named in the note" in result["urgency_reason"]


def test_a_well_baby_named_without_an_age_is_not_escalated() -> None:
    result = _result({"note": "baby has a runny nose, feeding fine, no temp"})
    assert result["urgency"] in {"routine", "self_care"}
