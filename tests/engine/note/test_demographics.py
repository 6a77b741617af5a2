"""Age and sex as notes and people write them: GP shorthand, parents and relatives speaking, and
what is not an age (a duration, a temperature)."""

from __future__ import annotations

import pytest

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.note import extracted, read_note


def _history(text: str, kb: KnowledgeBase) -> dict:
    history = extracted(read_note(text, kb))["history"]
    return {
        name: history[name]["value"]
        for name in ("age", "sex", "gestation_weeks")
        if name in history
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5/12 M. Snuffly cold 2/7 then cough", {"age": 0.417, "sex": "male"}),
        ("11mo M, D&V 3 days", {"age": 0.917, "sex": "male"}),
        ("my son is 18 months, barky cough since yesterday", {"age": 1.5, "sex": "male"}),
        ("My son's 13. About 2 hours ago he came in", {"age": 13, "sex": "male"}),
        ("My little boy is 4. He had diarrhoea", {"age": 4, "sex": "male"}),
        ("My husband's 76. He collapsed", {"age": 76, "sex": "male"}),
        ("My flatmate's 19, she's been in bed", {"age": 19, "sex": "female"}),
        ("Man of 63 ringing because his poo is black", {"age": 63, "sex": "male"}),
        ("Gentleman 78 calling, cannot pass water", {"age": 78, "sex": "male"}),
        ("35 female. Itchy raised blotches", {"age": 35, "sex": "female"}),
        ("Caller 23, male, known peanut allergy", {"age": 23, "sex": "male"}),
        ("86F, care home resident, more confused", {"age": 86, "sex": "female"}),
        ("79F, AF, apixaban stopped", {"age": 79, "sex": "female"}),
        ("41 yo F, cough for 10 days", {"age": 41, "sex": "female"}),
        ("84 yr old lady from a nursing home", {"age": 84, "sex": "female"}),
        (
            "32yo G1P0 at 34+2, headache and flashing lights",
            {"age": 32, "sex": "female", "gestation_weeks": 34},
        ),
        (
            "im 24 and 9 weeks pregnant, vomiting",
            {"age": 24, "sex": "female", "gestation_weeks": 9},
        ),
        (
            "29 year old woman, 34+2, headache and BP 150/100",
            {"age": 29, "sex": "female", "gestation_weeks": 34},
        ),
        # No sex stated: age only.
        ("I'm 34 and I've got Marfan's", {"age": 34}),
    ],
)
def test_age_and_sex_are_read_as_written(text: str, expected: dict, knowledge_base) -> None:
    found = _history(text, knowledge_base)
    assert found == {
        k: pytest.approx(v, abs=0.01) if k == "age" else v for k, v in expected.items()
    }


@pytest.mark.parametrize(
    "text",
    [
        "her son 2 days ago had the same",
        "T 101F, rigors",
        "cough for 3/52",
        "took 2 tablets at 10 am",
        "She is 8 weeks pregnant with vaginal bleeding",
        "she's 12 weeks along, spotting",
    ],
)
def test_what_is_not_an_age_is_not_read_as_one(text: str, knowledge_base) -> None:
    assert "age" not in _history(text, knowledge_base)


def test_a_fahrenheit_temperature_mid_sentence_is_still_a_temperature(knowledge_base) -> None:
    vitals = extracted(read_note("Febrile this morning, 101F at home", knowledge_base))["vitals"]
    assert vitals["temperature"]["value"] == pytest.approx(38.3, abs=0.05)
