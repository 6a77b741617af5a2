"""The engine's output matches its contract (clinical/engine/contract/results.py): every
diagnosis vignette (structured and note), every prescription case and a prescription of every
condition, frame by frame, as the stream sends them (JSON, numbered, timestamped); and a result
altered by one field fails."""

from __future__ import annotations

import copy
import functools
import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from clinical.engine import diagnose, prescribe, read_note_for_preview
from clinical.engine.contract import requests, results
from clinical.engine.contract.events import STAGES
from clinical.engine.diagnosis import evidence
from clinical.engine.knowledge import schema as knowledge_schema
from clinical.engine.knowledge.loader import load_knowledge_base
from clinical.engine.note import context as note_context
from clinical.engine.note import report as note

CASES = Path(__file__).parents[1] / "cases"
FRAMES = TypeAdapter(results.Frame)
EXTRACTED = TypeAdapter(results.ExtractedNote)
SESSION = str(uuid.UUID(int=8))
TIMESTAMP = "2026-01-02T03:04:05.678Z"


def _cases(name: str, key: str) -> list[dict[str, Any]]:
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))[key]


def _note_request(vignette: dict[str, Any]) -> dict[str, Any]:
    """The note with the age and sex read from it, as test_note_vignettes.py sends it."""
    history = read_note_for_preview({"note": vignette["note"]})["history"]
    age, sex = (history.get(name, {}).get("value") for name in ("age", "sex"))
    return {"note": vignette["note"], "history": {"age": age, "sex": sex}}


def _diagnosis_requests() -> Iterator[tuple[str, dict[str, Any]]]:
    for vignette in _cases("diagnosis_vignettes.yaml", "vignettes"):
        yield f"structured-{vignette['id']}", vignette["request"]
    for vignette in _cases("note_vignettes.yaml", "vignettes"):
        yield f"note-{vignette['id']}", _note_request(vignette)
        yield f"note-structured-{vignette['id']}", vignette["structured"]
    # What no vignette shows: nothing read from a note, a script the reader does not know,
    # symptoms and history unrecognised, a symptom's severity.
    history = {"age": 2, "sex": "male", "conditions": ["zzz"], "medications": ["yyy"]}
    yield "edge-nothing-read", {"note": "qqqq", "history": {"age": 40, "sex": "male"}}
    yield "edge-cyrillic", {"note": "Пациент жалуется на кашель", "history": history}
    yield (
        "edge-unknown",
        {"symptoms": [{"name": "cough", "severity": "severe"}, "blah"], "history": history},
    )


DIAGNOSES = dict(_diagnosis_requests())
# Engine bugs the models catch, each failing its case until fixed (then drop it from here).
PRESCRIPTIONS = {case["id"]: case["request"] for case in _cases("prescription_cases.yaml", "cases")}


def as_sent(kind: str, events: Iterable[dict[str, Any]], request_id: str = "") -> list[Any]:
    """The stream's frames as JSON would carry them: ``accepted``, then each event with
    ``session_id`` and ``seq`` first and ``timestamp`` last (clinical/streams/runner.py)."""
    frames = []
    for seq, event in enumerate([{"type": "accepted", "kind": kind}, *events]):
        frame = {"type": event["type"], "session_id": SESSION, "seq": seq}
        frame |= {key: value for key, value in event.items() if key != "type"}
        frame |= {"request_id": request_id} if request_id else {}
        frames.append(json.loads(json.dumps(frame | {"timestamp": TIMESTAMP}, allow_nan=False)))
    return frames


def check_stream(kind: str, events: Iterable[dict[str, Any]], request_id: str = "") -> None:
    frames = as_sent(kind, events, request_id)
    for frame in frames:
        FRAMES.validate_python(frame)
    model = results.DiagnosisResult if kind == "diagnosis" else results.PrescriptionResult
    assert frames[-1]["type"] == "complete"
    TypeAdapter(model).validate_python(frames[-1]["result"])


@functools.cache
def diagnosis_result(case: str) -> dict[str, Any]:
    return list(diagnose(DIAGNOSES[case]))[-1]["result"]


# ---------------------------------------------------------------- what the engine emits


@pytest.mark.parametrize("case", list(DIAGNOSES))
def test_every_diagnosis_frame_matches_the_models(case: str) -> None:
    check_stream("diagnosis", diagnose(DIAGNOSES[case]), request_id=case[:100])


@pytest.mark.parametrize("case", PRESCRIPTIONS)
def test_every_prescription_frame_matches_the_models(case: str) -> None:
    check_stream("prescription", prescribe(PRESCRIPTIONS[case]))


def test_a_prescription_for_every_condition_matches_the_models() -> None:
    kb = load_knowledge_base()
    patients = [
        {"age": 80, "weight": 60, "sex": "male", "egfr": 12},
        {"age": 30, "weight": 60, "sex": "female", "pregnant": True},
        {"age": 4, "weight": 16, "sex": "female"},
    ]
    extra = {
        "allergies": ["penicillin", "allergic to sulfa drugs (rash)", "bee stings", "NSAIDs"],
        "current_medications": ["warfarin", "simvastatin 40 mg at night", "sertraline", "zzz"],
    }
    for condition in kb.conditions.values():
        for patient in patients:
            request = {"diagnosis": condition.icd10, "patient_info": patient, **extra}
            check_stream("prescription", prescribe(request))


def test_every_note_sentence_read_alone_matches_the_extracted_model() -> None:
    for sentence in _cases("note_sentences.yaml", "sentences"):
        EXTRACTED.validate_python(read_note_for_preview({"note": sentence["text"]}))


def _spans(item: Any, path: str = "") -> Iterator[tuple[str, str, list[int]]]:
    if isinstance(item, dict):
        if "span" in item:
            yield path, item["text"], item["span"]
        for key, value in item.items():
            yield from _spans(value, f"{path}.{key}".lstrip("."))
    elif isinstance(item, list):
        for value in item:
            yield from _spans(value, path)


def test_every_span_points_at_its_text_in_the_note() -> None:
    notes = {v["id"]: v["note"] for v in _cases("note_vignettes.yaml", "vignettes")}
    notes |= {s["text"]: s["text"] for s in _cases("note_sentences.yaml", "sentences")}
    wrong = {
        (name, path, text)
        for name, text_of_note in notes.items()
        for path, text, (start, end) in _spans(read_note_for_preview({"note": text_of_note}))
        if text_of_note[start:end] != text or start < 0
    }
    assert wrong == set()


def test_terminal_and_reply_errors_match_the_models() -> None:
    base = {"type": "error", "timestamp": TIMESTAMP}
    FRAMES.validate_python(
        base | {"code": "cancelled", "error": "Stream cancelled.", "session_id": SESSION, "seq": 9}
    )
    FRAMES.validate_python(
        base | {"code": "validation_error", "error": "Invalid request", "details": {"x": ["bad"]}}
    )
    FRAMES.validate_python(base | {"code": "rate_limited", "error": "Slow", "retry_after": 1.5})


# ---------------------------------------------------------------- what the models refuse


def _refused(model: Any, data: Any) -> set[str]:
    """The error types of validating ``data`` (a model, or the frame union)."""
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    with pytest.raises(ValidationError) as raised:
        adapter.validate_python(data)
    return {error["type"] for error in raised.value.errors()}


def test_an_unknown_field_fails() -> None:
    result = copy.deepcopy(diagnosis_result("structured-cap_older_smoker"))
    result["differential"][0]["comment"] = "drift"
    assert _refused(results.DiagnosisResult, result) == {"extra_forbidden"}


def test_a_probability_above_one_fails() -> None:
    result = copy.deepcopy(diagnosis_result("structured-cap_older_smoker"))
    result["differential"][0]["probability"] = 1.5
    assert _refused(results.DiagnosisResult, result) == {"less_than_equal"}


def test_an_unknown_urgency_fails() -> None:
    result = copy.deepcopy(diagnosis_result("structured-cap_older_smoker"))
    result["urgency"] = "critical"
    assert _refused(results.DiagnosisResult, result) == {"literal_error"}


def test_a_number_sent_as_text_fails() -> None:
    result = copy.deepcopy(diagnosis_result("structured-cap_older_smoker"))
    result["confidence"] = str(result["confidence"])
    assert _refused(results.DiagnosisResult, result) == {"float_type"}


def test_a_chunk_whose_content_belongs_to_another_stage_fails() -> None:
    frames = as_sent("diagnosis", diagnose(DIAGNOSES["structured-cap_older_smoker"]))
    chunks = [frame for frame in frames if frame["type"] == "stream_chunk"]
    differential = next(f for f in chunks if f["stage"] == "differential_diagnosis")
    FRAMES.validate_python(differential)
    assert "missing" in _refused(FRAMES, differential | {"stage": "symptoms_analysis"})


def test_a_stage_at_the_wrong_percentage_fails() -> None:
    frame = {"type": "progress", "session_id": SESSION, "seq": 1, "stage": "history_review"}
    frame |= {"progress": 30, "message": "x", "timestamp": TIMESTAMP}
    assert _refused(FRAMES, frame) == {"value_error"}


def test_a_note_span_ending_before_it_starts_fails() -> None:
    extracted = copy.deepcopy(diagnosis_result("note-cap_older_smoker")["extracted"])
    extracted["findings"][0]["span"] = [9, 3]
    assert _refused(results.ExtractedNote, extracted) == {"value_error"}


# ---------------------------------------------------------------- the models follow the engine


def _literal(annotation: Any) -> set[Any]:
    """The values of a Literal, or of the Literals in a union (None left out)."""
    values: set[Any] = set()
    for arg in get_args(annotation):
        if get_args(arg):
            values |= _literal(arg)
        elif arg is not type(None):
            values.add(arg)
    return values


def _keys(shape: Any) -> set[str]:
    return set(shape.__required_keys__ | shape.__optional_keys__)


def _field(model: type[BaseModel], name: str) -> set[Any]:
    return _literal(model.model_fields[name].annotation)


def test_the_engine_s_own_value_sets_are_the_contract_s() -> None:
    """The fixed value sets are defined once, in the contract, and the knowledge base's schema,
    the note reader and the evidence use those very definitions."""
    assert knowledge_schema.Urgency is results.Urgency
    assert note_context.Certainty is results.Certainty
    assert evidence.Via is results.Via
    assert evidence.Status is results.FindingStatus
    assert _literal(results.Consciousness) == set(requests.CONSCIOUSNESS_LEVELS)
    assert _field(knowledge_schema.Interaction, "severity") == _literal(results.InteractionSeverity)
    assert _field(knowledge_schema.Finding, "category") == _literal(results.FindingCategory)
    assert _field(requests.Symptom, "severity") == _literal(results.Severity)
    stages = {name for kind in STAGES.values() for name, _, _ in kind}
    assert _literal(results.StageName) == stages


def test_the_note_s_readings_are_the_field_registry_s() -> None:
    assert _keys(results.ExtractedVitals) == set(note.VITAL_FIELDS)
    assert _keys(results.ExtractedLabs) == set(note.LAB_FIELDS)


def test_every_score_table_has_its_result_shape() -> None:
    assert _keys(results.Scores) == set(load_knowledge_base().score_tables)
    assert set(results.SCORE_RESULTS) == set(load_knowledge_base().score_tables)


def test_the_frame_schema_renders_for_openapi() -> None:
    schema = json.dumps(FRAMES.json_schema())
    for keyword in ('"const"', '"prefixItems"', '"exclusiveMinimum"', '"default": null'):
        assert keyword not in schema
