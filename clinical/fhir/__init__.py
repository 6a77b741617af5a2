"""FHIR R4 export of a finished session, as a Bundle of type ``collection``.

``collection`` rather than ``document``: a document Bundle is an attested, signed clinical record
opened by a Composition, and this is neither. It is decision support a receiving system may file
or show beside its own record: Conditions the engine proposed (provisional or differential),
RiskAssessments for the scores, draft MedicationRequests, DetectedIssues for interactions, the
reported allergies and medications, and an anonymous Patient. Every resource carries the
``decision-support`` tag and the engine version in ``meta.source``; inferred resources carry the
result's disclaimer as a note. Resource ids derive from the session id, so exporting the same
session twice gives the same ids.
"""

from __future__ import annotations

from typing import Any

from clinical import patients
from clinical.fhir.builder import BundleBuilder
from clinical.fhir.diagnosis import diagnosis_resources
from clinical.fhir.prescription import prescription_resources
from clinical.models import StreamSession

__all__ = ["NotExportable", "session_bundle"]


class NotExportable(Exception):
    """A session without a result to export (still running, failed or cancelled)."""


def session_bundle(session: StreamSession) -> dict[str, Any]:
    """The session's request and result as a FHIR R4 ``collection`` Bundle (plain JSON data)."""
    if session.status != StreamSession.Status.COMPLETED or not session.result:
        raise NotExportable(f"This session is {session.status}: only a completed one has a result.")
    result = session.result
    builder = BundleBuilder(
        session_id=session.id,
        recorded_at=session.finished_at or session.created_at,
        engine_version=result.get("engine_version") or session.engine_version,
        disclaimer=result.get("disclaimer", ""),
        patient=patients.from_session(session),
    )
    if session.kind == StreamSession.Kind.DIAGNOSIS:
        diagnosis_resources(builder, session.request, result)
    else:
        prescription_resources(builder, session.request, result)
    return builder.bundle()
