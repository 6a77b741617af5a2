"""Prescription safety cases (tests/engine/cases/prescription_cases.yaml), each on a source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from clinical.engine.knowledge.loader import KnowledgeBase
from clinical.engine.prescription.stream import prescription_result

CASES_FILE = Path(__file__).parents[1] / "cases" / "prescription_cases.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]
KINDS = ("allergy", "renal", "pregnancy", "interaction", "child")


def test_there_are_at_least_ten_cases_covering_every_kind() -> None:
    assert len(CASES) >= 10
    assert {case["kind"] for case in CASES} == set(KINDS)
    assert len({case["id"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_safety_case(case: dict[str, Any], knowledge_base: KnowledgeBase) -> None:
    assert case["source"] in knowledge_base.sources, "cite a source the knowledge base holds"
    assert case["why"]
    result = prescription_result(case["request"])
    expect = case["expect"]
    prescribed = [item["drug"] for item in result["medications"]]
    assert prescribed == expect["medications"], result["excluded"]
    reasons = _reasons(result)
    for drug_id, text in expect.get("excluded", {}).items():
        assert text in reasons.get(drug_id, ""), (drug_id, reasons.get(drug_id))
    assert not set(expect.get("never", ())) & set(prescribed)
    warnings = "\n".join(result["warnings"])
    for text in expect.get("warnings", ()):
        assert text in warnings, (text, result["warnings"])
    for drug_id, (dose, frequency) in expect.get("dose", {}).items():
        item = next(item for item in result["medications"] if item["drug"] == drug_id)
        assert (item["dose"], item["frequency"]) == (dose, frequency)
    found = {(*item["drug_ids"], item["severity"]) for item in result["interactions"]}
    for first, second, severity in expect.get("interactions", ()):
        assert (first, second, severity) in found, result["interactions"]
    assert case["source"] in json.dumps(result), "the result does not rest on the cited source"


def _reasons(result: dict[str, Any]) -> dict[str, str]:
    reasons: dict[str, list[str]] = {}
    for item in result["excluded"]:
        reasons.setdefault(item["drug"], []).append(item["reason"])
    return {drug_id: " | ".join(texts) for drug_id, texts in reasons.items()}
