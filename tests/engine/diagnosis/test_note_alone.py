"""A note alone is a whole diagnosis request when it states the patient's age and sex; a
structured value still wins; without either, the request is refused naming what is missing."""

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
        ({"note": "cough for 3 days"}, {"history.age", "history.sex"}),
        ({"note": "her cough for 3 days"}, {"history.age"}),
        ({"note": "3 days of cough", "history": {"age": 40}}, {"history.sex"}),
        ({"symptoms": ["cough"]}, {"history.age", "history.sex"}),
        # A note's age no patient can have is not taken.
        ({"note": "150 year old man, cough"}, {"history.age"}),
    ],
)
def test_without_age_or_sex_the_request_is_refused_naming_them(
    data: dict[str, Any], missing: set[str]
) -> None:
    with pytest.raises(EngineValidationError) as refused:
        validate_diagnosis(data)
    assert set(refused.value.details) == missing
    assert "note" in refused.value.details[sorted(missing)[0]][0]
