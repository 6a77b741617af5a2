"""What the can't-miss tests of every body system check (test_cant_miss_*.py)."""

from __future__ import annotations

from typing import Any

from clinical.engine.knowledge.loader import KnowledgeBase


def assert_caught(outcome: dict[str, Any], condition: Any, *, listed: bool = True) -> None:
    """The safety net caught ``condition``: its own urgency, named in the reason, and (unless
    ``listed`` is False) shown in the differential."""
    assert outcome["urgency"] == condition.base_urgency
    if listed:
        assert condition.id in [item["condition_id"] for item in outcome["differential"]]
    assert f"can't miss: {condition.name}".lower() in outcome["urgency_reason"].lower()


def netted_in(knowledge_base: KnowledgeBase, area: set[str] | frozenset[str]) -> set[str]:
    """The conditions of the body systems ``area`` that carry a can't-miss block."""
    return {
        condition.id
        for condition in knowledge_base.conditions.values()
        if condition.system in area and condition.cant_miss is not None
    }
