"""Reading a free-text note into the diagnosis: what is extracted comes back with spans, denied
findings are absent evidence, uncertain and other people's findings are no evidence, and a
structured field always wins over what the note says."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine import EngineValidationError, diagnose, validate_diagnosis
from clinical.engine.contract.requests import MAX_NOTE_CHARS
from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.note import extracted as extracted_of
from clinical.engine.note import read_note

NOTE = (
    "72 year old man with 3 days of productive cough and shortness of breath. Denies chest pain, "
    "haemoptysis or fever but reports rigors. No history of COPD; smoker. Takes ibuprofen.\n"
    "Obs: Temp 38.6, HR 104 bpm, BP 118/72, RR 24, sats 93% on air. Crackles right base. "
    "CRP 150, urea 8.1."
)


def _events(data: dict[str, Any]) -> list[dict[str, Any]]:
    return list(diagnose(data))


def _extracted(data: dict[str, Any]) -> dict[str, Any]:
    chunk = next(event for event in _events(data) if event["type"] == "stream_chunk")
    return chunk["content"]["extracted"]


def _statuses(result: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        item["finding"]: (item["status"], item["via"]) for item in result["recognized_findings"]
    }


def test_a_note_alone_gives_a_full_diagnosis() -> None:
    result = _events({"note": NOTE, "history": {"age": 72, "sex": "male"}})[-1]["result"]
    assert result["primary_diagnosis"] == "Community-acquired pneumonia"
    assert result["scores"]["news2"]["total"] == 6
    assert result["scores"]["curb65"]["score"] == 2
    assert result["warnings"] == []
    statuses = _statuses(result)
    assert statuses["crackles"] == ("present", "note")
    assert statuses["chest_pain"] == ("absent", "note")
    assert statuses["tachycardia"] == ("present", "vitals")
    assert result["extracted"]["vitals"]["heart_rate"]["used"] is True


def test_the_extraction_is_in_the_first_stage_and_in_the_result() -> None:
    events = _events({"note": NOTE, "history": {"age": 72, "sex": "male"}})
    chunk = events[1]
    assert chunk["stage"] == "symptoms_analysis"
    assert chunk["content"]["extracted"] == events[-1]["result"]["extracted"]
    extracted = chunk["content"]["extracted"]
    assert set(extracted) >= {
        "findings",
        "negated",
        "uncertain",
        "vitals",
        "history",
        "labs",
        "medications",
        "allergies",
        "unrecognized",
    }
    assert {item["id"] for item in extracted["negated"]} == {
        "chest_pain",
        "haemoptysis",
        "fever",
        "copd",
    }
    assert extracted["history"]["age"]["value"] == 72
    assert extracted["medications"][0]["id"] == "ibuprofen"


def test_spans_point_at_the_text_they_came_from(knowledge_base: KnowledgeBase) -> None:
    extracted = extracted_of(read_note(NOTE, knowledge_base))
    items = [*extracted["findings"], *extracted["negated"], *extracted["medications"]]
    items += [*extracted["vitals"].values(), *extracted["labs"].values()]
    for item in items:
        start, end = item["span"]
        assert NOTE[start:end] == item["text"]


def test_a_denied_finding_is_absent_evidence_never_present() -> None:
    data = {
        "note": "Denies chest pain. No fever, cough or rash.",
        "history": {"age": 40, "sex": "male"},
    }
    statuses = _statuses(_events(data)[-1]["result"])
    for finding in ("chest_pain", "fever", "cough", "rash"):
        assert statuses[finding] == ("absent", "note")


def test_uncertain_family_and_past_findings_are_not_evidence() -> None:
    note = "Possible chest pain. Family history of asthma. Previous seizures, now resolved."
    result = _events({"note": note, "history": {"age": 40, "sex": "male"}})[-1]["result"]
    statuses = _statuses(result)
    for finding in ("chest_pain", "asthma", "seizure_episode"):
        assert finding not in statuses
    extracted = result["extracted"]
    assert [item["id"] for item in extracted["uncertain"]] == ["chest_pain"]
    assert [item["id"] for item in extracted["history"]["family"]] == ["asthma"]
    assert [item["id"] for item in extracted["history"]["past"]] == ["seizure_episode"]


@pytest.mark.parametrize(
    "note",
    [
        "8 month old, mum says not feeding and grunting",
        "8 month old, dad noticed grunting and he is not feeding",
        "8 month old, parents report grunting, not feeding",
    ],
)
def test_what_a_relative_reports_is_the_patients_not_the_relatives(note: str) -> None:
    result = _events({"note": note, "history": {"sex": "male"}})[-1]["result"]
    statuses = _statuses(result)
    assert statuses["grunting"] == ("present", "note")
    assert statuses["poor_feeding"] == ("present", "note")
    assert result["extracted"]["history"]["family"] == []


def test_a_relatives_own_history_is_still_family_history() -> None:
    note = "cough. Mum has asthma; mother had a stroke."
    result = _events({"note": note, "history": {"age": 30, "sex": "male"}})[-1]["result"]
    family = [item["id"] for item in result["extracted"]["history"]["family"]]
    assert family == ["asthma", "stroke_or_tia"]


def test_a_structured_field_wins_over_the_note() -> None:
    data = {
        "note": "HR 130, no cough, temp 39, sats 90% on air",
        "symptoms": ["cough"],
        "vitals": {"heart_rate": 80, "oxygen_saturation": 97},
        "history": {"age": 40, "sex": "female"},
    }
    extracted = _extracted(data)
    assert extracted["vitals"]["heart_rate"]["used"] is False
    assert extracted["vitals"]["oxygen_saturation"]["used"] is False
    assert extracted["vitals"]["temperature"]["used"] is True
    assert extracted["negated"][0]["id"] == "cough"
    assert extracted["negated"][0]["used"] is False
    statuses = _statuses(_events(data)[-1]["result"])
    assert statuses["cough"] == ("present", "symptom")
    assert statuses["tachycardia"] == ("absent", "vitals")
    assert statuses["hypoxaemia"] == ("absent", "vitals")
    assert statuses["fever"] == ("present", "vitals")


def test_structured_history_wins_over_a_note_finding() -> None:
    data = {
        "note": "Smoker. Known asthma.",
        "symptoms": ["wheeze"],
        "history": {"age": 30, "sex": "male", "smoker": False},
    }
    statuses = _statuses(_events(data)[-1]["result"])
    assert statuses["smoker"] == ("absent", "history")
    assert statuses["asthma"] == ("present", "note")


def test_a_medication_in_the_note_names_its_history_finding() -> None:
    data = {
        "note": "On apixaban 5 mg bd.",
        "symptoms": ["calf pain"],
        "history": {"age": 60, "sex": "male"},
    }
    result = _events(data)[-1]["result"]
    assert _statuses(result)["anticoagulated"] == ("present", "note")
    assert result["extracted"]["medications"][0]["used"] is True


def test_an_impossible_reading_is_reported_but_not_used() -> None:
    data = {"note": "HR 999", "symptoms": ["cough"], "history": {"age": 40, "sex": "male"}}
    assert _extracted(data)["vitals"]["heart_rate"] == {
        "value": 999.0,
        "text": "HR 999",
        "span": [0, 6],
        "used": False,
    }


@pytest.mark.parametrize(
    "note",
    ["", "   \n\t  "],
    ids=["empty", "whitespace"],
)
def test_an_empty_note_alone_is_a_validation_error(note: str) -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_diagnosis({"note": note, "history": {"age": 40, "sex": "male"}})
    assert "non_field_errors" in caught.value.details


def test_a_huge_note_is_a_validation_error() -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_diagnosis(
            {"note": "cough " * (MAX_NOTE_CHARS // 5), "history": {"age": 4, "sex": "male"}}
        )
    assert "note" in caught.value.details


def test_a_binary_looking_note_is_a_validation_error() -> None:
    with pytest.raises(EngineValidationError) as caught:
        validate_diagnosis(
            {"note": "\x00\x01\x02PK\x03\x04", "history": {"age": 40, "sex": "male"}}
        )
    assert caught.value.details["note"] == ["must not contain control characters"]


@pytest.mark.parametrize(
    ("note", "not_latin"),
    [
        ("Le patient se plaint depuis hier.", False),
        ("患者昨天开始发烧和咳嗽", True),
        ("Больной жалуется на слабость", True),
        ("~~~ ### *** ///", False),
    ],
)
def test_a_note_with_nothing_to_read_says_so(note: str, not_latin: bool) -> None:
    result = _events({"note": note, "history": {"age": 40, "sex": "male"}})[-1]["result"]
    extracted = result["extracted"]
    assert extracted["nothing_extracted"] is True
    assert extracted["message"].startswith("Nothing could be read from the note")
    assert ("does not look like English" in extracted["message"]) is not_latin
    assert extracted["message"] in result["warnings"]


@pytest.mark.parametrize(
    ("text", "key", "value", "unit"),
    [
        ("BUN 28 mg/dL", "urea_mmol_l", 10.0, "mg/dL"),
        ("urea 48 mg/dL", "urea_mmol_l", 8.0, "mg/dL"),
        ("urea 8.1", "urea_mmol_l", 8.1, "mmol/L"),
        ("glucose 90 mg/dL", "glucose_mmol_l", 5.0, "mg/dL"),
        ("glucose 400", "glucose_mmol_l", 22.2, "mg/dL"),
        ("creatinine 1.0 mg/dL", "creatinine_umol_l", 88.4, "mg/dL"),
        ("creatinine 180", "creatinine_umol_l", 180.0, "umol/L"),
        ("lactate 36 mg/dL", "lactate_mmol_l", 4.0, "mg/dL"),
        ("CRP 15 mg/dL", "crp_mg_l", 150.0, "mg/dL"),
        ("WBC 12.3 K/uL", "wbc_10e9_l", 12.3, "K/uL"),
        ("WBC 15,200/uL", "wbc_10e9_l", 15.2, "/uL"),
        ("Hb 12.1 g/dL", "haemoglobin_g_l", 121.0, "g/dL"),
        ("K 5.8 mEq/L", "potassium_mmol_l", 5.8, "mEq/L"),
        ("troponin 45 pg/mL", "troponin_ng_l", 45.0, "pg/mL"),
        ("troponin T 0.05 ng/mL", "troponin_ng_l", 50.0, "ng/mL"),
    ],
)
def test_each_lab_unit_converts_to_the_request_unit(
    knowledge_base: KnowledgeBase, text: str, key: str, value: float, unit: str
) -> None:
    lab = extracted_of(read_note(text, knowledge_base))["labs"][key]
    assert lab["value"] == pytest.approx(value, abs=0.05)
    assert lab["unit"] == unit
    assert text[slice(*lab["span"])] == lab["text"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("glucose 42", 42.0), ("BM 42", 42.0), ("CBG 2.1", 2.1), ("BM 55", 55.0)],
)
def test_an_unmarked_glucose_is_read_in_mmol_l_and_says_it_assumed_so(
    knowledge_base: KnowledgeBase, text: str, value: float
) -> None:
    """UK notes write mmol/L and a hyperglycaemic emergency reaches 30-60 mmol/L (JBDS): "BM 42"
    read as 42 mg/dL (2.3 mmol/L) would turn an HHS into a hypoglycaemia."""
    lab = extracted_of(read_note(text, knowledge_base))["labs"]["glucose_mmol_l"]
    assert lab["value"] == value
    assert lab["unit"] == "mmol/L (assumed: no unit written)"


def test_an_unmarked_glucose_neither_unit_settles_is_reported_not_used() -> None:
    """Glucose 90 is 5.0 mmol/L in mg/dL and severe hyperglycaemia in mmol/L: neither reading
    may decide anything, so it is shown, unused, among what could not be read."""
    result = _events({"note": "70F, drowsy, glucose 90"})[-1]["result"]
    lab = result["extracted"]["labs"]["glucose_mmol_l"]
    assert lab["used"] is False
    assert "mmol/L or mg/dL" in lab["unit"]
    assert "glucose" in [phrase["text"] for phrase in result["extracted"]["unread"]]
    present = {f["finding"] for f in result["recognized_findings"] if f["status"] == "present"}
    assert not present & {"low_blood_glucose", "hyperglycaemia"}


def test_an_unmarked_hhs_glucose_is_not_read_as_hypoglycaemia() -> None:
    result = _events({"note": "78F known T2DM, drowsy and very dry, BM 42"})[-1]["result"]
    present = {f["finding"] for f in result["recognized_findings"] if f["status"] == "present"}
    assert "hyperglycaemia" in present
    assert "low_blood_glucose" not in present


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("GCS 15", "alert"),
        ("GCS 14/15", "confused"),
        ("GCS 13", "voice"),
        ("GCS 11", "voice"),
        ("GCS 10", "pain"),
        ("GCS 6", "pain"),
        ("GCS 5", "unresponsive"),
        ("GCS 3", "unresponsive"),
        ("AVPU: P", "pain"),
        ("responds only to pain", "pain"),
        ("drowsy", "voice"),
        ("confused", "confused"),
    ],
)
def test_consciousness_reads_as_acvpu(knowledge_base: KnowledgeBase, text: str, level: str) -> None:
    assert (
        extracted_of(read_note(text, knowledge_base))["vitals"]["consciousness"]["value"] == level
    )


def test_a_symptom_set_aside_overrules_the_notes_reading_and_is_no_evidence():
    from clinical.engine import diagnose

    note = "Fever and productive cough for 3 days."
    base = {"note": note, "history": {"age": 40, "sex": "male"}}
    read = list(diagnose(base))[-1]["result"]
    aside = list(diagnose(base | {"symptoms": [{"name": "fever", "status": "unknown"}]}))[-1]
    ruled_out = list(diagnose(base | {"symptoms": [{"name": "fever", "status": "absent"}]}))[-1]

    def status_of(result, finding):
        found = [f for f in result["result"]["recognized_findings"] if f["finding"] == finding]
        return found[0]["status"] if found else None

    assert status_of({"result": read}, "fever") == "present"
    assert status_of(aside, "fever") is None
    assert status_of(ruled_out, "fever") == "absent"
    assert status_of(aside, "productive_cough") == "present"
