"""medstream's clinical engine: pure Python, deterministic, knowledge held as data files.

The engine imports nothing from Django, Channels or any network library, so it is tested directly
and could sit behind a model server with the same interface. This module is its whole public
interface: the service imports the engine from here alone (a test refuses an import of an engine
submodule from outside the engine). The packages behind it:

- ``contract``: the requests it accepts, the results and stage events it emits, its errors, and
  the field registry every vital sign and lab is defined in once;
- ``knowledge``: the knowledge base's data files, their schema, the loader and the vocabulary;
- ``note``: the free-text note reader;
- ``diagnosis``: evidence, the Bayesian differential, scores, triage and explanations;
- ``prescription``: safety checks, regimen choice, dosing and the result.

:func:`diagnose` and :func:`prescribe` validate a request eagerly (raising
:class:`EngineValidationError` before any event) and return an iterator of stage events ending
with ``complete``; :func:`validate_diagnosis` and :func:`validate_prescription` do the validation
alone, so the service can refuse bad input before it stores anything; :func:`read_note_for_preview`
reads a note on its own, exactly as a diagnosis of that note alone reads it; :func:`engine_version`
names the code version and the knowledge base's content hash (the same request and version always
give the same events). Output is decision support for a clinician, never a diagnosis or
prescription on its own.
"""

from __future__ import annotations

from clinical.engine.contract.bounds import request_bounds
from clinical.engine.contract.errors import EngineValidationError, KnowledgeBaseError
from clinical.engine.contract.events import Event
from clinical.engine.contract.fields import CONSCIOUSNESS_LEVELS, display_labels
from clinical.engine.contract.requests import (
    DiagnosisRequest,
    NoteReadRequest,
    PrescriptionRequest,
    allergy_text,
    refuse_invisible,
)
from clinical.engine.contract.results import (
    MAX_REQUEST_ID_CHARS,
    EngineResult,
    ExtractedNote,
    Frame,
    Urgency,
)
from clinical.engine.diagnosis.stream import diagnose, validate_diagnosis
from clinical.engine.diagnosis.stream import read_note_alone as read_note_for_preview
from clinical.engine.knowledge.loader import KnowledgeBase, load_knowledge_base
from clinical.engine.prescription.stream import prescribe, validate_prescription

__all__ = [
    "CONSCIOUSNESS_LEVELS",
    "MAX_REQUEST_ID_CHARS",
    "DiagnosisRequest",
    "EngineResult",
    "EngineValidationError",
    "Event",
    "ExtractedNote",
    "Frame",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "NoteReadRequest",
    "PrescriptionRequest",
    "Urgency",
    "allergy_text",
    "diagnose",
    "display_labels",
    "engine_version",
    "knowledge_base",
    "prescribe",
    "read_note_for_preview",
    "refuse_invisible",
    "request_bounds",
    "validate_diagnosis",
    "validate_prescription",
]


def knowledge_base() -> KnowledgeBase:
    """The bundled knowledge base, loaded and validated once per process (read-only)."""
    return load_knowledge_base()


def engine_version() -> str:
    """``<code version>+kb.<content hash>`` of the loaded knowledge base."""
    return load_knowledge_base().engine_version
