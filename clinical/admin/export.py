"""CSV export of sessions from the admin, one "exported" audit entry per session."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from clinical import audit
from clinical.models import AuditEntry, StreamSession

COLUMNS = [
    "session_id",
    "clinician",
    "clinician_name",
    "kind",
    "status",
    "diagnosis",
    "icd10",
    "urgency",
    "created_at",
    "finished_at",
    "engine_version",
    "review_verdict",
    "reviewed_by",
    "reviewed_at",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character is quoted away."""
    if value is None:
        return ""
    shown = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"'{shown}" if shown.startswith(FORMULA_STARTS) else shown


def row(session: StreamSession) -> list[str]:
    """One session; ``session`` carries ``with_review_state``'s annotations."""
    owner = session.owner
    values = [
        session.id,
        owner.get_username(),
        owner.get_full_name(),
        session.kind,
        session.status,
        session.primary_diagnosis,
        session.icd10,
        session.urgency,
        session.created_at,
        session.finished_at,
        session.engine_version,
        getattr(session, "latest_verdict", None),
        getattr(session, "latest_reviewer", None),
        getattr(session, "latest_reviewed_at", None),
    ]
    return [cell(value) for value in values]


def sessions_csv(request: HttpRequest, sessions: Iterable[StreamSession]) -> HttpResponse:
    """The CSV download; each exported session is audited in the same transaction."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="medstream-sessions-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    client = audit.client_address(request.META)
    with transaction.atomic():
        for session in sessions:
            writer.writerow(row(session))
            audit.record(
                request.user, AuditEntry.Action.EXPORTED, session, AuditEntry.Channel.ADMIN, client
            )
    return response
