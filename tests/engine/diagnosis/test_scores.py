"""The published score tables, edge by edge: each band just inside and just outside its boundary.

Expected values are the published charts (RCP NEWS2 2017 Chart 1 and 2; Sepsis-3 qSOFA; CURB-65
and CRB-65 as NICE CG191 tabulates them; Centor as NICE NG84 lists it; McIsaac 1998), written
here independently of the YAML tables so that a mistyped table fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .score_calculators import (
    centor_score,
    crb65_score,
    curb65_score,
    mcisaac_score,
    news2_score,
    qsofa_score,
)

NORMAL_VITALS: dict[str, Any] = {
    "respiratory_rate": 16,
    "oxygen_saturation": 97,
    "supplemental_oxygen": False,
    "temperature": 37.0,
    "systolic_bp": 120,
    "heart_rate": 70,
    "consciousness": "alert",
}
NEWS2_PARAMETERS = tuple(NORMAL_VITALS)


def news2_points(parameter: str, value: Any, **others: Any) -> int | None:
    return news2_score(**{parameter: value}, **others)["components"].get(parameter)


# ---------------------------------------------------------------- NEWS2 chart 1, row by row


@pytest.mark.parametrize(
    ("rate", "points"),
    [(3, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)],
)
def test_news2_scores_respiration_rate_by_its_chart_band(rate: float, points: int) -> None:
    assert news2_points("respiratory_rate", rate) == points


@pytest.mark.parametrize(
    ("saturation", "points"),
    [(70, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)],
)
@pytest.mark.parametrize("oxygen", [False, True])
def test_news2_scale_1_scores_spo2_the_same_on_air_and_oxygen(
    saturation: float, points: int, oxygen: bool
) -> None:
    assert news2_points("oxygen_saturation", saturation, supplemental_oxygen=oxygen) == points


@pytest.mark.parametrize(
    ("saturation", "oxygen", "points"),
    [
        (70, False, 3),
        (83, False, 3),
        (84, False, 2),
        (85, True, 2),
        (86, False, 1),
        (87, True, 1),
        (88, False, 0),
        (88, True, 0),
        (92, False, 0),
        (92, True, 0),
        (93, False, 0),
        (100, False, 0),
        (93, True, 1),
        (94, True, 1),
        (95, True, 2),
        (96, True, 2),
        (97, True, 3),
        (100, True, 3),
    ],
)
def test_news2_scale_2_scores_spo2_by_its_chart_band_and_air_or_oxygen(
    saturation: float, oxygen: bool, points: int
) -> None:
    result = news2_score(oxygen_saturation=saturation, supplemental_oxygen=oxygen, scale=2)
    assert result["components"]["oxygen_saturation"] == points
    assert result["scale"] == 2


@pytest.mark.parametrize(("saturation", "points"), [(83, 3), (87, 1), (92, 0)])
def test_news2_scale_2_needs_no_air_or_oxygen_below_93(saturation: float, points: int) -> None:
    assert news2_points("oxygen_saturation", saturation, scale=2) == points


@pytest.mark.parametrize("saturation", [93, 95, 99])
def test_news2_scale_2_cannot_score_spo2_from_93_without_air_or_oxygen(saturation: float) -> None:
    result = news2_score(oxygen_saturation=saturation, scale=2)
    assert "oxygen_saturation" in result["missing"]
    assert "oxygen_saturation" not in result["components"]


@pytest.mark.parametrize(("oxygen", "points"), [(False, 0), (True, 2)])
def test_news2_scores_supplemental_oxygen_2_and_air_0(oxygen: bool, points: int) -> None:
    assert news2_points("supplemental_oxygen", oxygen) == points


@pytest.mark.parametrize(
    ("systolic", "points"),
    [(60, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_news2_scores_systolic_pressure_by_its_chart_band(systolic: float, points: int) -> None:
    assert news2_points("systolic_bp", systolic) == points


@pytest.mark.parametrize(
    ("pulse", "points"),
    [
        (30, 3),
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
        (200, 3),
    ],
)
def test_news2_scores_pulse_by_its_chart_band(pulse: float, points: int) -> None:
    assert news2_points("heart_rate", pulse) == points


@pytest.mark.parametrize(
    ("temperature", "points"),
    [
        (33.0, 3),
        (35.0, 3),
        (35.1, 1),
        (36.0, 1),
        (36.1, 0),
        (38.0, 0),
        (38.1, 1),
        (39.0, 1),
        (39.1, 2),
        (41.0, 2),
    ],
)
def test_news2_scores_temperature_by_its_chart_band(temperature: float, points: int) -> None:
    assert news2_points("temperature", temperature) == points


@pytest.mark.parametrize(
    ("parameter", "value", "points"),
    [
        ("temperature", 35.04, 3),
        ("temperature", 35.05, 1),
        ("temperature", 38.04, 0),
        ("temperature", 38.05, 1),
        ("respiratory_rate", 20.4, 0),
        ("respiratory_rate", 20.5, 2),
        ("oxygen_saturation", 95.5, 0),
        ("heart_rate", 90.5, 1),
    ],
)
def test_news2_rounds_a_value_to_the_chart_resolution_half_up(
    parameter: str, value: float, points: int
) -> None:
    assert news2_points(parameter, value) == points


@pytest.mark.parametrize(
    ("level", "points"),
    [
        ("alert", 0),
        ("confused", 3),
        ("voice", 3),
        ("pain", 3),
        ("unresponsive", 3),
        ("A", 0),
        ("C", 3),
        ("u", 3),
    ],
)
def test_news2_scores_acvpu_alert_0_and_new_confusion_or_worse_3(level: str, points: int) -> None:
    assert news2_points("consciousness", level) == points


def test_news2_refuses_a_consciousness_level_outside_acvpu() -> None:
    with pytest.raises(ValueError, match="alert, confused, voice, pain, unresponsive"):
        news2_score(consciousness="drowsy")


def test_news2_refuses_a_scale_the_chart_does_not_have() -> None:
    with pytest.raises(ValueError, match="no scale 3"):
        news2_score(respiratory_rate=16, scale=3)


# ---------------------------------------------------------------- NEWS2 chart 2: aggregate risk


@pytest.mark.parametrize(
    ("changes", "total", "risk", "red_score"),
    [
        ({}, 0, "low", False),
        ({"heart_rate": 95}, 1, "low", False),
        ({"respiratory_rate": 22, "heart_rate": 95, "temperature": 38.5}, 4, "low", False),
        ({"consciousness": "confused"}, 3, "low-medium", True),
        ({"respiratory_rate": 25, "heart_rate": 95}, 4, "low-medium", True),
        ({"respiratory_rate": 22, "heart_rate": 115, "temperature": 38.5}, 5, "medium", False),
        ({"respiratory_rate": 25, "heart_rate": 115}, 5, "medium", True),
        (
            {"respiratory_rate": 22, "heart_rate": 115, "supplemental_oxygen": True},
            6,
            "medium",
            False,
        ),
        ({"respiratory_rate": 25, "heart_rate": 115, "supplemental_oxygen": True}, 7, "high", True),
        (
            {"respiratory_rate": 22, "heart_rate": 115, "temperature": 39.5, "systolic_bp": 105},
            7,
            "high",
            False,
        ),
        (
            {
                "respiratory_rate": 30,
                "oxygen_saturation": 88,
                "supplemental_oxygen": True,
                "temperature": 34.0,
                "systolic_bp": 80,
                "heart_rate": 140,
                "consciousness": "unresponsive",
            },
            20,
            "high",
            True,
        ),
    ],
)
def test_news2_aggregate_gives_the_rcp_clinical_risk(
    changes: dict[str, Any], total: int, risk: str, red_score: bool
) -> None:
    result = news2_score(**(NORMAL_VITALS | changes))
    assert (result["total"], result["risk"], result["red_score"]) == (total, risk, red_score)
    assert result["complete"] is True
    assert result["missing"] == []
    assert result["total"] == sum(result["components"].values())
    assert result["advice"]


def test_news2_total_0_and_1_to_4_are_both_low_risk_with_different_monitoring() -> None:
    zero = news2_score(**NORMAL_VITALS)
    one = news2_score(**(NORMAL_VITALS | {"heart_rate": 95}))
    assert zero["risk"] == one["risk"] == "low"
    assert zero["advice"] != one["advice"]


def test_news2_result_cites_its_source_and_names_every_parameter() -> None:
    result = news2_score(**NORMAL_VITALS)
    assert result["source"] == "rcp_news2_2017"
    assert set(result["components"]) == set(NEWS2_PARAMETERS)


# ---------------------------------------------------------------- NEWS2 partial inputs


def test_news2_from_partial_inputs_lists_what_is_missing() -> None:
    result = news2_score(respiratory_rate=22, heart_rate=95)
    assert result["total"] == 3
    assert result["components"] == {"respiratory_rate": 2, "heart_rate": 1}
    assert result["missing"] == [
        "oxygen_saturation",
        "supplemental_oxygen",
        "systolic_bp",
        "consciousness",
        "temperature",
    ]
    assert result["complete"] is False


def test_news2_from_partial_inputs_gives_no_risk_the_missing_ones_could_change() -> None:
    result = news2_score(respiratory_rate=16, heart_rate=70)
    assert result["total"] == 0
    assert result["risk"] is None
    assert result["advice"] is None
    assert result["red_score"] is None


def test_news2_partial_with_a_3_already_has_a_red_score() -> None:
    result = news2_score(respiratory_rate=25)
    assert result["red_score"] is True
    assert result["risk"] is None


def test_news2_partial_already_at_7_is_high_risk_whatever_is_missing() -> None:
    result = news2_score(respiratory_rate=25, heart_rate=131, systolic_bp=100)
    assert result["total"] == 8
    assert result["risk"] == "high"
    assert result["complete"] is False


def test_news2_with_nothing_measured_scores_nothing() -> None:
    result = news2_score()
    assert result["components"] == {}
    assert set(result["missing"]) == set(NEWS2_PARAMETERS)
    assert result["risk"] is None


vital_values = {
    "respiratory_rate": st.integers(3, 80),
    "oxygen_saturation": st.integers(50, 100),
    "supplemental_oxygen": st.booleans(),
    "temperature": st.integers(200, 450).map(lambda tenths: tenths / 10),
    "systolic_bp": st.integers(40, 300),
    "heart_rate": st.integers(20, 300),
    "consciousness": st.sampled_from(["alert", "confused", "voice", "pain", "unresponsive"]),
}


def rcp_risk(total: int, red: bool) -> str:
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    return "low-medium" if red else "low"


@given(st.fixed_dictionaries(vital_values), st.sampled_from([1, 2]))
def test_news2_total_and_risk_follow_the_rcp_rules_for_any_vitals(
    vitals: dict[str, Any], scale: int
) -> None:
    result = news2_score(**vitals, scale=scale)
    points = result["components"].values()
    assert result["complete"] is True
    assert result["total"] == sum(points)
    assert 0 <= result["total"] <= 20
    assert result["red_score"] is (max(points) == 3)
    assert result["risk"] == rcp_risk(result["total"], result["red_score"])


@given(
    st.fixed_dictionaries(vital_values),
    st.sets(st.sampled_from(NEWS2_PARAMETERS)),
    st.sampled_from([1, 2]),
)
def test_news2_partial_risk_when_given_is_the_risk_of_the_complete_chart(
    vitals: dict[str, Any], dropped: set[str], scale: int
) -> None:
    full = news2_score(**vitals, scale=scale)
    partial = news2_score(**{k: v for k, v in vitals.items() if k not in dropped}, scale=scale)
    assert partial["total"] <= full["total"]
    assert set(dropped) <= set(partial["missing"])
    for field in ("risk", "advice", "red_score"):
        assert partial[field] in (None, full[field])


# ---------------------------------------------------------------- qSOFA (Sepsis-3)


@pytest.mark.parametrize(("rate", "points"), [(12, 0), (21, 0), (21.9, 0), (22, 1), (40, 1)])
def test_qsofa_counts_respiratory_rate_of_22_or_more(rate: float, points: int) -> None:
    assert qsofa_score(respiratory_rate=rate)["components"]["respiratory_rate"] == points


@pytest.mark.parametrize(("systolic", "points"), [(80, 1), (100, 1), (101, 0), (140, 0)])
def test_qsofa_counts_systolic_pressure_of_100_or_less(systolic: float, points: int) -> None:
    assert qsofa_score(systolic_bp=systolic)["components"]["systolic_bp"] == points


@pytest.mark.parametrize(
    ("level", "points"),
    [("alert", 0), ("confused", 1), ("voice", 1), ("pain", 1), ("unresponsive", 1)],
)
def test_qsofa_counts_any_acvpu_level_but_alert_as_altered_mentation(
    level: str, points: int
) -> None:
    assert qsofa_score(consciousness=level)["components"]["altered_mentation"] == points


@pytest.mark.parametrize(("finding", "points"), [(True, 1), (False, 0)])
def test_qsofa_takes_altered_mentation_from_the_finding_when_acvpu_is_unmeasured(
    finding: bool, points: int
) -> None:
    result = qsofa_score(altered_consciousness=finding)
    assert result["components"]["altered_mentation"] == points


def test_qsofa_prefers_the_measured_acvpu_level_to_the_finding() -> None:
    result = qsofa_score(consciousness="alert", altered_consciousness=True)
    assert result["components"]["altered_mentation"] == 0


@pytest.mark.parametrize(
    ("vitals", "score", "positive"),
    [
        ({"respiratory_rate": 16, "systolic_bp": 120, "consciousness": "A"}, 0, False),
        ({"respiratory_rate": 22, "systolic_bp": 120, "consciousness": "A"}, 1, False),
        ({"respiratory_rate": 22, "systolic_bp": 100, "consciousness": "A"}, 2, True),
        ({"respiratory_rate": 16, "systolic_bp": 100, "consciousness": "C"}, 2, True),
        ({"respiratory_rate": 30, "systolic_bp": 85, "consciousness": "V"}, 3, True),
    ],
)
def test_qsofa_is_positive_at_2_or_more(vitals: dict[str, Any], score: int, positive: bool) -> None:
    result = qsofa_score(**vitals)
    assert (result["score"], result["positive"], result["complete"]) == (score, positive, True)
    assert result["advice"]
    assert result["source"] == "singer_2016_sepsis3"


@pytest.mark.parametrize(
    ("vitals", "positive", "missing"),
    [
        ({"respiratory_rate": 22, "systolic_bp": 95}, True, ["altered_mentation"]),
        ({"respiratory_rate": 16, "systolic_bp": 120}, False, ["altered_mentation"]),
        ({"respiratory_rate": 22, "systolic_bp": 120}, None, ["altered_mentation"]),
        ({"respiratory_rate": 22}, None, ["altered_mentation", "systolic_bp"]),
        ({}, None, ["respiratory_rate", "altered_mentation", "systolic_bp"]),
    ],
)
def test_qsofa_from_partial_inputs_is_positive_only_when_the_missing_cannot_change_it(
    vitals: dict[str, Any], positive: bool | None, missing: list[str]
) -> None:
    result = qsofa_score(**vitals)
    assert (result["positive"], result["missing"]) == (positive, missing)


# ---------------------------------------------------------------- CURB-65 and CRB-65


CURB65_NONE: dict[str, Any] = {
    "consciousness": "alert",
    "urea_mmol_l": 5.0,
    "respiratory_rate": 16,
    "systolic_bp": 120,
    "diastolic_bp": 80,
    "age": 40,
}


@pytest.mark.parametrize(
    ("changes", "criterion", "points"),
    [
        ({"consciousness": "confused"}, "confusion", 1),
        ({"consciousness": "pain"}, "confusion", 1),
        ({"consciousness": None, "altered_consciousness": True}, "confusion", 1),
        ({"consciousness": None, "altered_consciousness": False}, "confusion", 0),
        ({"urea_mmol_l": 7.0}, "urea", 0),
        ({"urea_mmol_l": 7.1}, "urea", 1),
        ({"respiratory_rate": 29}, "respiratory_rate", 0),
        ({"respiratory_rate": 30}, "respiratory_rate", 1),
        ({"systolic_bp": 90}, "blood_pressure", 0),
        ({"systolic_bp": 89}, "blood_pressure", 1),
        ({"diastolic_bp": 61}, "blood_pressure", 0),
        ({"diastolic_bp": 60}, "blood_pressure", 1),
        ({"systolic_bp": 85, "diastolic_bp": 55}, "blood_pressure", 1),
        ({"age": 64}, "age", 0),
        ({"age": 64.9}, "age", 0),
        ({"age": 65}, "age", 1),
    ],
)
def test_curb65_scores_each_criterion_at_its_edge(
    changes: dict[str, Any], criterion: str, points: int
) -> None:
    result = curb65_score(**(CURB65_NONE | changes))
    assert result["components"][criterion] == points
    assert result["score"] == points
    assert result["complete"] is True


CURB65_CRITERIA_MET: list[dict[str, Any]] = [
    {"consciousness": "confused"},
    {"urea_mmol_l": 9.0},
    {"respiratory_rate": 32},
    {"systolic_bp": 85},
    {"age": 80},
]


@pytest.mark.parametrize(
    ("score", "risk", "mortality"),
    [
        (0, "low", "less than 3%"),
        (1, "low", "less than 3%"),
        (2, "intermediate", "3-15%"),
        (3, "high", "more than 15%"),
        (4, "high", "more than 15%"),
        (5, "high", "more than 15%"),
    ],
)
def test_curb65_risk_groups_are_nice_cg191s(score: int, risk: str, mortality: str) -> None:
    vitals = dict(CURB65_NONE)
    for criterion in CURB65_CRITERIA_MET[:score]:
        vitals |= criterion
    result = curb65_score(**vitals)
    assert (result["score"], result["risk"], result["mortality"]) == (score, risk, mortality)
    assert result["advice"]


def test_curb65_advises_intensive_care_assessment_from_3() -> None:
    two = curb65_score(**(CURB65_NONE | CURB65_CRITERIA_MET[0] | CURB65_CRITERIA_MET[1]))
    three = curb65_score(**(CURB65_NONE | {"age": 70, "urea_mmol_l": 8, "respiratory_rate": 31}))
    assert "intensive care" not in two["advice"]
    assert "intensive care" in three["advice"]


@pytest.mark.parametrize(
    ("score", "risk", "mortality"),
    [
        (0, "low", "less than 1%"),
        (1, "intermediate", "1-10%"),
        (2, "intermediate", "1-10%"),
        (3, "high", "more than 10%"),
        (4, "high", "more than 10%"),
    ],
)
def test_crb65_risk_groups_are_nice_cg191s(score: int, risk: str, mortality: str) -> None:
    vitals = {k: v for k, v in CURB65_NONE.items() if k != "urea_mmol_l"}
    met = [c for c in CURB65_CRITERIA_MET if "urea_mmol_l" not in c]
    for criterion in met[:score]:
        vitals |= criterion
    result = crb65_score(**vitals)
    assert (result["score"], result["risk"], result["mortality"]) == (score, risk, mortality)
    assert "urea" not in result["components"]
    assert result["source"] == "nice_cg191"


def test_crb65_suggests_hospital_assessment_from_2_not_at_1() -> None:
    base = {k: v for k, v in CURB65_NONE.items() if k != "urea_mmol_l"}
    one = crb65_score(**(base | {"age": 70}))
    two = crb65_score(**(base | {"age": 70, "respiratory_rate": 30}))
    assert "hospital assessment" not in one["advice"]
    assert "hospital assessment" in two["advice"]


def test_curb65_without_blood_pressure_lists_it_missing() -> None:
    result = curb65_score(consciousness="A", urea_mmol_l=8, respiratory_rate=20, age=50)
    assert result["missing"] == ["blood_pressure"]
    assert result["score"] == 1
    assert result["risk"] is None


def test_curb65_with_one_pressure_low_needs_not_the_other() -> None:
    result = curb65_score(systolic_bp=85)
    assert result["components"]["blood_pressure"] == 1


# ---------------------------------------------------------------- Centor and McIsaac


CENTOR_NONE: dict[str, Any] = {
    "tonsillar_exudate": False,
    "neck_lymphadenopathy": False,
    "fever": False,
    "cough": True,
}
CENTOR_CRITERIA_MET: list[dict[str, Any]] = [
    {"tonsillar_exudate": True},
    {"neck_lymphadenopathy": True},
    {"fever": True},
    {"cough": False},
]


def centor_findings(met: int) -> dict[str, Any]:
    """Findings meeting the first ``met`` Centor criteria and failing the others."""
    findings = dict(CENTOR_NONE)
    for change in CENTOR_CRITERIA_MET[:met]:
        findings |= change
    return findings


@pytest.mark.parametrize(
    ("changes", "criterion"),
    [
        ({"tonsillar_exudate": True}, "tonsillar_exudate"),
        ({"neck_lymphadenopathy": True}, "anterior_cervical_nodes"),
        ({"fever": True}, "fever"),
        ({"fever": None, "temperature": 38.1}, "fever"),
        ({"cough": False}, "no_cough"),
    ],
)
def test_centor_scores_1_for_each_criterion(changes: dict[str, Any], criterion: str) -> None:
    result = centor_score(**(CENTOR_NONE | changes))
    assert result["score"] == 1
    assert result["components"][criterion] == 1


@pytest.mark.parametrize(
    ("fever", "temperature", "points"),
    [
        (True, None, 1),
        (False, None, 0),
        (True, 37.0, 1),
        (None, 38.1, 1),
        (None, 38.0, 0),
        (None, None, None),
    ],
)
def test_centor_counts_a_history_of_fever_else_a_temperature_over_38(
    fever: bool | None, temperature: float | None, points: int | None
) -> None:
    result = centor_score(fever=fever, temperature=temperature)
    assert result["components"].get("fever") == points
    assert ("fever" in result["missing"]) is (points is None)


@pytest.mark.parametrize(("cough", "points"), [(True, 0), (False, 1), (None, None)])
def test_centor_scores_absence_of_cough_only_when_cough_is_known_absent(
    cough: bool | None, points: int | None
) -> None:
    assert centor_score(cough=cough)["components"].get("no_cough") == points


@pytest.mark.parametrize(
    ("met", "likelihood"),
    [
        (0, "3-17%"),
        (1, "3-17%"),
        (2, "3-17%"),
        (3, "32-56%"),
        (4, "32-56%"),
    ],
)
def test_centor_likelihood_groups_are_nice_ng84s(met: int, likelihood: str) -> None:
    result = centor_score(**centor_findings(met))
    assert result["score"] == met
    assert result["probability"].startswith(likelihood)
    assert "antibiotic" in result["advice"]


def test_centor_advises_no_antibiotic_up_to_2_and_considers_one_from_3() -> None:
    two = centor_score(tonsillar_exudate=True, neck_lymphadenopathy=True, fever=False, cough=True)
    three = centor_score(tonsillar_exudate=True, neck_lymphadenopathy=True, fever=True, cough=True)
    assert two["advice"].startswith("Do not offer an antibiotic")
    assert three["advice"].startswith("Consider an immediate antibiotic")


@pytest.mark.parametrize(
    ("age", "points"),
    [(3, 1), (14, 1), (14.9, 1), (15, 0), (44, 0), (44.9, 0), (45, -1), (80, -1)],
)
def test_mcisaac_age_adds_1_from_3_to_14_and_takes_1_from_45(age: float, points: int) -> None:
    result = mcisaac_score(age=age, **CENTOR_NONE)
    assert result["components"]["age"] == points
    assert result["score"] == points


@pytest.mark.parametrize(
    ("age", "met", "score", "risk"),
    [
        (50, 0, -1, "2-3%"),
        (30, 0, 0, "2-3%"),
        (30, 1, 1, "4-6%"),
        (30, 2, 2, "10-28%"),
        (30, 3, 3, "10-28%"),
        (30, 4, 4, "38-63%"),
        (10, 4, 5, "38-63%"),
    ],
)
def test_mcisaac_groups_totals_as_mcisaac_1998(age: float, met: int, score: int, risk: str) -> None:
    result = mcisaac_score(age=age, **centor_findings(met))
    assert result["score"] == score
    assert result["probability"].startswith(risk)
    assert result["source"] == "mcisaac_1998_sore_throat"


def test_mcisaac_counts_the_same_criteria_as_centor() -> None:
    centor = centor_score(**centor_findings(4))
    mcisaac = mcisaac_score(age=30, **centor_findings(4))
    assert {k: v for k, v in mcisaac["components"].items() if k != "age"} == centor["components"]


def test_mcisaac_without_the_examination_lists_the_signs_missing() -> None:
    result = mcisaac_score(age=30, fever=True, cough=False)
    assert result["missing"] == ["tonsillar_exudate", "anterior_cervical_nodes"]
    assert result["score"] == 2
    assert result["advice"] is None
