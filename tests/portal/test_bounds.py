"""The bounds the page's validation uses are the engine's own: each edge accepted, one step
outside refused, so the client never refuses what the server accepts (or the reverse)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from clinical.engine import request_bounds
from clinical.engine.contract.errors import EngineValidationError
from clinical.engine.contract.requests import parse_diagnosis, parse_prescription

BOUNDS = request_bounds()
STEP = 0.1


def _diagnosis(**parts: Any) -> dict[str, Any]:
    return {"symptoms": ["cough"], "history": {"age": 40, "sex": "female"}} | parts


def _prescription(**patient: Any) -> dict[str, Any]:
    info = {"age": 40, "weight": 70, "sex": "female"} | patient
    return {"diagnosis": "Community-acquired pneumonia", "patient_info": info}


def _accepts(parse, data: dict[str, Any]) -> bool:
    try:
        parse(data)
    except EngineValidationError:
        return False
    return True


def _edges(limits: dict[str, float]) -> list[tuple[float, bool]]:
    return [
        (limits["min"], True),
        (limits["max"], True),
        (limits["min"] - STEP, False),
        (limits["max"] + STEP, False),
    ]


@pytest.mark.parametrize("name", sorted(BOUNDS["vitals"]))
def test_each_vital_sign_bound_is_the_engines(name):
    for value, accepted in _edges(BOUNDS["vitals"][name]):
        assert _accepts(parse_diagnosis, _diagnosis(vitals={name: value})) is accepted, value


def test_the_age_and_urea_bounds_are_the_engines():
    for value, accepted in _edges(BOUNDS["history"]["age"]):
        history = {"age": value, "sex": "female"}
        assert _accepts(parse_diagnosis, _diagnosis(history=history)) is accepted, value
    for value, accepted in _edges(BOUNDS["labs"]["urea_mmol_l"]):
        labs = {"urea_mmol_l": value}
        assert _accepts(parse_diagnosis, _diagnosis(labs=labs)) is accepted, value


@pytest.mark.parametrize("name", sorted(BOUNDS["patient_info"]))
def test_each_patient_info_bound_is_the_engines(name):
    for value, accepted in _edges(BOUNDS["patient_info"][name]):
        assert _accepts(parse_prescription, _prescription(**{name: value})) is accepted, value


def _blood_pressure_edges() -> list[tuple[str, bool]]:
    sys, dia = BOUNDS["blood_pressure"]["systolic"], BOUNDS["blood_pressure"]["diastolic"]
    return [
        (f"{sys['min']}/{dia['min']}", True),
        (f"{sys['max']}/{dia['max']}", True),
        (f"{sys['min'] - 1}/{dia['min']}", False),
        (f"{sys['max'] + 1}/{dia['max']}", False),
        (f"{sys['max']}/{dia['min'] - 1}", False),
        (f"{sys['max']}/{dia['max'] + 1}", False),
        ("120/120", False),
    ]


@pytest.mark.parametrize(("reading", "accepted"), _blood_pressure_edges())
def test_the_blood_pressure_bounds_are_the_engines(reading, accepted):
    vitals = {"blood_pressure": reading}

    assert _accepts(parse_diagnosis, _diagnosis(vitals=vitals)) is accepted


def test_name_and_list_limits_are_the_engines():
    name = "x" * BOUNDS["lists"]["maxLength"]
    too_many = ["cough"] * (BOUNDS["symptoms"]["maxItems"] + 1)

    assert _accepts(parse_diagnosis, _diagnosis(symptoms=[name]))
    assert not _accepts(parse_diagnosis, _diagnosis(symptoms=[name + "x"]))
    assert not _accepts(parse_diagnosis, _diagnosis(symptoms=too_many))


def test_the_note_limit_is_the_engines_counted_as_it_counts():
    """Characters (code points) of the note as sent: the page sends it trimmed and in NFC and
    counts it the same way, so emoji or decomposed accents are neither refused early nor let
    through too long."""
    limit = BOUNDS["note"]["maxLength"]

    assert _accepts(parse_diagnosis, _diagnosis(note="x" * limit))
    assert not _accepts(parse_diagnosis, _diagnosis(note="x" * (limit + 1)))
    assert _accepts(parse_diagnosis, _diagnosis(note="\U0001f600" * limit))
    assert not _accepts(parse_diagnosis, _diagnosis(note="e\u0301" * limit))
    composed = unicodedata.normalize("NFC", "e\u0301" * limit)
    assert _accepts(parse_diagnosis, _diagnosis(note=composed))
