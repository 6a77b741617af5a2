"""compute_scores: which scores a diagnosis request gets, built from its vitals, labs, history and
the findings known present or absent."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinical.engine.contract.requests import DiagnosisRequest, parse_diagnosis
from clinical.engine.diagnosis.scores import compute_scores
from clinical.engine.knowledge.score_tables import ScoreTable

from .score_calculators import bundled_score_tables

Tables = Mapping[str, ScoreTable]
ADULT = {"age": 40, "sex": "female"}
FULL_VITALS = {
    "temperature": 37.0,
    "heart_rate": 70,
    "blood_pressure": "120/80",
    "respiratory_rate": 16,
    "oxygen_saturation": 97,
    "supplemental_oxygen": False,
    "consciousness": "alert",
}


@pytest.fixture(scope="module")
def tables() -> Tables:
    return bundled_score_tables()


def request(
    vitals: dict[str, Any] | None = None,
    history: dict[str, Any] | None = None,
    labs: dict[str, Any] | None = None,
) -> DiagnosisRequest:
    data: dict[str, Any] = {"symptoms": ["cough"], "history": history or ADULT}
    if vitals is not None:
        data["vitals"] = vitals
    if labs is not None:
        data["labs"] = labs
    return parse_diagnosis(data)


def scores_for(
    tables: Tables,
    present: set[str] | None = None,
    absent: set[str] | None = None,
    **parts: Any,
) -> dict[str, dict[str, Any]]:
    return compute_scores(request(**parts), present or set(), absent or set(), tables)


def test_an_adult_with_vitals_and_no_urea_gets_news2_qsofa_and_crb65(tables: Tables) -> None:
    scores = scores_for(tables, vitals=FULL_VITALS)
    assert set(scores) == {"news2", "qsofa", "crb65"}
    assert scores["news2"]["total"] == 0
    assert scores["news2"]["risk"] == "low"


def test_urea_turns_crb65_into_curb65(tables: Tables) -> None:
    scores = scores_for(tables, vitals=FULL_VITALS, labs={"urea_mmol_l": 8.2})
    assert "crb65" not in scores
    assert scores["curb65"]["components"]["urea"] == 1


def test_curb65_is_given_on_urea_alone_with_the_rest_missing(tables: Tables) -> None:
    scores = scores_for(tables, labs={"urea_mmol_l": 5.0}, history={"age": 70, "sex": "male"})
    assert scores["curb65"]["components"] == {"urea": 0, "age": 1}
    assert scores["curb65"]["missing"] == ["confusion", "respiratory_rate", "blood_pressure"]


def test_a_telephone_triage_without_vitals_gets_no_vital_sign_score(tables: Tables) -> None:
    assert scores_for(tables) == {}


def test_confusion_reported_without_vitals_gives_partial_qsofa_and_crb65(tables: Tables) -> None:
    scores = scores_for(tables, present={"altered_consciousness"})
    assert set(scores) == {"qsofa", "crb65"}
    assert scores["qsofa"]["components"] == {"altered_mentation": 1}
    assert scores["qsofa"]["positive"] is None
    assert scores["crb65"]["components"] == {"confusion": 1, "age": 0}


def test_partial_vitals_give_a_partial_news2_listing_what_is_missing(tables: Tables) -> None:
    scores = scores_for(tables, vitals={"respiratory_rate": 26, "heart_rate": 120})
    news2 = scores["news2"]
    assert news2["components"] == {"respiratory_rate": 3, "heart_rate": 2}
    assert news2["missing"] == [
        "oxygen_saturation",
        "supplemental_oxygen",
        "systolic_bp",
        "consciousness",
        "temperature",
    ]
    assert news2["complete"] is False
    assert news2["red_score"] is True


def test_blood_pressure_is_read_from_systolic_over_diastolic(tables: Tables) -> None:
    vitals = FULL_VITALS | {"blood_pressure": "100/55"}
    scores = scores_for(tables, vitals=vitals, labs={"urea_mmol_l": 5})
    assert scores["news2"]["components"]["systolic_bp"] == 2
    assert scores["qsofa"]["components"]["systolic_bp"] == 1
    assert scores["curb65"]["components"]["blood_pressure"] == 1


def test_an_acvpu_letter_is_scored_as_its_level(tables: Tables) -> None:
    scores = scores_for(tables, vitals=FULL_VITALS | {"consciousness": "C"})
    assert scores["news2"]["components"]["consciousness"] == 3
    assert scores["news2"]["risk"] == "low-medium"
    assert scores["qsofa"]["components"]["altered_mentation"] == 1
    assert scores["crb65"]["components"]["confusion"] == 1


def test_news2_scale_2_is_chosen_per_request(tables: Tables) -> None:
    vitals = FULL_VITALS | {"oxygen_saturation": 89, "supplemental_oxygen": True}
    on_scale_1 = compute_scores(request(vitals), set(), set(), tables)
    on_scale_2 = compute_scores(request(vitals), set(), set(), tables, scales={"news2": 2})
    assert on_scale_1["news2"]["components"]["oxygen_saturation"] == 3
    assert on_scale_2["news2"]["components"]["oxygen_saturation"] == 0
    assert (on_scale_1["news2"]["scale"], on_scale_2["news2"]["scale"]) == (1, 2)


@pytest.mark.parametrize("throat", ["sore_throat", "tonsillar_exudate"])
def test_a_sore_throat_presentation_gets_centor_and_mcisaac(tables: Tables, throat: str) -> None:
    scores = scores_for(tables, present={throat, "neck_lymphadenopathy"}, absent={"cough"})
    assert {"centor", "mcisaac"} <= set(scores)
    assert scores["centor"]["components"]["no_cough"] == 1
    assert scores["mcisaac"]["components"]["age"] == 0


def test_no_sore_throat_means_no_centor(tables: Tables) -> None:
    scores = scores_for(tables, vitals=FULL_VITALS, absent={"sore_throat"})
    assert "centor" not in scores
    assert "mcisaac" not in scores


def test_the_measured_temperature_scores_centor_fever_when_fever_is_not_a_finding(
    tables: Tables,
) -> None:
    vitals = FULL_VITALS | {"temperature": 38.6}
    scores = scores_for(tables, vitals=vitals, present={"sore_throat"})
    assert scores["centor"]["components"]["fever"] == 1


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (2, {"centor"}),
        (3, {"centor", "mcisaac"}),
        (5, {"centor", "mcisaac", "bedside_pews_5_12"}),
        (12.9, {"centor", "mcisaac", "bedside_pews_5_12"}),
        (13, {"centor", "mcisaac", "bedside_pews_13_15"}),
        (15, {"centor", "mcisaac", "bedside_pews_13_15"}),
        (16, {"centor", "mcisaac", "news2"}),
        (18, {"centor", "mcisaac", "news2", "qsofa", "crb65"}),
    ],
)
def test_each_score_is_given_only_in_the_ages_it_was_made_for(
    tables: Tables, age: float, expected: set[str]
) -> None:
    scores = scores_for(
        tables,
        vitals=FULL_VITALS,
        history={"age": age, "sex": "male"},
        present={"sore_throat"},
    )
    assert set(scores) == expected


def test_the_scores_are_plain_json(tables: Tables) -> None:
    scores = scores_for(tables, vitals=FULL_VITALS, present={"sore_throat"}, absent={"cough"})
    assert json.loads(json.dumps(scores)) == scores


def test_the_same_request_always_gives_the_same_scores(tables: Tables) -> None:
    first = scores_for(tables, vitals=FULL_VITALS, labs={"urea_mmol_l": 9})
    again = scores_for(tables, vitals=FULL_VITALS, labs={"urea_mmol_l": 9})
    assert first == again


vitals_strategy = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(20, 45),
        "heart_rate": st.floats(20, 300),
        "blood_pressure": st.tuples(st.integers(60, 300), st.integers(20, 59)).map(
            lambda bp: f"{bp[0]}/{bp[1]}"
        ),
        "respiratory_rate": st.floats(3, 80),
        "oxygen_saturation": st.floats(50, 100),
        "supplemental_oxygen": st.booleans(),
        "consciousness": st.sampled_from(["A", "C", "V", "P", "U", "alert", "confused"]),
    },
)
SCORED_FINDINGS = (
    "apnoea",
    "prolonged_capillary_refill",
    "sore_throat",
    "tonsillar_exudate",
    "neck_lymphadenopathy",
    "fever",
    "cough",
    "altered_consciousness",
)
findings_strategy = st.sets(st.sampled_from(SCORED_FINDINGS))
# The items a request can tell only in part (Bedside PEWS: on oxygen, its flow not given; no
# apnoea, the effort still open).
PARTLY_SCORED = {
    pews: {"oxygen_therapy", "respiratory_effort"}
    for pews in ("bedside_pews_5_12", "bedside_pews_13_15")
}


@settings(max_examples=150)
@given(
    vitals=vitals_strategy,
    age=st.floats(0, 120),
    urea=st.none() | st.floats(0, 150),
    present=findings_strategy,
    absent=findings_strategy,
)
def test_every_score_adds_its_components_and_accounts_for_every_item(
    vitals: dict[str, Any],
    age: float,
    urea: float | None,
    present: set[str],
    absent: set[str],
) -> None:
    tables = bundled_score_tables()
    labs = None if urea is None else {"urea_mmol_l": urea}
    scores = compute_scores(
        request(vitals, {"age": age, "sex": "female"}, labs), present, absent - present, tables
    )
    assert not {"curb65", "crb65"} <= set(scores)
    for score_id, result in scores.items():
        items = [item.id for item in tables[score_id].items]
        total = result[tables[score_id].score_name]
        assert total == sum(result["components"].values())
        # Every item is scored or missing; one in both is scored only in part (its floor).
        assert sorted({*result["components"], *result["missing"]}) == sorted(items)
        assert len(set(result["missing"])) == len(result["missing"])
        partly = set(result["components"]) & set(result["missing"])
        assert partly <= PARTLY_SCORED.get(score_id, set()), (score_id, partly)
        assert result["complete"] is (not result["missing"])
