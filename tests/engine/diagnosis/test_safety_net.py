"""The can't-miss safety net: a serious condition whose key feature is present raises urgency to
its own level even at a low probability, says so in the reason, and is shown in the differential;
below the policy's threshold, or without the key feature, it does not."""

from __future__ import annotations

from typing import Any

import pytest

from clinical.engine.contract.errors import KnowledgeBaseError
from clinical.engine.diagnosis.stream import diagnose
from clinical.engine.knowledge.loader import KnowledgeBase, build_knowledge_base

COLD = {"symptoms": ["cough", "runny nose", "sneezing"], "history": {"age": 40, "sex": "male"}}


def _result(kb: KnowledgeBase, request: dict[str, Any]) -> dict[str, Any]:
    return list(diagnose(request, kb))[-1]["result"]


def _net(kb_copy: Any, features: list[Any], threshold: float) -> KnowledgeBase:
    """A copy whose ACS is not to be missed on ``features`` from ``threshold`` up."""

    def mark(document: dict[str, Any]) -> None:
        acs = next(c for c in document["conditions"] if c["id"] == "acute_coronary_syndrome")
        acs["cant_miss"] = {"key_features": features, "source": "nice_cg95"}

    def lower(document: dict[str, Any]) -> None:
        document["policy"]["triage"]["cant_miss_probability"]["value"] = threshold

    kb_copy.edit("conditions/cardiovascular.yaml", mark)
    kb_copy.edit("policy/triage.yaml", lower)
    return build_knowledge_base(kb_copy.root)


def test_a_cold_is_self_care_without_the_net(knowledge_base: KnowledgeBase) -> None:
    assert _result(knowledge_base, COLD)["urgency"] == "self_care"


def test_a_key_feature_present_raises_urgency_at_a_low_probability(kb_copy) -> None:
    kb = _net(kb_copy, ["cough"], threshold=0.0)
    result = _result(kb, COLD)
    acs = next(i for i in result["differential"] if i["condition_id"] == "acute_coronary_syndrome")
    assert acs["probability"] < 0.01
    assert result["urgency"] == "emergency"
    assert result["urgency_reason"].startswith("Can't miss: Acute coronary syndrome (cough, ")


def test_a_key_feature_of_several_findings_needs_them_all(kb_copy) -> None:
    kb = _net(kb_copy, [["cough", "chest_pain"]], threshold=0.0)
    assert _result(kb, COLD)["urgency"] == "self_care"
    with_pain = COLD | {"symptoms": [*COLD["symptoms"], "chest pain"]}
    assert _result(kb, with_pain)["urgency"] == "emergency"


def test_below_the_threshold_the_net_does_not_raise(kb_copy) -> None:
    kb = _net(kb_copy, ["cough"], threshold=0.5)
    assert _result(kb, COLD)["urgency"] == "self_care"


def test_a_net_on_an_unknown_finding_is_refused(kb_copy) -> None:
    with pytest.raises(KnowledgeBaseError, match=r"cant_miss\.key_features\.0.*purple_toes"):
        _net(kb_copy, ["purple_toes"], threshold=0.01)


def test_a_condition_not_to_be_missed_needs_urgent_care_or_more(kb_copy) -> None:
    def mark(document: dict[str, Any]) -> None:
        cold = next(c for c in document["conditions"] if c["id"] == "common_cold")
        cold["cant_miss"] = {"key_features": ["cough"], "source": "nice_ng120"}

    kb_copy.edit("conditions/respiratory.yaml", mark)
    with pytest.raises(KnowledgeBaseError, match="emergency or urgent"):
        build_knowledge_base(kb_copy.root)


def test_a_net_at_the_level_already_reached_follows_the_reason_that_set_it(kb_copy) -> None:
    kb = _net(kb_copy, ["cough"], threshold=0.0)
    severe = COLD | {"symptoms": [*COLD["symptoms"], "crushing chest pain", "sweating"]}
    reason = _result(kb, severe)["urgency_reason"]
    assert reason.startswith("Red flag: Chest pain spreading to the arm")
    assert "can't miss: Acute coronary syndrome (cough, " in reason
