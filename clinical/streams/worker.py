"""This worker process's streams, and the duties that keep no session running forever.

The worker owns every stream it starts (a socket that drops does not stop it), renews the leases
of the runs it holds, and sweeps for sessions whose lease expired because their worker died,
taking them over. On drain (SIGTERM) it stops taking new streams, lets its runs finish within a
bound, and releases the leases of any still running so another worker takes them over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from clinical import engine, metrics, tickets
from clinical.db import db_call
from clinical.models import StreamSession
from clinical.streams import store
from clinical.streams.engine_pool import engine_pool
from clinical.streams.runner import StreamRun, StreamWriter, execute

logger = logging.getLogger("clinical.streams")

RELEASE_SECONDS = 2.0
# A session that every worker taking it over fails to finish (a write that can never succeed,
# a run that kills its worker) is failed after this many takeovers instead of retried forever.
MAX_TAKEOVERS = 3

_renew = db_call(store.renew_leases)
_give_up = db_call(store.give_up)
_claim = db_call(store.claim_expired)
_purge_tickets = db_call(tickets.purge_old_tickets)


class Draining(RuntimeError):
    """The worker is shutting down and takes no new streams."""


class Worker:
    def __init__(self) -> None:
        self._runs: dict[uuid.UUID, tuple[StreamRun, asyncio.Task[None]]] = {}
        self._duties: list[asyncio.Task[None]] = []
        self._duties_loop: asyncio.AbstractEventLoop | None = None
        self.draining = False

    @property
    def running(self) -> list[uuid.UUID]:
        return list(self._runs)

    def runs_here(self, session_id: uuid.UUID) -> bool:
        return session_id in self._runs

    def launch(self, run: StreamRun) -> asyncio.Task[None]:
        """Run ``run`` as a task of this worker."""
        if self.draining:
            raise Draining("this worker is draining")
        self.start_duties()
        task = asyncio.create_task(execute(run), name=f"stream-{run.session_id}")
        self._runs[run.session_id] = (run, task)
        task.add_done_callback(lambda _: self._runs.pop(run.session_id, None))
        return task

    async def wait(self, session_id: uuid.UUID | str) -> None:
        """Wait for a local run to end."""
        entry = self._runs.get(uuid.UUID(str(session_id)))
        if entry:
            with contextlib.suppress(asyncio.CancelledError):
                await entry[1]

    def start_duties(self) -> None:
        """Start lease renewal and the takeover sweep on the running event loop, once."""
        loop = asyncio.get_running_loop()
        if self._duties_loop is loop and all(not duty.done() for duty in self._duties):
            return
        self._duties_loop = loop
        engine_pool.prestart()
        self._duties = [
            asyncio.create_task(self._renew_forever(), name="stream-lease-renewal"),
            asyncio.create_task(self._sweep_forever(), name="stream-takeover-sweep"),
            asyncio.create_task(_purge_tickets_forever(), name="ticket-purge"),
        ]

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(settings.STREAM_LEASE_SECONDS / 3)
            if not self._runs:
                continue
            try:
                await _renew(self.running, settings.WORKER_ID, settings.STREAM_LEASE_SECONDS)
            except Exception:
                logger.warning("lease renewal failed", exc_info=True)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(settings.STREAM_LEASE_SECONDS / 2)
            try:
                await self.sweep()
            except Exception:
                logger.warning("takeover sweep failed", exc_info=True)

    async def sweep(self) -> list[uuid.UUID]:
        """Take over every session whose lease expired; returns their ids."""
        if self.draining:
            return []
        claimed = await _claim(settings.WORKER_ID, settings.STREAM_LEASE_SECONDS)
        for session in claimed:
            await self._take_over(session)
        return [session.id for session in claimed]

    async def _take_over(self, session: StreamSession) -> None:
        run = StreamRun.of(session)
        log = {"session_id": str(session.id), "worker": settings.WORKER_ID}
        current = engine.engine_version()
        if session.engine_version != current:
            reason = f"engine version changed from {session.engine_version} to {current}"
            await self._fail(run, "The stream could not resume.", reason)
            logger.warning("takeover refused: engine version changed", extra=log)
            return
        if session.takeovers > MAX_TAKEOVERS:
            reason = f"not completed after {MAX_TAKEOVERS} takeovers"
            await self._fail(run, "The stream could not be completed.", reason)
            logger.warning("takeover refused: too many takeovers", extra=log)
            return
        logger.info("taking over stream", extra=log | {"seq": session.last_seq})
        metrics.streams_taken_over.inc()
        self.launch(run)

    async def _fail(self, run: StreamRun, message: str, reason: str) -> None:
        """End a session this worker claimed but will not run: with its terminal frame if that
        can be stored, and failed in any case, so no session stays running forever."""
        await StreamWriter(run).end_with_error(
            StreamSession.Status.FAILED, "stream_failed", message, reason
        )
        await _give_up(run.session_id, settings.WORKER_ID, reason)

    async def stop(self) -> None:
        """Cancel this worker's duties and runs (tests; a process that is about to exit)."""
        for duty in self._duties:
            duty.cancel()
        for run, task in self._runs.values():
            run.stop_reason = "shutdown"
            task.cancel()
        tasks = [task for _, task in self._runs.values()] + self._duties
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        self._duties = []
        self._duties_loop = None

    async def drain(self, grace_seconds: float) -> None:
        """Stop taking streams, let runs finish for ``grace_seconds``, hand the rest over."""
        self.draining = True
        for duty in self._duties:
            duty.cancel()
        tasks = [task for _, task in self._runs.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        leftover = list(self._runs.items())
        for _, (run, task) in leftover:
            run.stop_reason = "drain"
            task.cancel()
        if leftover:
            await asyncio.wait([task for _, (_, task) in leftover], timeout=1.0)
            await _release_or_let_expire([session_id for session_id, _ in leftover])


async def _purge_tickets_forever() -> None:
    """Keep the ticket table from growing forever: every worker purges on its own schedule (a
    DELETE of rows every worker agrees are old, so running it twice at once is harmless)."""
    while True:
        await asyncio.sleep(settings.TICKET_PURGE_INTERVAL_SECONDS)
        try:
            deleted = await _purge_tickets()
        except Exception:
            logger.warning("ticket purge failed", exc_info=True)
        else:
            logger.info("tickets purged", extra={"deleted": deleted})


def _release_in_own_thread(session_ids: list[uuid.UUID]) -> None:
    try:
        store.release_leases(session_ids, settings.WORKER_ID)
    finally:
        connection.close()


async def _release_or_let_expire(session_ids: list[uuid.UUID]) -> None:
    """Release leases so another worker takes over now; if the database is stuck (a run may be
    blocked inside it, holding the session's row), give up after a moment: the leases expire on
    their own and the takeover happens then."""
    release = sync_to_async(_release_in_own_thread, thread_sensitive=False)
    try:
        await asyncio.wait_for(release(session_ids), RELEASE_SECONDS)
    except Exception:
        logger.warning("could not release leases on drain; they will expire", exc_info=True)


worker = Worker()
