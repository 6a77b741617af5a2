"""Self-care is advised only on stated evidence: otherwise the floor is a routine review."""

from __future__ import annotations

from typing import Any

from clinical.engine import diagnose


def result(request: dict[str, Any]) -> dict[str, Any]:
    return list(diagnose(request))[-1]["result"]


def test_a_note_with_nothing_read_is_never_self_care() -> None:
    for note in (
        "Der Patient hat Brustschmerzen und Atemnot seit zwei Stunden.",
        "feels a bit off today",
    ):
        outcome = result({"note": note, "history": {"age": 60, "sex": "male"}})

        assert outcome["urgency"] == "routine", note
        assert "Nothing in the request was read as a finding present" in outcome["urgency_reason"]


def test_only_unrecognised_symptoms_are_never_self_care() -> None:
    outcome = result({"symptoms": ["wobbly feeling"], "history": {"age": 30, "sex": "female"}})

    assert outcome["unrecognized_symptoms"] == ["wobbly feeling"]
    assert outcome["urgency"] == "routine"


def test_a_finding_the_note_leaves_uncertain_asks_a_clinician_to_settle_it() -> None:
    note = "24M. No vomiting, abdominal pain in right iliac fossa since yesterday. Temp 38.1"

    outcome = result({"note": note, "history": {"age": 24, "sex": "male"}})

    assert "abdominal_pain" in {item["id"] for item in outcome["extracted"]["uncertain"]}
    assert outcome["urgency"] == "routine"
    assert "the note leaves Abdominal pain uncertain" in outcome["urgency_reason"]


def test_a_stated_minor_illness_is_still_self_care() -> None:
    request = {
        "symptoms": ["runny nose", "sneezing", "sore throat"],
        "vitals": {"temperature": 37.2},
        "history": {"age": 30, "sex": "female"},
    }

    assert result(request)["urgency"] == "self_care"
    request["note"] = "Blocked nose and sneezing for 2 days, otherwise well."
    del request["symptoms"]
    assert result(request)["urgency"] == "self_care"
