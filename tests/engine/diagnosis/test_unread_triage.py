"""Triage says when the note held words nothing read: self-care is not advised on a note the
engine did not understand in full, and a routine or urgent reason says what was missed."""

from __future__ import annotations

from typing import Any

from clinical.engine import diagnose

COLD = "32 yo F. Runny nose, sneezing and a sore throat for 2 days. No fever."
WOBBLY = " Her legs have gone all wobbly."


def _result(note: str) -> dict[str, Any]:
    return list(diagnose({"note": note}))[-1]["result"]


def test_a_self_care_note_read_whole_stays_self_care() -> None:
    result = _result(COLD)

    assert result["extracted"]["unread"] == []
    assert result["urgency"] == "self_care"


def test_self_care_becomes_a_routine_review_when_part_of_the_note_was_not_understood() -> None:
    result = _result(COLD + WOBBLY)

    assert result["urgency"] == "routine"
    assert "not understood" in result["urgency_reason"]
    assert '"wobbly"' in result["urgency_reason"]


def test_a_routine_reason_says_decisive_text_may_have_been_missed() -> None:
    result = _result("25 yo M. Sore throat, fever, swollen tonsils, no cough." + WOBBLY)

    assert result["urgency"] == "routine"
    assert result["urgency_reason"].endswith(
        'Not understood in the note: "legs", "wobbly"; decisive text may have been missed.'
    )


def test_an_emergency_reason_carries_no_caveat() -> None:
    result = _result("60 yo M. Crushing central chest pain, sweaty, BP 80/50." + WOBBLY)

    assert result["urgency"] == "emergency"
    assert "not understood" not in result["urgency_reason"].lower()
