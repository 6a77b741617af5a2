"""Runs streams: each session is a task owned by the worker, not by the socket that asked for it.

A run numbers the engine's events (``seq`` 0 is ``accepted``), stores them in one write per stage,
then publishes each stored batch to the session's channel-layer group. Storing before publishing
is what makes resume exact: whatever a client was sent is in the database. The worker renews the
leases of its runs; a sweep takes over runs whose lease expired (their worker died) and re-runs
them from the stored request, skipping the events already stored. The engine is deterministic,
so the re-run produces the same events with the same ``seq``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from clinical import engine, metrics, wire
from clinical.db import db_call
from clinical.engine import EngineValidationError
from clinical.models import StreamSession
from clinical.streams import groups, local, store
from clinical.streams.engine_pool import OverBudget, engine_pool
from clinical.streams.follow import is_terminal
from clinical.streams.groups import LAYER_CALL_SECONDS
from clinical.streams.local import Published
from clinical.streams.store import CancelRequested, Finish, Frame, LeaseLost

logger = logging.getLogger("clinical.streams")

ENGINES: dict[str, Callable[[dict[str, Any]], Iterator[dict[str, Any]]]] = {
    StreamSession.Kind.DIAGNOSIS: engine.diagnose,
    StreamSession.Kind.PRESCRIPTION: engine.prescribe,
}


@dataclass
class StreamRun:
    """What a worker needs to run (or re-run) one session."""

    session_id: uuid.UUID
    owner_id: int
    kind: str
    request: dict[str, Any]
    request_id: str = ""
    stored_through: int = -1
    stop_reason: str = ""

    @classmethod
    def of(cls, session: StreamSession) -> StreamRun:
        return cls(
            session_id=session.id,
            owner_id=session.owner_id,
            kind=session.kind,
            request=session.request,
            request_id=session.request_id,
            stored_through=session.last_seq,
        )

    def frame(self, seq: int, event: dict[str, Any]) -> Frame:
        """An engine event as the wire frame it becomes: ids first, timestamp last."""
        frame: Frame = {"type": event["type"], "session_id": str(self.session_id), "seq": seq}
        frame.update((key, value) for key, value in event.items() if key != "type")
        if self.request_id:
            frame["request_id"] = self.request_id
        frame["timestamp"] = wire.timestamp()
        return wire.EncodedFrame(frame)

    def frames(self) -> Iterator[Frame]:
        """Every frame of the session in order, starting with ``accepted``, from the engine in
        this process (what a run produces; tests compare with it)."""
        yield self.frame(0, {"type": "accepted", "kind": self.kind})
        for seq, event in enumerate(ENGINES[self.kind](self.request), start=1):
            yield self.frame(seq, event)

    async def pooled_frames(
        self, on_queued: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[Frame]:
        """The same frames, from an engine process (:mod:`.engine_pool`), each as produced,
        in the user's turn (:class:`UserTurns`); ``on_queued`` runs if the stream has to wait
        for its turn or for a process."""
        yield self.frame(0, {"type": "accepted", "kind": self.kind})
        seq = 1
        async with user_turns.turn(self.owner_id, on_queued):
            events = engine_pool.events(self.kind, self.request, self.owner_id, on_queued)
            async for event in events:
                yield self.frame(seq, event)
                seq += 1


@dataclass
class _Turns:
    running: int = 0
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)


class UserTurns:
    """How many of one user's streams run at once on this worker (``STREAMS_RUNNING_PER_USER``);
    the others wait their turn, first come, first served.

    The backpressure a flood of one user's starts needs: their streams otherwise all run at once,
    each storing and publishing its frames, and on a worker of two cores 200 sockets starting
    streams back to back slowed every handshake past the client's patience (``make soak``, README
    "A run never waits on a follower"). Each user's streams still run side by side up to the
    limit, and other users' streams never wait for them.
    """

    def __init__(self) -> None:
        self._users: dict[int, _Turns] = {}

    @contextlib.asynccontextmanager
    async def turn(
        self, owner_id: int, on_wait: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """Hold one of ``owner_id``'s turns for the block; ``on_wait`` runs if it must wait."""
        turns = self._users.setdefault(owner_id, _Turns())
        if turns.running < int(settings.STREAMS_RUNNING_PER_USER) and not turns.waiting:
            turns.running += 1
        else:
            await self._wait(owner_id, turns, on_wait)
        try:
            yield
        finally:
            self._pass_on(owner_id)

    async def _wait(
        self, owner_id: int, turns: _Turns, on_wait: Callable[[], Awaitable[None]] | None
    ) -> None:
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turns.waiting.append(handed)
        try:
            if on_wait is not None:
                await on_wait()
            await handed
        except BaseException:
            if handed.done() and not handed.cancelled():
                self._pass_on(owner_id)  # handed a turn it will not take: the next one's
            elif handed in turns.waiting:
                turns.waiting.remove(handed)
            raise

    def _pass_on(self, owner_id: int) -> None:
        """A turn ends: the user's oldest waiting stream takes it, or it is given up."""
        turns = self._users[owner_id]
        while turns.waiting:
            handed = turns.waiting.popleft()
            if not handed.done():
                handed.set_result(None)
                return
        turns.running -= 1
        if not turns.running:
            del self._users[owner_id]


user_turns = UserTurns()


_append = db_call(store.append_events)

# What a clinician reads when the engine was stopped at its time budget.
OVER_BUDGET_MESSAGE = (
    "This request took too long to process and was stopped, so there is no result. "
    "Shorten or simplify the note, or enter the findings as structured fields, and try again."
)


async def publish(session_id: uuid.UUID, frames: Published, sent_at: float) -> None:
    """Send stored frames to everyone following the session; the database stays the record.

    Followers on this worker find them in their inboxes (``clinical.streams.local``: the run
    neither waits for them nor hears of their failures); the others get them through the
    channel layer. A lost publish is repaired by the followers (they fill gaps from the
    database), so a channel layer failure, or a layer that does not answer within
    ``LAYER_CALL_SECONDS``, is logged, not raised into the stream.
    """
    local.deliver(session_id, frames, sent_at)
    message = layer_message("stream.events", session_id, frames, sent_at, settings.WORKER_ID)
    await _send_to_group(groups.session(session_id), message, "publish", session_id)


async def announce(
    owner_id: int, session_id: uuid.UUID, kind: str, frames: Published, sent_at: float
) -> None:
    """Tell the owner's other sockets that a stream started, so they follow it too, with its
    first stored batch (``frames``): those on this worker in process, the others through the
    layer (their worker's subscriber serves all of them, ``clinical.streams.relay``)."""
    local.announce(owner_id, session_id, frames, sent_at, settings.WORKER_ID)
    message = layer_message(
        "stream.started",
        session_id,
        frames,
        sent_at,
        settings.WORKER_ID,
        kind=kind,
        user_id=owner_id,
    )
    await _send_to_group(groups.user(owner_id), message, "announce", session_id)


def layer_message(
    message_type: str,
    session_id: uuid.UUID,
    frames: Published,
    sent_at: float,
    worker: str,
    **fields: Any,
) -> dict[str, Any]:
    """What a run of ``worker`` sends the other workers through the channel layer: a stored
    batch (``stream.events``) or a new stream with its first batch (``stream.started``).

    Only strings, numbers, booleans and lists, which channels-redis's msgpack carries as they
    are, but for the ``(seq, text, terminal)`` tuples: those arrive as lists, and receivers
    make them tuples again. ``worker`` lets that worker's own subscriber drop the copy.
    """
    message = {"type": message_type, "session_id": str(session_id), "frames": frames}
    return message | {"sent_at": sent_at, "worker": worker} | fields


async def _send_to_group(
    group: str, message: dict[str, Any], operation: str, session_id: uuid.UUID
) -> None:
    """One bounded ``group_send``; with the in-memory layer every socket is local: none."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return
    try:
        await asyncio.wait_for(layer.group_send(group, message), LAYER_CALL_SECONDS)
    except Exception:
        metrics.layer_errors.labels(operation).inc()
        logger.warning(
            f"channel layer {operation} failed",
            extra={"session_id": str(session_id)},
            exc_info=True,
        )


class StreamWriter:
    """Stores and publishes one run's frames, batch by batch."""

    def __init__(self, run: StreamRun) -> None:
        self.run = run
        self.last_seq = run.stored_through

    async def write(self, frames: list[Frame], finish: Finish | None = None) -> None:
        """Store, then publish; raises ``CancelRequested`` or ``LeaseLost`` (nothing stored)."""
        if not frames and finish is None:
            return
        await _append(
            self.run.session_id,
            self.run.kind,
            frames,
            worker_id=settings.WORKER_ID,
            lease_seconds=settings.STREAM_LEASE_SECONDS,
            finish=finish,
        )
        if not frames:
            return
        self.last_seq = frames[-1]["seq"]
        published = [(frame["seq"], frame.text, is_terminal(frame)) for frame in frames]
        sent_at = time.time()
        run = self.run
        await publish(run.session_id, published, sent_at)
        if frames[0]["seq"] == 0:
            await announce(run.owner_id, run.session_id, run.kind, published, sent_at)

    async def end_with_error(self, status: str, code: str, message: str, reason: str) -> None:
        """Store the terminal error frame with the session's ending, in one transaction.

        If that write fails too, the session keeps its lease until it expires and a takeover
        finishes it, so it is never left running.
        """
        frame = self.run.frame(self.last_seq + 1, {"type": "error", "code": code, "error": message})
        try:
            await self.write([frame], Finish(status=status, failure_reason=reason))
        except LeaseLost:
            pass
        except Exception:
            logger.exception(
                "could not store the end of a stream",
                extra={"session_id": str(self.run.session_id)},
            )


async def execute(run: StreamRun) -> None:
    """Run a session to its end: completed, failed with a reason, or cancelled.

    One log line when the run starts and one when it ends (status, events stored, duration),
    carrying ids only: never the request.
    """
    writer = StreamWriter(run)
    log = {"session_id": str(run.session_id), "kind": run.kind, "worker": settings.WORKER_ID}
    started = time.perf_counter()
    logger.info("stream run started", extra=log | {"user_id": run.owner_id})
    outcome = "handed_over"
    try:
        outcome = await _run_to_end(run, writer, log)
    finally:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        ended = {"status": str(outcome), "events": writer.last_seq - run.stored_through}
        logger.info("stream run ended", extra=log | ended | {"duration_ms": duration_ms})
    metrics.streams_finished.labels(run.kind, outcome).inc()


async def _run_to_end(run: StreamRun, writer: StreamWriter, log: dict[str, Any]) -> str:
    """Stream the session and store its ending; returns the outcome (a status, or
    ``lease_lost``). Re-raises the task's cancellation when the run is handed over."""
    try:
        await _stream(run, writer)
    except CancelRequested:
        await _end_cancelled(writer, log)
        return StreamSession.Status.CANCELLED
    except LeaseLost:
        logger.warning("stream lease lost; another worker owns the session", extra=log)
        return "lease_lost"
    except asyncio.CancelledError:
        if run.stop_reason:
            metrics.streams_finished.labels(run.kind, "handed_over").inc()
            logger.info("stream left for takeover", extra=log | {"reason": run.stop_reason})
            raise
        await _end_cancelled(writer, log)
        return StreamSession.Status.CANCELLED
    except OverBudget as error:
        await writer.end_with_error(
            StreamSession.Status.FAILED, "stream_failed", OVER_BUDGET_MESSAGE, f"engine {error}"
        )
        logger.warning("stream failed: over the engine budget", extra=log)
        return StreamSession.Status.FAILED
    except EngineValidationError as error:
        reason = f"stored request is no longer valid: {', '.join(error.details)}"
        await writer.end_with_error(
            StreamSession.Status.FAILED, "stream_failed", "The stream could not run.", reason
        )
        logger.warning("stream failed: invalid stored request", extra=log)
        return StreamSession.Status.FAILED
    except Exception as error:
        reason = f"internal error ({type(error).__name__})"
        logger.exception("stream failed", extra=log)
        await writer.end_with_error(
            StreamSession.Status.FAILED, "stream_failed", "The stream failed.", reason
        )
        return StreamSession.Status.FAILED
    return StreamSession.Status.COMPLETED


async def _end_cancelled(writer: StreamWriter, log: dict[str, Any]) -> None:
    await writer.end_with_error(
        StreamSession.Status.CANCELLED, "cancelled", "Stream cancelled.", "cancelled by user"
    )
    logger.info("stream cancelled", extra=log)


@dataclass
class _Batch:
    """The frames of a run not written yet, and when the oldest of them came."""

    frames: list[Frame] = field(default_factory=list)
    started: float = 0.0
    has_stage: bool = False

    def add(self, frame: Frame) -> None:
        if not self.frames:
            self.started = time.perf_counter()
        self.frames.append(frame)
        self.has_stage = self.has_stage or frame["type"] == "progress"

    async def write(self, writer: StreamWriter) -> None:
        frames, self.frames, self.has_stage = self.frames, [], False
        await writer.write(frames)


async def _stream(run: StreamRun, writer: StreamWriter) -> None:
    """Iterate the engine, writing what it produced in as few batches as time allows.

    A batch is written at a stage boundary once it has waited ``STREAM_BATCH_MS``; the last
    batch goes with the session's ending. A fast engine's whole stream is one write and one
    publish; a slow engine's stages go out as they come (0 writes every stage on its own).
    When the engine has to wait for a process (the user's other streams hold its share of
    the pool), ``accepted`` is written and sent at once, so the client knows the stream is
    stored and under way.
    """
    batch = _Batch()
    finish: Finish | None = None
    wait = settings.STREAM_BATCH_MS / 1000

    async def write_while_queued() -> None:
        await batch.write(writer)

    # Read to the end, past ``complete``: the engine process then ends its job cleanly.
    async for frame in run.pooled_frames(write_while_queued):
        if frame["seq"] <= run.stored_through:
            continue
        if frame["type"] == "complete":
            batch.frames.append(frame)
            finish = Finish(status=StreamSession.Status.COMPLETED, result=frame["result"])
            continue
        starts_stage = frame["type"] == "progress"
        if starts_stage and batch.has_stage and time.perf_counter() - batch.started >= wait:
            await batch.write(writer)
        batch.add(frame)
    if finish is None:
        raise RuntimeError("engine stream ended without a complete event")
    await writer.write(batch.frames, finish)
