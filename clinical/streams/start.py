"""Starting a stream: validate once, store the session, hand it to the worker.

The WebSocket consumer and the REST view both call :func:`start_stream`, so a request is
validated by one model whichever way it came, and an invalid request stores nothing.
"""

from __future__ import annotations

import contextvars
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinical import audit, engine, limits, metrics, patients
from clinical.db import db_call
from clinical.engine import MAX_REQUEST_ID_CHARS, EngineValidationError, refuse_invisible
from clinical.models import AuditEntry, StreamSession
from clinical.protocol import InvalidMessage
from clinical.roles import START_STREAMS
from clinical.streams import engine_process, store
from clinical.streams.access import own_session
from clinical.streams.engine_pool import OverBudget, engine_pool
from clinical.streams.runner import StreamRun
from clinical.streams.worker import Draining, worker


class StartForbidden(PermissionError):
    """The user's role may not start streams (answered ``forbidden``; nothing is stored)."""


def require_start_permission(user: Any) -> None:
    """Starting a stream takes ``clinical.add_streamsession``, which the clinician, reviewer and
    admin roles carry: a signed-in account without a role starts nothing."""
    if not user.has_perm(START_STREAMS):
        raise StartForbidden("this role may not start streams")


def validate_request_id(value: Any) -> str:
    """The client's ``request_id`` as stored and echoed: a short string, or absent."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_REQUEST_ID_CHARS:
        raise InvalidMessage(
            {"request_id": [f"must be a string of at most {MAX_REQUEST_ID_CHARS} characters"]}
        )
    # PostgreSQL refuses NUL in text, and no control character belongs in an id; nor an invisible
    # formatting character (a zero-width space makes two ids that look alike differ).
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidMessage({"request_id": ["must not contain control characters"]})
    try:
        return refuse_invisible(value)
    except ValueError as error:
        raise InvalidMessage({"request_id": [str(error)]}) from None


# The canonical request, the session it follows (its id, or None) and the patient.
Validated = tuple[dict[str, Any], Any, "patients.Patient | None"]
# The engine's validation job, the data it validates, the session followed and the patient.
Prepared = tuple[str, Any, Any, "patients.Patient | None"]


def _prepared(user: Any, kind: str, data: Any) -> Prepared:
    """What the engine is to validate, with the patient taken out (``data.patient``: the engine
    never sees it, only an age from the date of birth where none is stated) and, for a
    prescription, the session it follows checked against the user in the database (its
    patient inherited when the request names none)."""
    today = timezone.localdate()
    data, patient = patients.take(data, today)
    if kind == StreamSession.Kind.DIAGNOSIS:
        if isinstance(data, dict):
            data = patients.with_age(data, "history", patient, today)
        return "validate_diagnosis", data, None, patient
    if not isinstance(data, dict):
        raise InvalidMessage({"data": ["must be a JSON object"]})
    data = dict(data)
    follows = data.pop("session_id", None)
    followed = own_session(user, follows) if follows is not None else None
    if patient is None and followed is not None:
        patient = patients.from_session(followed)
    data = patients.with_age(data, "patient_info", patient, today)
    return "validate_prescription", data, followed.id if followed is not None else None, patient


async def validate(user: Any, prepared: Prepared) -> Validated:
    """Validate with the engine process's own job: a request with a note in an engine process
    (validation reads the note, for the age and sex it may state), from the event loop, so no
    database thread waits on the engine meanwhile (on SQLite there is one for the whole
    worker), and past the engine's budget the note is refused; any other request here."""
    job, data, follows_id, patient = prepared
    if not _reads_a_note(data):
        # Bounded work (a structured request's sizes are capped) of about a tenth of a
        # millisecond: done here, so a socket's start never queues behind its user's streams
        # in the pool (a closing socket would wait there, past daphne's close timeout).
        (request,) = engine_process.JOBS[job](data)
        return request, follows_id, patient
    try:
        request = await engine_pool.run(job, data, user.pk)
    except OverBudget as error:
        raise EngineValidationError({"note": [f"could not be read in time ({error})"]}) from None
    return request, follows_id, patient


def _reads_a_note(data: Any) -> bool:
    """Whether validating ``data`` reads free text (a diagnosis's note), the one part of
    validation whose cost grows with what the client wrote."""
    return isinstance(data, dict) and data.get("note") is not None


def create_stream(
    user: Any,
    kind: str,
    data: Any,
    request_id: Any,
    channel: str = "websocket",
    client: str = "",
    validated: Validated | None = None,
) -> StreamSession:
    """Validate (unless ``validated`` holds :func:`validate`'s answer) and store a new running
    session and its audit entry (raises on invalid input), for a caller that has not checked
    the start permission itself."""
    require_start_permission(user)
    return _store_stream(user, kind, data, request_id, channel, client, validated)


def _store_stream(
    user: Any,
    kind: str,
    data: Any,
    request_id: Any,
    channel: str,
    client: str,
    validated: Validated | None = None,
) -> StreamSession:
    """``create_stream`` behind a door that has checked the start permission once already."""
    request_id = validate_request_id(request_id)
    if validated is None:
        validated = async_to_sync(validate)(user, _prepared(user, kind, data))
    request, follows_id, patient = validated
    with transaction.atomic():
        session = store.create_session(
            owner_id=user.pk,
            kind=kind,
            request=request,
            request_id=request_id,
            engine_version=engine.engine_version(),
            follows_id=follows_id,
            worker_id=settings.WORKER_ID,
            lease_seconds=settings.STREAM_LEASE_SECONDS,
            **patients.session_fields(patient),
        )
        audit.record(user, AuditEntry.Action.STARTED, session, channel, client)
    metrics.streams_started.labels(kind).inc()
    return session


async def start_stream(
    user: Any,
    kind: str,
    data: Any,
    request_id: Any = None,
    client: str = "",
    before_launch: Callable[[StreamSession], Awaitable[None]] | None = None,
) -> StreamSession:
    """Check the start permission, spend one start of the user's budget, then validate, store
    and launch a stream on this worker.

    ``before_launch`` runs between storing and launching: the asking socket starts following
    there, before the run can publish anything, so it needs no read of the (empty) store. The
    stream is launched even if that fails: it is the socket's failure, not the stream's.
    Raises ``EngineValidationError`` or ``InvalidMessage`` (nothing stored), ``SessionNotFound``
    for a prescription that follows a session the user does not own, or ``Draining``.
    """
    if worker.draining:
        raise Draining("this worker is draining")
    await db_call(require_start_permission)(user)
    await spend_start(user)
    validate_request_id(request_id)
    validated = await validate(user, await db_call(_prepared)(user, kind, data))
    session = await db_call(_store_stream)(
        user, kind, data, request_id, "websocket", client, validated
    )
    try:
        if before_launch is not None:
            await before_launch(session)
    finally:
        worker.launch(StreamRun.of(session))
    return session


async def spend_start(user: Any) -> None:
    """Count one stream start against ``user``'s budget; raises :class:`limits.RateLimited`."""
    rate = limits.stream_starts()
    decision = await limits.rates.hit(rate, user.pk)
    if not decision.allowed:
        raise limits.RateLimited(rate, decision)


def spend_start_sync(user: Any) -> None:
    """Count one stream start against ``user``'s budget from synchronous code (a REST view).

    The budget is the WebSocket's own: ``limits.rates`` (GCRA in Redis across the workers, or
    in this process's memory), under the same key, so a user has ``STREAM_STARTS_PER_MINUTE``
    starts a minute whichever way they come. Raises :class:`limits.RateLimited` when spent.
    """
    async_to_sync(spend_start)(user)


async def _launch(session: StreamSession) -> None:
    """Launch in an empty context: a task copies the context it is created in, and this one
    holds the request thread's asgiref executor, which quits when the view returns; the run's
    and the worker duties' thread-sensitive database calls would then fail."""
    contextvars.Context().run(worker.launch, StreamRun.of(session))


def start_stream_sync(
    user: Any, kind: str, data: Any, request_id: Any = None, client: str = ""
) -> StreamSession:
    """Start a stream from synchronous code (a REST view, whose permission class has checked
    the start permission) running under the ASGI server.

    The run is launched on the server's event loop (``async_to_sync`` from a thread that
    ``sync_to_async`` started runs there), so it belongs to the worker like any other run.
    """
    if worker.draining:
        raise Draining("this worker is draining")
    session = _store_stream(user, kind, data, request_id, "rest", client)
    async_to_sync(_launch)(session)
    return session
