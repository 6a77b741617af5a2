"""Assembling a Bundle: stable resource ids, shared metadata, references inside the bundle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clinical.fhir import terminology as terms
from clinical.patients import Patient
from clinical.wire import timestamp

Resource = dict[str, Any]
Reference = dict[str, str]


def pruned(value: Any) -> Any:
    """``value`` without empty strings, lists, objects or nulls: FHIR forbids empty elements."""
    if isinstance(value, dict):
        kept = {key: pruned(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, "", [], {})}
    if isinstance(value, list):
        kept = [pruned(item) for item in value]
        return [item for item in kept if item not in (None, "", [], {})]
    return value


def concept(coding: dict[str, str], text: str | None = None) -> Resource:
    """A CodeableConcept of one coding, its text defaulting to the coding's display."""
    return {"coding": [coding], "text": text or coding.get("display", coding["code"])}


def text_concept(text: str) -> Resource:
    """A CodeableConcept with text only, for things no code system we use names."""
    return {"text": text}


@dataclass
class BundleBuilder:
    """Collects one session's resources; ids are derived from the session so re-exports match."""

    session_id: uuid.UUID
    recorded_at: datetime
    engine_version: str
    disclaimer: str
    patient: Patient | None = None
    entries: list[Resource] = field(default_factory=list)

    @property
    def recorded(self) -> str:
        return timestamp(self.recorded_at)

    def meta(self) -> Resource:
        return {
            "tag": [terms.DECISION_SUPPORT_TAG],
            "source": f"{terms.ENGINE_SOURCE_PREFIX}{self.engine_version}",
        }

    def notes(self, *lines: str | None, disclaimer: bool = True) -> list[Resource]:
        """Annotations from the non-empty ``lines``, then the result's disclaimer."""
        texts = [line for line in lines if line]
        if disclaimer and self.disclaimer:
            texts.append(self.disclaimer)
        return [{"text": text} for text in texts]

    def add(self, key: str, resource_type: str, fields: Resource) -> Reference:
        """Add a resource under a stable id derived from ``key``; returns a reference to it."""
        resource_id = str(uuid.uuid5(self.session_id, key))
        resource = {"resourceType": resource_type, "id": resource_id, "meta": self.meta(), **fields}
        self.entries.append({"fullUrl": f"urn:uuid:{resource_id}", "resource": pruned(resource)})
        return {"reference": f"urn:uuid:{resource_id}"}

    def bundle(self) -> Resource:
        return {
            "resourceType": "Bundle",
            "id": str(self.session_id),
            "meta": self.meta(),
            "identifier": {"system": terms.IDENTIFIER_URI, "value": f"urn:uuid:{self.session_id}"},
            "type": "collection",
            "timestamp": self.recorded,
            "entry": self.entries,
        }
