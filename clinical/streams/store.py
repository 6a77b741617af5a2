"""The database side of a stream: sessions, batched event writes, leases. Synchronous ORM code.

A worker may write a session's events only while it holds the session's lease: every write first
updates the session row on the condition that this worker still owns it and it is still running
(a fencing check), so a worker that lost its lease (it stalled and another took over) cannot
write a duplicate or conflicting event. The ``(session, seq)`` unique constraint backs this up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from clinical.models import StreamEvent, StreamSession

Frame = dict[str, Any]


class LeaseLost(Exception):
    """This worker no longer owns the session (it was taken over, cancelled or finished)."""


class CancelRequested(Exception):
    """The owner asked to cancel the session; the batch was not stored."""


@dataclass(frozen=True)
class Finish:
    """How a session ends, written in the same transaction as its last events."""

    status: str
    result: dict[str, Any] | None = None
    failure_reason: str = ""


def lease_deadline(lease_seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=lease_seconds)


def create_session(
    *,
    owner_id: int,
    kind: str,
    request: dict[str, Any],
    request_id: str,
    engine_version: str,
    follows_id: uuid.UUID | None,
    worker_id: str,
    lease_seconds: float,
    **patient: Any,
) -> StreamSession:
    """A new running session leased to ``worker_id`` (``patient``: its patient fields)."""
    now = timezone.now()
    return StreamSession.objects.create(
        owner_id=owner_id,
        kind=kind,
        status=StreamSession.Status.RUNNING,
        request=request,
        request_id=request_id,
        engine_version=engine_version,
        follows_id=follows_id,
        started_at=now,
        worker_id=worker_id,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
        **patient,
    )


def _summary_fields(kind: str, result: dict[str, Any] | None) -> dict[str, Any]:
    """Denormalised copies of the result for the admin's filters and search."""
    if not result:
        return {}
    if kind == StreamSession.Kind.DIAGNOSIS:
        return {
            "primary_diagnosis": str(result.get("primary_diagnosis") or "")[:200],
            "icd10": str(result.get("icd10") or "")[:16],
            "urgency": str(result.get("urgency") or "")[:16],
        }
    return {
        "primary_diagnosis": str(result.get("diagnosis") or "")[:200],
        "icd10": str(result.get("icd10") or "")[:16],
        "urgency": str(result.get("urgency") or "")[:16],
    }


def append_events(
    session_id: uuid.UUID,
    kind: str,
    frames: list[Frame],
    *,
    worker_id: str,
    lease_seconds: float,
    finish: Finish | None = None,
) -> None:
    """Store ``frames`` (and the ending, if given) atomically, in one UPDATE and one INSERT.

    Raises :class:`LeaseLost` when this worker no longer owns the running session, and
    :class:`CancelRequested` (storing nothing) when its owner asked to cancel it; a failed or
    cancelled ending is stored even then, since it is how a cancelled stream ends.
    """
    now = timezone.now()
    update: dict[str, Any] = {"lease_expires_at": now + timedelta(seconds=lease_seconds)}
    if frames:
        update["last_seq"] = frames[-1]["seq"]
    if finish:
        update |= {
            "status": finish.status,
            "result": finish.result,
            "failure_reason": finish.failure_reason,
            "finished_at": now,
            "lease_expires_at": None,
            **_summary_fields(kind, finish.result),
        }
    try:
        with transaction.atomic():
            owned = StreamSession.objects.filter(
                id=session_id, worker_id=worker_id, status=StreamSession.Status.RUNNING
            )
            if finish is None or finish.status == StreamSession.Status.COMPLETED:
                owned = owned.filter(cancel_requested=False)
            if not owned.update(**update):
                raise _why_not_written(session_id, worker_id)
            _insert_events(session_id, frames, now)
    except IntegrityError:
        raise LeaseLost(str(session_id)) from None


def _insert_events(session_id: uuid.UUID, frames: list[Frame], now: datetime) -> None:
    """One multi-row INSERT, values prepared once per batch rather than per field and row.

    This replaced ``bulk_create`` on the hot path, where the ORM's per-value preparation and
    SQL compilation cost more of a worker's CPU than the engine (README, "Performance").
    """
    if not frames:
        return
    meta = StreamEvent._meta
    prepared_session = meta.get_field("session").get_db_prep_save(session_id, connection)
    prepared_time = meta.get_field("created_at").get_db_prep_save(now, connection)
    payload = meta.get_field("payload")
    rows = [
        (
            prepared_session,
            frame["seq"],
            frame["type"],
            frame.get("stage", ""),
            payload.get_db_prep_save(frame, connection),
            prepared_time,
        )
        for frame in frames
    ]
    columns = "session_id, seq, type, stage, payload, created_at"
    one_row = "(%s, %s, %s, %s, %s, %s)"
    sql = f"INSERT INTO {meta.db_table} ({columns}) VALUES " + ", ".join([one_row] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def _why_not_written(session_id: uuid.UUID, worker_id: str) -> Exception:
    cancelled = StreamSession.objects.filter(
        id=session_id,
        worker_id=worker_id,
        status=StreamSession.Status.RUNNING,
        cancel_requested=True,
    ).exists()
    return CancelRequested(str(session_id)) if cancelled else LeaseLost(str(session_id))


def events_after(session_id: uuid.UUID, after_seq: int, limit: int | None = None) -> list[Frame]:
    """Stored frames with ``seq > after_seq``, in order."""
    rows = StreamEvent.objects.filter(session_id=session_id, seq__gt=after_seq).order_by("seq")
    if limit is not None:
        rows = rows[:limit]
    return list(rows.values_list("payload", flat=True))


def started_elsewhere(
    owner_ids: list[int], since: datetime, until: datetime, worker_id: str
) -> list[tuple[uuid.UUID, int, str, datetime]]:
    """``(session id, owner id, worker id, created at)`` of the sessions of ``owner_ids``
    created between ``since`` and ``until`` that a worker other than ``worker_id`` holds."""
    rows = StreamSession.objects.filter(
        owner_id__in=owner_ids, created_at__gte=since, created_at__lt=until
    ).exclude(worker_id=worker_id)
    return list(rows.values_list("id", "owner_id", "worker_id", "created_at"))


def renew_leases(session_ids: list[uuid.UUID], worker_id: str, lease_seconds: float) -> int:
    return StreamSession.objects.filter(
        id__in=session_ids, worker_id=worker_id, status=StreamSession.Status.RUNNING
    ).update(lease_expires_at=lease_deadline(lease_seconds))


def release_leases(session_ids: list[uuid.UUID], worker_id: str) -> int:
    """Give sessions up at once (graceful drain) so another worker takes them over now."""
    return StreamSession.objects.filter(
        id__in=session_ids, worker_id=worker_id, status=StreamSession.Status.RUNNING
    ).update(lease_expires_at=timezone.now())


def claim_expired(worker_id: str, lease_seconds: float, limit: int = 10) -> list[StreamSession]:
    """Take over running sessions whose lease expired; a compare-and-set per session."""
    now = timezone.now()
    stale = StreamSession.objects.filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True),
        status=StreamSession.Status.RUNNING,
    ).values_list("id", "worker_id", "lease_expires_at")[:limit]
    claimed = []
    for session_id, previous_worker, previous_lease in stale:
        won = StreamSession.objects.filter(
            id=session_id,
            worker_id=previous_worker,
            lease_expires_at=previous_lease,
            status=StreamSession.Status.RUNNING,
        ).update(worker_id=worker_id, lease_expires_at=lease_deadline(lease_seconds))
        if won:
            StreamSession.objects.filter(id=session_id).update(takeovers=F("takeovers") + 1)
            claimed.append(StreamSession.objects.get(id=session_id))
    return claimed


def request_cancel(session_id: uuid.UUID) -> bool:
    """Flag a running session for cancellation; False when it is no longer running."""
    return bool(
        StreamSession.objects.filter(id=session_id, status=StreamSession.Status.RUNNING).update(
            cancel_requested=True
        )
    )


def give_up(session_id: uuid.UUID, worker_id: str, reason: str) -> int:
    """Mark a running session of this worker failed without a frame (when none can be stored)."""
    return StreamSession.objects.filter(
        id=session_id, worker_id=worker_id, status=StreamSession.Status.RUNNING
    ).update(
        status=StreamSession.Status.FAILED,
        failure_reason=reason,
        finished_at=timezone.now(),
        lease_expires_at=None,
    )
