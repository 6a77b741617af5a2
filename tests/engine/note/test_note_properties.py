"""Any text at all as a note: a validation error or a complete diagnosis, never an exception;
every span holds; a denied finding is never evidence that it is present."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from clinical.engine import EngineValidationError, diagnose, validate_diagnosis
from clinical.engine.knowledge.loader import load_knowledge_base
from clinical.engine.note import extracted as extracted_of
from clinical.engine.note import read_note

CLINICAL_WORDS = [
    "no", "denies", "without", "?", "possible", "family history of", "history of", "resolved",
    "cough", "fever", "chest pain", "headache", "vomiting", "rash", "HR", "BP", "110", "150/90",
    "temp", "38.5", "F", "C", "sats", "91%", "on", "2 L", "room air", "GCS", "14", "CRP", "urea",
    "mg/dL", "mmol/L", "glucose", "allergic to", "penicillin", "NKDA", "72M", "year old", "woman",
    "for", "3 days", "since yesterday", "sudden onset", ",", ".", ";", "\n", "but", "or", "and",
]  # fmt: skip
PROFILE = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def _items(extracted: dict[str, Any]) -> list[dict[str, Any]]:
    items = [
        *extracted["findings"],
        *extracted["negated"],
        *extracted["uncertain"],
        *extracted["medications"],
        *extracted["allergies"],
        *extracted["unrecognized"],
        *extracted["timing"],
        *extracted["history"]["past"],
        *extracted["history"]["family"],
        *extracted["vitals"].values(),
        *extracted["labs"].values(),
    ]
    return items + [item for key, item in extracted["history"].items() if key in ("age", "sex")]


def _check(note: str) -> None:
    data = {"note": note, "symptoms": ["cough"], "history": {"age": 50, "sex": "female"}}
    try:
        request = validate_diagnosis(data)
    except EngineValidationError:
        return
    events = list(diagnose(request))
    assert events[-1]["type"] == "complete"
    extracted = events[1]["content"]["extracted"]
    for item in _items(extracted):
        start, end = item["span"]
        assert request.note[start:end] == item["text"]
    present = {f["finding"] for f in events[-1]["result"]["recognized_findings"]
               if f["status"] == "present" and f["via"] == "note"}  # fmt: skip
    assert not present & {item["id"] for item in extracted["negated"]}


@PROFILE
@given(st.text(max_size=400))
def test_any_text_is_read_without_error(note: str) -> None:
    _check(note)


@PROFILE
@given(st.lists(st.sampled_from(CLINICAL_WORDS), max_size=40).map(" ".join))
def test_any_jumble_of_clinical_words_is_read_without_error(note: str) -> None:
    _check(note)


@PROFILE
@given(st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")))
def test_binary_bytes_as_text_are_refused_or_read(note: str) -> None:
    _check(note)


def test_the_longest_note_allowed_is_read() -> None:
    note = ("No chest pain. Cough for 3 days, temp 38.5, HR 110. " * 200)[:10_000]
    extracted = extracted_of(read_note(note, load_knowledge_base()))
    assert extracted["vitals"]["temperature"]["value"] == 38.5
