"""Bedside PEWS for children of 5 to 15 (Parshuram et al., Crit Care 2009;13:R135, validated 2011),
as NEWS2 and NICE NG143 are tested: every band edge of every item for both age groups (just
below, at, just above), the items a request can tell only in part, the total at 7 and at 8 setting
urgency, which score each age gets, and a PEWS emergency that the differential does not overrule.

The expected sub-scores come from the cells of the paper's Table 1 as printed ("≥ 110 or ≤ 70"),
written here independently of the YAML tables: a value scores the highest sub-score whose cell
holds it, so a mistyped band fails.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import pytest

from clinical.engine import diagnose
from clinical.engine.diagnosis.scores import Observations, evaluate_score

from .score_calculators import bundled_score_tables

YOUNGER, OLDER = "bedside_pews_5_12", "bedside_pews_13_15"

# Table 1's cells for the score's "4-12 years" (ages 5-12) and ">12 years" (13-15) groups, in the
# order of its sub-score columns 0, 1, 2, 4; "> 19 or < 31" (the 0 cells of the respiratory rate)
# read as "and"; the saturation's 1 cell, "91-94", written "≤ 94" (the 2 cell nests in it).
SUB_SCORES = (0, 1, 2, 4)
PRINTED: dict[str, dict[str, tuple[str, ...]]] = {
    YOUNGER: {
        "heart_rate": ("> 70 and < 110", "≥ 110 or ≤ 70", "≥ 130 or ≤ 60", "> 150 or ≤ 50"),
        "systolic_bp": ("> 90 and < 120", "≥ 120 or ≤ 90", "≥ 140 or ≤ 80", "≥ 170 or ≤ 70"),
        "respiratory_rate": ("> 19 and < 31", "≥ 31 or ≤ 19", "≥ 41 or ≤ 14", "≥ 51 or ≤ 10"),
        "oxygen_saturation": ("> 94", "≤ 94", "≤ 90"),
    },
    OLDER: {
        "heart_rate": ("> 60 and < 100", "≥ 100 or ≤ 60", "≥ 120 or < 50", "≥ 140 or ≤ 40"),
        "systolic_bp": ("> 100 and < 130", "≥ 130 or ≤ 100", "≥ 150 or ≤ 85", "≥ 190 or ≤ 75"),
        "respiratory_rate": ("> 11 and < 17", "≥ 17 or ≤ 11", "≥ 23 or ≤ 10", "≥ 30 or ≤ 9"),
        "oxygen_saturation": ("> 94", "≤ 94", "≤ 90"),
    },
}
CELLS = {
    score_id: {item: dict(zip(SUB_SCORES, cells, strict=False)) for item, cells in items.items()}
    for score_id, items in PRINTED.items()
}

_SIGNS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    "≥": operator.ge,
    "≤": operator.le,
}
_TERM = re.compile(r"([<>≥≤]) (\d+)")


def _holds(cell: str, value: float) -> bool:
    tests = [_SIGNS[sign](value, float(edge)) for sign, edge in _TERM.findall(cell)]
    return all(tests) if " and " in cell else any(tests)


def expected_points(score_id: str, item: str, value: float) -> int:
    """The highest sub-score whose printed cell holds the value."""
    return max(points for points, cell in CELLS[score_id][item].items() if _holds(cell, value))


def _edges(score_id: str, item: str) -> list[int]:
    cells = CELLS[score_id][item].values()
    return sorted({int(edge) for cell in cells for _sign, edge in _TERM.findall(cell)})


EDGE_CASES = [
    (score_id, item, value)
    for score_id, items in CELLS.items()
    for item in items
    for edge in _edges(score_id, item)
    for value in (edge - 1, edge, edge + 1)
]


def pews(
    score_id: str,
    present: tuple[str, ...] = (),
    absent: tuple[str, ...] = (),
    **values: Any,
) -> dict[str, Any]:
    table = bundled_score_tables()[score_id]
    return evaluate_score(table, Observations.of(values, present, absent))


# ---------------------------------------------------------------- the items, edge by edge


@pytest.mark.parametrize(("score_id", "item", "value"), EDGE_CASES)
def test_every_band_edge_scores_as_table_1_prints_it(score_id: str, item: str, value: int) -> None:
    result = pews(score_id, **{item: value})
    assert result["components"][item] == expected_points(score_id, item, value), (item, value)


@pytest.mark.parametrize(
    ("score_id", "item", "value", "points"),
    [
        # The printed signs kept: "> 150" (not "≥") in 4-12 years, "< 50" (not "≤") over 12.
        (YOUNGER, "heart_rate", 150, 2),
        (YOUNGER, "heart_rate", 151, 4),
        (OLDER, "heart_rate", 50, 1),
        (OLDER, "heart_rate", 49, 2),
        (OLDER, "heart_rate", 40, 4),
        # Nested cells: the higher sub-score applies.
        (YOUNGER, "heart_rate", 45, 4),
        (YOUNGER, "respiratory_rate", 20, 0),
        (YOUNGER, "respiratory_rate", 19, 1),
        (OLDER, "respiratory_rate", 17, 1),
        (OLDER, "respiratory_rate", 16, 0),
        (OLDER, "systolic_bp", 101, 0),
        (OLDER, "systolic_bp", 100, 1),
        (YOUNGER, "oxygen_saturation", 95, 0),
        (YOUNGER, "oxygen_saturation", 91, 1),
        (OLDER, "oxygen_saturation", 90, 2),
    ],
)
def test_the_oracle_reads_the_cells_as_printed(
    score_id: str, item: str, value: int, points: int
) -> None:
    assert expected_points(score_id, item, value) == points
    assert pews(score_id, **{item: value})["components"][item] == points


@pytest.mark.parametrize("score_id", [YOUNGER, OLDER])
@pytest.mark.parametrize(
    ("present", "absent", "points", "missing"),
    [
        (("prolonged_capillary_refill",), (), 4, False),  # "≥ 3 sec"
        ((), ("prolonged_capillary_refill",), 0, False),  # "< 3 sec"
        ((), (), None, True),  # not stated: not scored
    ],
)
def test_capillary_refill_scores_4_from_3_seconds_when_it_is_known(
    score_id: str,
    present: tuple[str, ...],
    absent: tuple[str, ...],
    points: int | None,
    missing: bool,
) -> None:
    result = pews(score_id, present, absent, heart_rate=90)
    assert result["components"].get("capillary_refill") == points
    assert ("capillary_refill" in result["missing"]) is missing


@pytest.mark.parametrize("score_id", [YOUNGER, OLDER])
def test_apnoea_scores_respiratory_effort_4_and_settles_it(score_id: str) -> None:
    result = pews(score_id, ("apnoea",), heart_rate=90)
    assert result["components"]["respiratory_effort"] == 4
    assert "respiratory_effort" not in result["missing"]


@pytest.mark.parametrize("score_id", [YOUNGER, OLDER])
def test_without_apnoea_the_respiratory_effort_stays_open(score_id: str) -> None:
    # No apnoea leaves mild, moderate or severe increase possible: at least 0, still missing.
    stated = pews(score_id, (), ("apnoea",), heart_rate=90)
    assert stated["components"]["respiratory_effort"] == 0
    assert "respiratory_effort" in stated["missing"]
    unstated = pews(score_id, heart_rate=90)
    assert "respiratory_effort" not in unstated["components"]
    assert "respiratory_effort" in unstated["missing"]


@pytest.mark.parametrize("score_id", [YOUNGER, OLDER])
def test_oxygen_therapy_room_air_0_and_oxygen_at_least_2(score_id: str) -> None:
    air = pews(score_id, supplemental_oxygen=False)
    assert air["components"]["oxygen_therapy"] == 0
    assert "oxygen_therapy" not in air["missing"]
    # "Any - < 4 L/min or < 50%" 2, "≥ 4 L/min or ≥ 50%" 4: the request gives no flow.
    oxygen = pews(score_id, supplemental_oxygen=True)
    assert oxygen["components"]["oxygen_therapy"] == 2
    assert "oxygen_therapy" in oxygen["missing"]
    assert oxygen["complete"] is False


# ---------------------------------------------------------------- totals and outcomes


@pytest.mark.parametrize("score_id", [YOUNGER, OLDER])
def test_the_total_ranges_0_to_26(score_id: str) -> None:
    table = bundled_score_tables()[score_id]
    assert sum(min(item.possible_points()) for item in table.items) == 0
    assert sum(max(item.possible_points()) for item in table.items) == 26


def test_an_incomplete_total_is_a_floor_and_settles_high_risk_once_it_reaches_8() -> None:
    # HR 155 (4) + RR 55 (4), the rest unknown: 8 whatever the rest scores.
    high = pews(YOUNGER, heart_rate=155, respiratory_rate=55)
    assert high["total"] == 8
    assert high["complete"] is False
    assert high["risk"] == "high"
    # 4, with items open that could reach 8: no risk band yet.
    open_ = pews(YOUNGER, heart_rate=155)
    assert open_["total"] == 4
    assert open_["risk"] is None


def test_on_oxygen_the_floor_of_2_reaches_8() -> None:
    # HR 140 (4) + RR 23 (2) + oxygen (at least 2) in a 14-year-old: at least 8.
    result = pews(OLDER, heart_rate=140, respiratory_rate=23, supplemental_oxygen=True)
    assert result["components"] == {"heart_rate": 4, "respiratory_rate": 2, "oxygen_therapy": 2}
    assert result["total"] == 8
    assert result["risk"] == "high"


@pytest.mark.parametrize("score_id", [YOUNGER, OLDER])
def test_the_score_says_it_is_for_5_to_15_and_was_derived_on_hospital_wards(
    score_id: str,
) -> None:
    table = bundled_score_tables()[score_id]
    assert table.note is not None
    assert "5 to 15" in table.note
    assert "hospital wards" in table.note
    assert "prospective validation" in table.note
    assert table.source == "parshuram_2009_bedside_pews"


# ---------------------------------------------------------------- triage, end to end


def _result(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = list(diagnose(data))[-1]["result"]
    return result


def _child(age: float, symptoms: list[str] | None = None, **vitals: Any) -> dict[str, Any]:
    return {
        "symptoms": symptoms or ["runny nose", "sneezing"],
        "vitals": {
            "temperature": 37.0,
            "oxygen_saturation": 97,
            "supplemental_oxygen": False,
            **vitals,
        },
        "history": {"age": age, "sex": "female"},
    }


@pytest.mark.parametrize(
    ("age", "vitals"),
    [
        # 4-12 years: HR 155 (4) + RR 42 (2) + SBP 125 (1) = 7; SBP 145 (2) = 8.
        (8, {"heart_rate": 155, "respiratory_rate": 42}),
        # >12 years: HR 140 (4) + RR 23 (2) + SBP 135 (1) = 7; SBP 155 (2) = 8.
        (14, {"heart_rate": 140, "respiratory_rate": 23}),
    ],
)
def test_a_total_of_8_is_an_emergency_and_7_is_not(age: float, vitals: dict[str, Any]) -> None:
    score_id = YOUNGER if age < 13 else OLDER
    systolic = {YOUNGER: (125, 145), OLDER: (135, 155)}[score_id]
    seven = _result(_child(age, **vitals, blood_pressure=f"{systolic[0]}/70"))
    eight = _result(_child(age, **vitals, blood_pressure=f"{systolic[1]}/70"))
    assert seven["scores"][score_id]["total"] == 7
    assert eight["scores"][score_id]["total"] == 8
    assert seven["urgency"] == "urgent"  # the 5-7 estimate
    assert "Bedside PEWS of 5 or more" in seven["urgency_reason"]
    assert eight["urgency"] == "emergency"
    assert "Bedside PEWS of 8 or more" in eight["urgency_reason"]


def test_a_pews_emergency_stands_when_the_leading_diagnosis_is_benign() -> None:
    result = _result(_child(8, heart_rate=155, respiratory_rate=55, blood_pressure="110/70"))
    assert result["differential"][0]["condition_id"] == "common_cold"
    assert result["scores"][YOUNGER]["total"] >= 8
    assert result["urgency"] == "emergency"
    assert "Bedside PEWS" in result["urgency_reason"]


def test_a_low_pews_lets_the_differential_decide() -> None:
    result = _result(_child(8, heart_rate=90, respiratory_rate=22, blood_pressure="105/65"))
    assert result["scores"][YOUNGER]["total"] == 0
    assert "Bedside PEWS" not in result["urgency_reason"]


@pytest.mark.parametrize(
    ("age", "score"),
    [
        (4.9, None),  # NICE NG143's traffic lights
        (5, YOUNGER),
        (12, YOUNGER),
        (12.5, YOUNGER),  # completed years: 4-12 years until the 13th birthday
        (13, OLDER),
        (15.9, OLDER),
        (16, "news2"),
    ],
)
def test_each_age_gets_the_right_early_warning_score(age: float, score: str | None) -> None:
    result = _result(_child(age, heart_rate=100, respiratory_rate=20, blood_pressure="110/70"))
    early_warning = {"news2", YOUNGER, OLDER} & set(result["scores"])
    assert early_warning == ({score} if score else set())


def test_under_5_a_fast_heart_rate_is_read_by_ng143_not_pews() -> None:
    febrile = _child(4.9, ["fever", "cough"], heart_rate=145, respiratory_rate=30, temperature=38.5)
    result = _result(febrile)
    assert not {YOUNGER, OLDER} & set(result["scores"])
    assert "NG143" in result["urgency_reason"]
    assert "Bedside PEWS" not in result["urgency_reason"]


def test_from_16_news2_decides_and_pews_does_not() -> None:
    result = _result(_child(16, heart_rate=155, respiratory_rate=42, blood_pressure="145/70"))
    assert "Bedside PEWS" not in result["urgency_reason"]
    assert "news2" in result["scores"]


def test_a_note_alone_gives_the_score() -> None:
    note = "8 year old girl with a runny nose. HR 160, RR 55, sats 97% on air."
    result = _result({"note": note})
    assert result["scores"][YOUNGER]["components"]["heart_rate"] == 4
    assert result["urgency"] == "emergency"
    assert "Bedside PEWS of 8 or more" in result["urgency_reason"]


def test_without_a_stated_age_no_pews_is_given() -> None:
    # A note that states no age is assessed as an adult's (policy/triage.yaml).
    result = _result({"note": "Runny nose. HR 160, RR 55, sats 97% on air."})
    assert not {YOUNGER, OLDER} & set(result["scores"])
