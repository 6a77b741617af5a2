"""Sessions run to completion through the store, exactly as a worker runs them (no socket)."""

from __future__ import annotations

from typing import Any

from clinical.models import StreamSession
from clinical.streams import store
from clinical.streams.runner import StreamRun
from clinical.streams.start import create_stream


def complete_session(user: Any, kind: str, data: dict[str, Any], request_id: str = "") -> Any:
    """Validate, store and run a session to its ``complete`` frame; returns the fresh session."""
    session = create_stream(user, kind, data, request_id or None)
    frames = list(StreamRun.of(session).frames())
    store.append_events(
        session.id,
        kind,
        frames,
        worker_id=session.worker_id,
        lease_seconds=5,
        finish=store.Finish(status="completed", result=frames[-1]["result"]),
    )
    return StreamSession.objects.get(pk=session.pk)


INTERACTING_PRESCRIPTION: dict[str, Any] = {
    "diagnosis": "Acute coronary syndrome",
    "patient_info": {"age": 68, "weight": 82, "sex": "male", "egfr": 75},
    "allergies": ["penicillin"],
    "current_medications": ["warfarin"],
}
