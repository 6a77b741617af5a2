"""medstream's clinical engine: pure Python, deterministic, knowledge held as data files.

The engine imports nothing from Django, Channels or any network library, so it is tested directly
and could sit behind a model server with the same interface. Its public interface:

- :func:`diagnose` and :func:`prescribe` validate a request eagerly (raising
  :class:`EngineValidationError` before any event) and return an iterator of stage events
  (see :mod:`clinical.engine.contract.events`) ending with ``complete``.
- :func:`validate_diagnosis` and :func:`validate_prescription` do the validation alone, so the
  service can refuse bad input before it stores anything.
- :func:`read_note_for_preview` reads a note on its own, with no stream: ``extracted`` exactly as
  a diagnosis of that note alone sends it in its ``symptoms_analysis`` stage.
- :func:`engine_version` names the code version and the knowledge base's content hash; the same
  request and version always give the same events.

Output is decision support for a clinician, never a diagnosis or prescription on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from clinical.engine.contract.errors import EngineValidationError, KnowledgeBaseError
from clinical.engine.contract.events import Event
from clinical.engine.contract.requests import DiagnosisRequest, PrescriptionRequest

__all__ = [
    "DiagnosisRequest",
    "EngineValidationError",
    "Event",
    "KnowledgeBaseError",
    "PrescriptionRequest",
    "diagnose",
    "engine_version",
    "prescribe",
    "read_note_for_preview",
    "validate_diagnosis",
    "validate_prescription",
]


def validate_diagnosis(data: Mapping[str, Any] | DiagnosisRequest) -> DiagnosisRequest:
    """The validated diagnosis request, or :class:`EngineValidationError` naming each bad field."""
    from clinical.engine.diagnosis.stream import validate_diagnosis as validate

    return validate(data)


def validate_prescription(data: Mapping[str, Any] | PrescriptionRequest) -> PrescriptionRequest:
    """The validated prescription request; an unknown diagnosis is an error naming close ones."""
    from clinical.engine.prescription.stream import validate_prescription as validate

    return validate(data)


def diagnose(data: Mapping[str, Any] | DiagnosisRequest) -> Iterator[Event]:
    """Validate, then return the diagnosis stream's events in protocol order."""
    from clinical.engine.diagnosis.stream import diagnose as run

    return run(data)


def prescribe(data: Mapping[str, Any] | PrescriptionRequest) -> Iterator[Event]:
    """Validate, then return the prescription stream's events in protocol order."""
    from clinical.engine.prescription.stream import prescribe as run

    return run(data)


def read_note_for_preview(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``{note}`` (the diagnosis request's ``note`` bounds, not blank), then return what
    a diagnosis of that note alone sends as ``extracted``. Nothing is kept."""
    from clinical.engine.diagnosis.stream import read_note_alone

    return read_note_alone(data)


def engine_version() -> str:
    """``<code version>+kb.<content hash>`` of the loaded knowledge base."""
    from clinical.engine.knowledge.loader import load_knowledge_base

    return load_knowledge_base().engine_version
