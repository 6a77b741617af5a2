"""The diagnosis stream: stage order and fields, evidence, reasoning, urgency, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clinical.engine import EngineValidationError, diagnose, validate_diagnosis
from clinical.engine.contract.events import STAGES
from clinical.engine.diagnosis.stream import diagnose as diagnose_with
from clinical.engine.knowledge.loader import KnowledgeBase

PNEUMONIA = {
    "symptoms": [
        "cough",
        "green phlegm",
        "fever",
        {"name": "shortness of breath", "severity": "moderate", "duration": "3 days"},
        "crackles",
    ],
    "vitals": {
        "temperature": 38.6,
        "heart_rate": 104,
        "respiratory_rate": 24,
        "blood_pressure": "118/72",
        "oxygen_saturation": 93,
        "consciousness": "alert",
    },
    "history": {"age": 72, "sex": "male", "smoker": True, "conditions": ["COPD"]},
    "labs": {"urea_mmol_l": 8.1, "crp_mg_l": 150},
}
RESULT_FIELDS = {
    "primary_diagnosis",
    "icd10",
    "confidence",
    "urgency",
    "urgency_reason",
    "differential",
    "recommended_tests",
    "red_flags",
    "scores",
    "unrecognized_symptoms",
    "recognized_findings",
    "engine_version",
    "disclaimer",
}


def run(data: dict[str, Any]) -> list[dict[str, Any]]:
    return list(diagnose(data))


def result_of(data: dict[str, Any]) -> dict[str, Any]:
    return run(data)[-1]["result"]


def chunks(events: list[dict[str, Any]], stage: str) -> list[dict[str, Any]]:
    return [e["content"] for e in events if e["type"] == "stream_chunk" and e["stage"] == stage]


def simple(*symptoms: Any, **history: Any) -> dict[str, Any]:
    return {"symptoms": list(symptoms), "history": {"age": 35, "sex": "female", **history}}


# ------------------------------------------------------------------ the stream's shape


def test_stages_come_in_protocol_order_with_their_percentages() -> None:
    events = run(PNEUMONIA)
    progress = [(e["stage"], e["progress"]) for e in events if e["type"] == "progress"]
    assert progress == [(name, pct) for name, pct, _ in STAGES["diagnosis"]]
    assert events[-1]["type"] == "complete"
    assert events[-2] == {**events[-2], "type": "progress", "stage": "complete", "progress": 100}


def test_each_stage_streams_its_chunks_after_its_progress_event() -> None:
    events = run(PNEUMONIA)
    current = None
    for event in events:
        if event["type"] == "progress":
            current = event["stage"]
        elif event["type"] == "stream_chunk":
            assert event["stage"] == current
    for stage in ("symptoms_analysis", "vitals_evaluation", "history_review", "primary_diagnosis"):
        assert len(chunks(events, stage)) == 1, stage


def test_the_differential_streams_five_to_eight_ranked_items() -> None:
    items = chunks(run(PNEUMONIA), "differential_diagnosis")
    assert 5 <= len(items) <= 8
    for item in items:
        assert {"diagnosis", "icd10", "probability", "reasoning"} <= set(item)
    probabilities = [item["probability"] for item in items]
    assert probabilities == sorted(probabilities, reverse=True)
    assert items[0]["condition_id"] == "community_acquired_pneumonia"


def test_the_primary_chunk_names_diagnosis_urgency_tests_and_red_flags() -> None:
    (primary,) = chunks(run(PNEUMONIA), "primary_diagnosis")
    assert primary["diagnosis"] == "Community-acquired pneumonia"
    assert primary["icd10"] == "J18.9"
    assert 0 < primary["confidence"] <= 1
    assert primary["urgency"] in {"emergency", "urgent", "routine", "self_care"}
    assert primary["urgency_reason"]
    assert any("X-ray" in test["text"] for test in primary["recommended_tests"])
    assert all(test["source"] for test in primary["recommended_tests"])
    assert primary["red_flags"]


def test_the_result_holds_every_field_the_design_lists(knowledge_base: KnowledgeBase) -> None:
    result = result_of(PNEUMONIA)
    assert set(result) >= RESULT_FIELDS
    assert result["engine_version"] == knowledge_base.engine_version
    assert result["differential"] == chunks(run(PNEUMONIA), "differential_diagnosis")
    assert result["scores"]["news2"]["total"] == 6
    assert result["scores"]["curb65"]["score"] == 2


def test_the_disclaimer_says_it_is_decision_support_for_a_clinician() -> None:
    disclaimer = result_of(PNEUMONIA)["disclaimer"].lower()
    assert "decision support" in disclaimer
    assert "clinician" in disclaimer


def test_shown_probabilities_and_the_rest_sum_to_one() -> None:
    result = result_of(PNEUMONIA)
    total = sum(item["probability"] for item in result["differential"])
    assert abs(total + result["other_probability"] - 1) < 1e-6
    assert all(
        round(item["probability"], 4) == item["probability"] for item in result["differential"]
    )


# ------------------------------------------------------------------ evidence


def test_unrecognised_symptoms_are_reported_back_never_dropped() -> None:
    events = run(simple("cough", "purple toes", "zorbing"))
    (analysis,) = chunks(events, "symptoms_analysis")
    assert analysis["unrecognized_symptoms"] == ["purple toes", "zorbing"]
    assert events[-1]["result"]["unrecognized_symptoms"] == ["purple toes", "zorbing"]
    assert [item["finding"] for item in analysis["recognized_findings"]] == ["cough"]


def test_an_unrecognised_name_changes_nothing_else() -> None:
    plain = result_of(simple("cough", "fever"))
    padded = result_of(simple("cough", "purple toes", "fever"))
    assert padded["differential"] == plain["differential"]


def test_with_nothing_recognised_the_result_warns() -> None:
    result = result_of(simple("purple toes"))
    assert result["warnings"]
    assert result_of(simple("cough"))["warnings"] == []


def test_synonyms_reach_the_same_finding() -> None:
    names = ["shortness of breath", "breathlessness", "dyspnea", "dyspnoea"]
    differentials = [result_of(simple(name))["differential"] for name in names]
    assert all(item == differentials[0] for item in differentials)


def test_a_negated_symptom_is_absent_and_lowers_what_expects_it() -> None:
    result = result_of(simple("sore throat", "no cough"))
    statuses = {item["finding"]: item["status"] for item in result["recognized_findings"]}
    assert statuses == {"sore_throat": "present", "cough": "absent"}
    bronchitis_with = result_of(simple("sore throat"))
    assert _probability(result, "acute_bronchitis") < _probability(
        bronchitis_with, "acute_bronchitis"
    )


def test_findings_nobody_mentions_stay_unknown() -> None:
    result = result_of(simple("headache"))
    assert {item["status"] for item in result["recognized_findings"]} == {"present"}


def test_a_normal_measurement_makes_its_finding_absent() -> None:
    result = result_of({**simple("cough"), "vitals": {"temperature": 36.8}})
    statuses = {item["finding"]: item["status"] for item in result["recognized_findings"]}
    assert statuses["fever"] == "absent"
    assert statuses["hypothermia"] == "absent"


def test_a_reported_fever_is_not_undone_by_a_normal_temperature_now() -> None:
    result = result_of({**simple("fever"), "vitals": {"temperature": 36.8}})
    fever = next(item for item in result["recognized_findings"] if item["finding"] == "fever")
    assert fever["status"] == "present"
    assert fever["via"] == "symptom"


def test_normal_saturation_on_oxygen_does_not_rule_out_hypoxaemia() -> None:
    on_oxygen = {"oxygen_saturation": 97, "supplemental_oxygen": True}
    result = result_of({**simple("breathless"), "vitals": on_oxygen})
    assert "hypoxaemia" not in {item["finding"] for item in result["recognized_findings"]}


def test_history_conditions_medications_and_flags_become_findings() -> None:
    data = simple("epigastric pain", conditions=["COPD"], medications=["ibuprofen"], smoker=False)
    events = run(data)
    (history,) = chunks(events, "history_review")
    statuses = {item["finding"]: item["status"] for item in history["history_findings"]}
    assert statuses == {"copd": "present", "nsaid_use": "present", "smoker": "absent"}
    raised = {item["finding"]: item["raises"] for item in history["risk_factors"]}
    assert any(entry["condition_id"] == "peptic_ulcer_disease" for entry in raised["nsaid_use"])


def test_an_unknown_history_name_is_reported_back() -> None:
    (history,) = chunks(run(simple("cough", conditions=["spacesickness"])), "history_review")
    assert history["unrecognized_history"] == ["spacesickness"]


def test_a_condition_of_the_other_sex_gets_no_probability() -> None:
    data = {"symptoms": ["pelvic pain", "vaginal bleeding"], "history": {"age": 30, "sex": "male"}}
    ranking = result_of(data)["differential"]
    assert all(item["condition_id"] != "ectopic_pregnancy" for item in ranking)


# ------------------------------------------------------------------ reasoning


def test_reasoning_names_the_findings_that_raised_it_with_likelihood_ratios() -> None:
    top = result_of(PNEUMONIA)["differential"][0]
    assert "Raised by crackles on auscultation (LR " in top["reasoning"]
    assert "risk factor" not in top["reasoning"] or "(x" in top["reasoning"]
    raised = [item for item in top["evidence"] if item["status"] == "present"]
    assert raised and all(item["likelihood_ratio"] > 1 for item in raised)


def test_reasoning_names_the_findings_that_lowered_it() -> None:
    data = {**simple("cough", "sore throat"), "vitals": {"temperature": 36.9}}
    items = result_of(data)["differential"]
    influenza = next(item for item in items if item["condition_id"] == "influenza")
    assert "Lowered by no fever" in influenza["reasoning"]
    lowered = [item for item in influenza["evidence"] if item["status"] == "absent"]
    assert lowered and all(item["likelihood_ratio"] < 1 for item in lowered)


def test_two_thresholds_on_one_measurement_count_once() -> None:
    top = result_of(PNEUMONIA)["differential"][0]
    crp = [item["finding"] for item in top["evidence"] if "crp" in item["finding"]]
    assert crp == ["markedly_raised_crp"]


def test_reasoning_states_the_prior_and_its_age_and_sex_factors() -> None:
    top = result_of(PNEUMONIA)["differential"][0]
    assert "Prior 3.3% (age 65 or over x3, male x1.1)." in top["reasoning"]


# ------------------------------------------------------------------ urgency


def test_a_fired_red_flag_sets_urgency_and_is_listed_as_present() -> None:
    result = result_of(simple("worst headache of my life", "vomiting"))
    assert result["urgency"] == "emergency"
    assert result["urgency_reason"].startswith("Red flag: Sudden severe headache")
    present = [flag for flag in result["red_flags"] if flag["status"] == "present"]
    assert [flag["id"] for flag in present] == ["thunderclap_headache"]


def test_a_news2_of_seven_or_more_is_an_emergency_whatever_the_diagnosis() -> None:
    vitals = {
        "respiratory_rate": 26,
        "oxygen_saturation": 91,
        "supplemental_oxygen": False,
        "temperature": 37.0,
        "blood_pressure": "120/80",
        "heart_rate": 95,
        "consciousness": "alert",
    }
    result = result_of({**simple("runny nose", "sneezing"), "vitals": vitals})
    assert result["scores"]["news2"]["total"] >= 7
    assert result["urgency"] == "emergency"
    assert "NEWS2" in result["urgency_reason"]


def test_a_single_news2_parameter_of_three_is_urgent() -> None:
    vitals = {"heart_rate": 135, "temperature": 37.0}
    result = result_of({**simple("palpitations"), "vitals": vitals})
    assert result["urgency"] in {"urgent", "emergency"}
    assert "NEWS2" in result["urgency_reason"]


def test_self_limiting_illness_is_self_care_with_its_reason() -> None:
    result = result_of(simple("runny nose", "sneezing", "blocked nose"))
    assert result["urgency"] == "self_care"
    assert "needing a clinician's review make up only" in result["urgency_reason"]


# ------------------------------------------------------------------ validation and determinism


def test_an_invalid_request_raises_before_any_event() -> None:
    with pytest.raises(EngineValidationError) as caught:
        diagnose({"symptoms": ["cough"], "history": {"age": 300, "sex": "male"}})
    assert "history.age" in caught.value.details


def test_a_validated_request_is_accepted_as_it_is() -> None:
    request = validate_diagnosis(PNEUMONIA)
    assert list(diagnose(request)) == run(PNEUMONIA)


def test_the_same_request_gives_identical_events() -> None:
    assert json.dumps(run(PNEUMONIA)) == json.dumps(run(PNEUMONIA))


def test_identical_events_in_another_process_with_another_hash_seed(
    knowledge_base: KnowledgeBase, tmp_path: Path
) -> None:
    """A stream taken over by another worker is re-run there; it must reproduce every event."""
    case = tmp_path / "case.json"
    case.write_text(json.dumps(PNEUMONIA), encoding="utf-8")
    command = [sys.executable, "-m", "clinical.engine", "diagnose", str(case)]
    command += ["--knowledge", str(knowledge_base.path)]
    outputs = []
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        completed = subprocess.run(
            command, capture_output=True, text=True, env=environment, check=True
        )
        outputs.append(completed.stdout)
    assert outputs[0] == outputs[1]
    assert [json.loads(line) for line in outputs[0].splitlines()] == json.loads(
        json.dumps(list(diagnose_with(PNEUMONIA, knowledge_base)))
    )


def _probability(result: dict[str, Any], condition_id: str) -> float:
    for item in result["differential"]:
        if item["condition_id"] == condition_id:
            return item["probability"]
    return 0.0


def test_a_medication_counts_through_its_drug_class() -> None:
    (history,) = chunks(
        run(simple("cough", medications=["Apixaban", "Eliquis-like tonic"])), "history_review"
    )
    found = {item["finding"]: item["name"] for item in history["history_findings"]}
    assert found == {"anticoagulated": "Apixaban"}
    assert history["unrecognized_history"] == ["Eliquis-like tonic"]


@pytest.mark.parametrize(
    ("age", "temperature", "urgency"),
    [(0.2, 38.2, "emergency"), (0.4, 39.2, "urgent"), (0.4, 38.2, "self_care")],
)
def test_fever_in_a_young_infant_follows_the_nice_traffic_light(
    age: float, temperature: float, urgency: str
) -> None:
    data = {"symptoms": ["fever"], "vitals": {"temperature": temperature}}
    result = result_of({**data, "history": {"age": age, "sex": "female"}})
    assert result["urgency"] == urgency
