"""The stage events the engine yields, in the shape wire protocol v1 streams them.

The engine yields plain dicts without ``session_id``, ``seq`` or ``timestamp``: those belong to the
stream that carries the events (``clinical/streams/``), which adds them as it stores and sends each
one. Stage names, percentages and order are fixed by protocol v1 (docs/design.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Kind = Literal["diagnosis", "prescription"]

STAGES: dict[str, tuple[tuple[str, int, str], ...]] = {
    "diagnosis": (
        ("symptoms_analysis", 10, "Analysing symptoms"),
        ("vitals_evaluation", 30, "Evaluating vital signs and scores"),
        ("history_review", 50, "Reviewing history and risk factors"),
        ("differential_diagnosis", 70, "Ranking the differential diagnosis"),
        ("primary_diagnosis", 90, "Selecting the primary diagnosis and urgency"),
        ("complete", 100, "Complete"),
    ),
    "prescription": (
        ("allergy_check", 10, "Checking allergies and cross-reactivity"),
        ("medication_selection", 30, "Selecting medications and doses"),
        ("interaction_check", 60, "Checking interactions"),
        ("monitoring_advice", 80, "Preparing monitoring advice"),
        ("finalization", 95, "Finalising the prescription"),
        ("complete", 100, "Complete"),
    ),
}

_PERCENT = {kind: {name: pct for name, pct, _ in stages} for kind, stages in STAGES.items()}
_MESSAGE = {kind: {name: msg for name, _, msg in stages} for kind, stages in STAGES.items()}

Event = dict[str, Any]


def progress(kind: Kind, stage: str) -> Event:
    """The progress event that opens ``stage`` of a ``kind`` stream."""
    return {
        "type": "progress",
        "stage": stage,
        "progress": _PERCENT[kind][stage],
        "message": _MESSAGE[kind][stage],
    }


def chunk(stage: str, content: Mapping[str, object]) -> Event:
    """One incremental item of ``stage`` (a differential item, a medication, ...)."""
    return {"type": "stream_chunk", "stage": stage, "content": content}


def complete(result: Mapping[str, object]) -> Event:
    """The final event of a stream, carrying the whole result."""
    return {"type": "complete", "result": result}
