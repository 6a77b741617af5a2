"""A note alone is a whole diagnosis request: the age and sex it states fill the history, a
structured value still wins, and an age or sex it does not state is a labelled fallback (sex:
both considered; age: an adult's, never self-care). A structured request without them is refused
naming what is missing."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine import EngineValidationError, diagnose, validate_diagnosis

NOTE = "72 year old man, 3 days of productive cough and fever, short of breath."


def _result(data: dict[str, Any]) -> dict[str, Any]:
    return list(diagnose(data))[-1]["result"]


def test_a_note_stating_age_and_sex_is_a_whole_request() -> None:
    result = _result({"note": NOTE})
    history = result["extracted"]["history"]
    assert (history["age"]["value"], history["age"]["used"]) == (72, True)
    assert (history["sex"]["value"], history["sex"]["used"]) == ("male", True)
    assert result["condition_id"] == "community_acquired_pneumonia"


def test_the_note_alone_gives_what_the_same_case_written_out_gives() -> None:
    alone = _result({"note": NOTE})
    written = _result({"note": NOTE, "history": {"age": 72, "sex": "male"}})
    assert alone["differential"] == written["differential"]
    assert alone["urgency"] == written["urgency"]


def test_a_structured_value_wins_over_the_note() -> None:
    result = _result({"note": NOTE, "history": {"age": 30}})
    history = result["extracted"]["history"]
    assert history["age"]["used"] is False and history["sex"]["used"] is True
    assert not any(f["finding"] == "age_50_or_over" for f in result["recognized_findings"])


def test_the_history_and_the_note_complete_each_other() -> None:
    result = _result({"note": "aged 30, burning when passing urine", "history": {"sex": "female"}})
    assert result["extracted"]["history"]["age"]["used"] is True


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({"symptoms": ["cough"]}, {"history.age", "history.sex"}),
        ({"symptoms": ["cough"], "history": {"age": 40}}, {"history.sex"}),
    ],
)
def test_a_structured_request_without_age_or_sex_is_refused_naming_them(
    data: dict[str, Any], missing: set[str]
) -> None:
    with pytest.raises(EngineValidationError) as refused:
        validate_diagnosis(data)
    assert set(refused.value.details) == missing
    assert "note" in refused.value.details[sorted(missing)[0]][0]


@pytest.mark.parametrize(
    ("data", "labels"),
    [
        ({"note": "cough for 3 days"}, {"age not stated", "sex not stated: both considered"}),
        ({"note": "her cough for 3 days"}, {"age not stated"}),
        ({"note": "3 days of cough", "history": {"age": 40}}, {"sex not stated: both considered"}),
        # A note's age no patient can have is not taken.
        ({"note": "150 year old man, cough"}, {"age not stated"}),
    ],
)
def test_a_note_without_age_or_sex_is_a_labelled_fallback(
    data: dict[str, Any], labels: set[str]
) -> None:
    warnings = _result(data)["warnings"]
    for label in labels:
        assert any(warning.startswith(label) for warning in warnings), (label, warnings)
    for label in {"age not stated", "sex not stated"} - {lab[:14] for lab in labels}:
        assert not any(warning.startswith(label) for warning in warnings)


def test_a_note_without_an_age_is_never_self_care() -> None:
    stated = _result({"note": "30 year old woman, runny nose and sneezing for 2 days"})
    unstated = _result({"note": "runny nose and sneezing for 2 days, she is otherwise well"})
    assert stated["urgency"] == "self_care"
    assert unstated["urgency"] == "routine"
    assert unstated["urgency_reason"].startswith("Age not stated")


def test_a_note_without_an_age_is_read_with_adult_thresholds() -> None:
    # Adult thresholds hold from 16 (NEWS2, NICE NG51): a note that states no age is an adult's.
    result = _result({"note": "pt c/o fever and rigors, RR 28, BP 85/50"})
    present = {f["finding"] for f in result["recognized_findings"] if f["status"] == "present"}
    assert {"severe_tachypnoea", "hypotension"} <= present
    assert result["urgency"] == "emergency"
    assert "news2" in result["scores"]


def test_a_note_without_the_sex_keeps_a_one_sex_condition_at_half_weight() -> None:
    note = "lower abdominal pain and burning when passing urine, {who}"
    woman = _result({"note": note.format(who="aged 30, female")})
    man = _result({"note": note.format(who="aged 30, male")})
    unstated = _result({"note": note.format(who="aged 30")})
    ids = {
        name: {item["condition_id"] for item in result["differential"]}
        for name, result in (("woman", woman), ("man", man), ("unstated", unstated))
    }
    female_only = ids["woman"] - ids["man"]
    assert female_only and female_only & ids["unstated"]


def test_the_prior_without_the_sex_averages_both() -> None:
    from clinical.engine.diagnosis.differential import DifferentialModel
    from clinical.engine.knowledge.loader import load_knowledge_base

    kb = load_knowledge_base()
    model = DifferentialModel(kb)
    one_sex = next(c for c in kb.conditions.values() if c.prior.only_sex is not None)
    both = model.prior(one_sex, 30, None)
    assert both == pytest.approx(
        (model.prior(one_sex, 30, "female") + model.prior(one_sex, 30, "male")) / 2
    )
    assert both == pytest.approx(model.prior(one_sex, 30, one_sex.prior.only_sex) / 2)
