"""Reading a free-text note: findings with negation, measurements with units, spans, and the rule
that a structured field always wins over what the note says."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinical.engine import EngineValidationError, diagnose, validate_diagnosis
from clinical.engine.knowledge_base import KnowledgeBase
from clinical.engine.note import extract

NOTE = (
    "72 year old man with 3 days of productive cough and shortness of breath. Denies chest pain, "
    "haemoptysis or fever but reports rigors. No history of COPD; smoker. Takes ibuprofen.\n"
    "Obs: Temp 38.6, HR 104 bpm, BP 118/72, RR 24, sats 93% on air. Crackles right base. "
    "CRP 150, urea 8.1."
)


@pytest.fixture(scope="module")
def vocabulary(knowledge_base: KnowledgeBase):
    return knowledge_base.vocabulary


def _findings(note: str, vocabulary) -> dict[str, str]:
    return {item.field: item.status for item in extract(note, vocabulary) if item.kind == "finding"}


def _values(note: str, vocabulary) -> dict[str, Any]:
    return {item.field: item.value for item in extract(note, vocabulary) if item.kind != "finding"}


def _extracted(data: dict[str, Any]) -> list[dict[str, Any]]:
    return next(event for event in diagnose(data) if event["type"] == "stream_chunk")["content"][
        "extracted"
    ]


def test_findings_are_read_present_or_denied(vocabulary) -> None:
    assert _findings(NOTE, vocabulary) == {
        "productive_cough": "present",
        "shortness_of_breath": "present",
        "chest_pain": "absent",
        "haemoptysis": "absent",
        "fever": "absent",
        "chills_rigors": "present",
        "copd": "absent",
        "smoker": "present",
        "nsaid_use": "present",
        "crackles": "present",
    }


def test_a_negation_ends_with_its_clause(vocabulary) -> None:
    assert _findings("No cough. Fever.", vocabulary) == {"cough": "absent", "fever": "present"}
    assert _findings("no cough; vomiting", vocabulary) == {"cough": "absent", "vomiting": "present"}


def test_a_negation_does_not_reach_far_into_a_long_clause(vocabulary) -> None:
    note = "no cough and the patient went to the shop and back home where she had vomiting"
    assert _findings(note, vocabulary) == {"cough": "absent", "vomiting": "present"}


def test_a_synonym_that_starts_with_no_is_not_a_negation(vocabulary) -> None:
    assert _findings("She has no energy", vocabulary) == {"fatigue": "present"}


def test_word_order_and_plurals_work_in_a_note(vocabulary) -> None:
    assert _findings("pain in the chest and headaches", vocabulary) == {
        "chest_pain": "present",
        "headache": "present",
    }


def test_measurements_are_read_only_with_a_label_or_unit(vocabulary) -> None:
    assert _values(NOTE, vocabulary) == {
        "age": 72.0,
        "sex": "male",
        "temperature": 38.6,
        "heart_rate": 104.0,
        "blood_pressure": "118/72",
        "respiratory_rate": 24.0,
        "oxygen_saturation": 93.0,
        "supplemental_oxygen": False,
        "crp_mg_l": 150.0,
        "urea_mmol_l": 8.1,
    }
    assert _values("pain for 3 days, 2 episodes", vocabulary) == {}


@pytest.mark.parametrize(
    ("note", "field", "value"),
    [
        ("temperature 101.3 F", "temperature", 38.5),
        ("38.9 °C", "temperature", 38.9),
        ("pulse 120", "heart_rate", 120.0),
        ("128 bpm", "heart_rate", 128.0),
        ("22 breaths per minute", "respiratory_rate", 22.0),
        ("SpO2 91% on 4L", "supplemental_oxygen", True),
        ("blood pressure 150/95", "blood_pressure", "150/95"),
        ("140/90 mmHg", "blood_pressure", "140/90"),
        ("AVPU: V", "consciousness", "V"),
        ("lactate 4.1", "lactate_mmol_l", 4.1),
        ("troponin 85", "troponin_ng_l", 85.0),
        ("aged 45", "age", 45.0),
        ("a 30-year-old woman", "sex", "female"),
    ],
)
def test_each_measurement_form(vocabulary, note: str, field: str, value: Any) -> None:
    assert _values(note, vocabulary)[field] == value


def test_a_measurement_label_is_not_read_as_a_finding(vocabulary) -> None:
    assert _findings("temperature 37.2, sats 98%", vocabulary) == {}


def test_spans_point_at_the_text_they_came_from(vocabulary) -> None:
    for item in extract(NOTE, vocabulary):
        assert NOTE[item.start : item.end] == item.text


def test_a_note_alone_gives_a_full_diagnosis() -> None:
    result = list(diagnose({"note": NOTE, "history": {"age": 72, "sex": "male"}}))[-1]["result"]
    assert result["primary_diagnosis"] == "Community-acquired pneumonia"
    assert result["scores"]["news2"]["total"] == 6
    assert result["warnings"] == []
    vias = {item["finding"]: item["via"] for item in result["recognized_findings"]}
    assert vias["crackles"] == "note"
    assert vias["tachycardia"] == "vitals"


def test_a_structured_field_wins_over_the_note() -> None:
    data = {
        "note": "HR 130, no cough, temp 39",
        "symptoms": ["cough"],
        "vitals": {"heart_rate": 80},
        "history": {"age": 40, "sex": "female"},
    }
    used = {item["field"]: item["used"] for item in _extracted(data)}
    assert used == {"heart_rate": False, "cough": False, "temperature": True}
    result = list(diagnose(data))[-1]["result"]
    statuses = {item["finding"]: item["status"] for item in result["recognized_findings"]}
    assert statuses["cough"] == "present"
    assert statuses["tachycardia"] == "absent"
    assert statuses["fever"] == "present"


def test_an_impossible_reading_is_reported_but_not_used() -> None:
    data = {"note": "HR 999", "symptoms": ["cough"], "history": {"age": 40, "sex": "male"}}
    (item,) = _extracted(data)
    assert item["field"] == "heart_rate" and item["used"] is False


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=300))
def test_any_note_is_read_without_error_and_spans_hold(note: str) -> None:
    data = {"note": note, "symptoms": ["cough"], "history": {"age": 50, "sex": "female"}}
    try:
        request = validate_diagnosis(data)
    except EngineValidationError:  # control characters, or blank once stripped
        return
    events = list(diagnose(request))
    assert events[-1]["type"] == "complete"
    for item in events[1]["content"].get("extracted", []):
        start, end = item["span"]
        assert request.note[start:end] == item["text"]
