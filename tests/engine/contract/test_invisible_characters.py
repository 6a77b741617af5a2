"""Names with invisible formatting characters are refused, naming the character; notes are read."""

from __future__ import annotations

import pytest

from clinical.engine import diagnose, validate_diagnosis, validate_prescription
from clinical.engine.contract.errors import EngineValidationError

PATIENT = {"age": 40, "sex": "female"}


@pytest.mark.parametrize(
    ("character", "code"),
    [("\u202e", "U+202E"), ("\u200b", "U+200B"), ("\u2066", "U+2066"), ("\ufeff", "U+FEFF")],
)
def test_a_symptom_name_with_an_invisible_character_is_refused(character: str, code: str) -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_diagnosis({"symptoms": [f"cou{character}gh"], "history": PATIENT})

    assert caught.value.details["symptoms.0.name"] == [
        f"must not contain invisible formatting characters ({code})"
    ]


def test_history_and_prescription_names_are_checked_alike() -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_diagnosis(
            {"symptoms": ["cough"], "history": PATIENT | {"allergies": ["peni\u200bcillin"]}}
        )
    assert list(caught.value.details) == ["history.allergies.0"]

    with pytest.raises(EngineValidationError) as caught:
        validate_prescription(
            {"diagnosis": "pneu\u202emonia", "patient": PATIENT | {"weight_kg": 70}}
        )
    assert caught.value.details["diagnosis"] == [
        "must not contain invisible formatting characters (U+202E)"
    ]


def test_a_note_with_a_zero_width_space_is_still_read() -> None:
    events = list(diagnose({"note": "Cough\u200b and fever for 3 days.", "history": PATIENT}))

    assert events[-1]["type"] == "complete"
