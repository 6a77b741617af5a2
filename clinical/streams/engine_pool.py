"""The engine off the event loop: diagnosis, prescription, request validation and the note preview
run in a pool of engine processes, each event sent back the moment it is produced.

Why processes, not threads (README, "The engine off the event loop"): the engine is pure Python
and its regular expressions hold the GIL for a whole search, so in a thread a heavy note still
stalls every other user of the worker's event loop (``benchmarks/engine_pool.py`` measured a
bystander woken up to 295 ms late with a thread pool, 35 ms with processes, 6.7 s on the loop).
A process also has a hard stop: a job past ``ENGINE_BUDGET_SECONDS`` is ended by killing its
process (:class:`OverBudget`), and so is a job whose caller went away (a cancelled stream, a
takeover); a new process is started when one is next needed (a few seconds: it loads the
knowledge base before it says it is ready, and a job's budget starts only then).

The pool holds ``ENGINE_PROCESSES`` processes (default: the CPU count), started on first use. It
belongs to no event loop: each job reads its process's pipe on the loop it runs on (a reader
callback, no thread hand-off), so the worker's loop and a synchronous view's
``async_to_sync`` loop share it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from asgiref.sync import async_to_sync
from django.conf import settings

from clinical.engine import EngineValidationError
from clinical.streams import engine_process

_PROJECT = Path(__file__).resolve().parents[2]
_START_SECONDS = 120.0


class OverBudget(RuntimeError):
    """The job ran past ``ENGINE_BUDGET_SECONDS``; its process was stopped."""

    def __init__(self, budget_seconds: float) -> None:
        super().__init__(f"over the {budget_seconds:g} s budget")
        self.budget_seconds = budget_seconds


class EngineFailed(RuntimeError):
    """The engine raised (the exception's type name only)."""


class _EngineProcess:
    """A fresh interpreter running :func:`engine_process.serve` on one end of a socket pair: it
    imports no service code (no Django, no re-run of the server's main module)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", engine_process.__name__, str(theirs.fileno())]
        self.process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), cwd=_PROJECT)
        theirs.close()
        self.connection = Connection(ours.detach())
        # Warm before the first job: a job's budget is the engine's time, not the start's.
        if not self.connection.poll(_START_SECONDS) or self.connection.recv()[0] != "ready":
            self.stop()
            raise EngineFailed("EngineProcessNotStarted")

    def stop(self) -> None:
        self.process.kill()
        self.connection.close()
        self.process.wait(timeout=5)


_NEW = object()  # a grant of a process not started yet: its job starts it


@dataclass(eq=False)
class _Ticket:
    """A job waiting for a process: granted one (``grant``) in the order the jobs asked."""

    owner: object
    ready: asyncio.Future[None]
    grant: object = None


class EnginePool:
    """At most ``size`` engine processes, each running one job at a time, handed to the jobs
    in the order they asked (a job that would pass its user's share waits, the next goes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_EngineProcess] = []
        self._started = 0
        self._queue: list[_Ticket] = []
        self._owners: dict[object, int] = {}

    @property
    def size(self) -> int:
        return int(settings.ENGINE_PROCESSES)

    def _per_owner(self) -> int:
        """How many processes one user's jobs may hold at once: all but one, so that another
        user always finds one (one, on a one-process pool)."""
        return max(1, self.size - 1)

    async def _acquire(
        self, owner: object, on_queued: Callable[[], Awaitable[None]] | None
    ) -> _EngineProcess:
        """A process for ``owner``'s job; ``on_queued`` runs first if the job has to wait.

        First come, first served: a process set free goes to the oldest waiting job whose user
        is under its share, never to a job that asked later (with every waiter woken to race
        for it instead, a busy user's new jobs overtook its old ones: one waited 14 s)."""
        ticket = _Ticket(owner, asyncio.get_running_loop().create_future())
        with self._lock:
            self._queue.append(ticket)
            self._hand_out()
        try:
            if ticket.grant is None and on_queued is not None:
                await on_queued()
            await ticket.ready
        except BaseException:
            self._withdraw(ticket)
            raise
        if ticket.grant is not _NEW:
            return cast(_EngineProcess, ticket.grant)
        try:
            return await asyncio.to_thread(_EngineProcess)
        except BaseException:
            self._forget(owner)
            raise

    def _hand_out(self) -> None:
        """Grant free processes (or room to start one) to the waiting jobs, oldest first; the
        caller holds the lock."""
        for ticket in list(self._queue):
            if not self._idle and self._started >= self.size:
                return
            if self._owners.get(ticket.owner, 0) >= self._per_owner():
                continue
            self._queue.remove(ticket)
            self._owners[ticket.owner] = self._owners.get(ticket.owner, 0) + 1
            if self._idle:
                ticket.grant = self._idle.pop()
            else:
                self._started += 1
                ticket.grant = _NEW
            ticket.ready.get_loop().call_soon_threadsafe(_wake, ticket.ready)

    def _withdraw(self, ticket: _Ticket) -> None:
        """A waiting job went away (cancelled): leave the queue, or give back its grant."""
        with self._lock:
            if ticket.grant is None:
                self._queue.remove(ticket)
                return
        if ticket.grant is _NEW:
            self._forget(ticket.owner)
        else:
            self._release(cast(_EngineProcess, ticket.grant), ticket.owner)

    def _release(self, process: _EngineProcess, owner: object) -> None:
        with self._lock:
            self._idle.append(process)
            self._leave(owner)
            self._hand_out()

    def _discard(self, process: _EngineProcess, owner: object) -> None:
        """Stop a process whose job did not end cleanly; a new one is forked when needed."""
        threading.Thread(target=process.stop, name="engine-stop", daemon=True).start()
        self._forget(owner)

    def _forget(self, owner: object) -> None:
        with self._lock:
            self._started -= 1
            self._leave(owner)
            self._hand_out()

    def _leave(self, owner: object) -> None:
        left = self._owners.pop(owner, 1) - 1
        if left:
            self._owners[owner] = left

    async def events(
        self,
        job: str,
        data: Any,
        owner: object = None,
        on_queued: Callable[[], Awaitable[None]] | None = None,
    ) -> AsyncIterator[Any]:
        """Each event of ``job`` on ``data`` as the engine produces it.

        Raises :class:`EngineValidationError` as the engine did, :class:`OverBudget` past the
        budget (counted from the job's hand-over to its process: the engine's own time) and
        :class:`EngineFailed` for any other exception in the engine. ``owner`` (a user id)
        keeps one user's jobs from holding every process; ``on_queued`` runs when the job has
        to wait for one."""
        loop = asyncio.get_running_loop()
        process = await self._acquire(owner, on_queued)
        budget = float(settings.ENGINE_BUDGET_SECONDS)
        deadline = loop.time() + budget
        reading = _Reading(self, process, owner, loop)
        try:
            # As JSON values only: the engine's process imports no service code to unpickle.
            process.connection.send(tuple(json.loads(json.dumps([job, data]))))
            while True:
                try:
                    tag, payload = await reading.next(deadline - loop.time())
                except TimeoutError:
                    raise OverBudget(budget) from None
                if tag == "event":
                    # The caller's time with the event (storing, publishing) is not the
                    # engine's: under load it ran a stream of structured symptoms past 2 s.
                    handed = loop.time()
                    yield payload
                    deadline += loop.time() - handed
                    continue
                if tag == "invalid":
                    raise EngineValidationError(payload)
                if tag in ("error", "lost"):
                    raise EngineFailed(payload)
                return
        finally:
            reading.stop()

    async def run(self, job: str, data: Any, owner: object = None) -> Any:
        """The one event of a single-answer job (validation, the note preview)."""
        answers = [event async for event in self.events(job, data, owner)]
        return answers[0]

    def run_sync(self, job: str, data: Any, owner: object = None) -> Any:
        """:meth:`run` from synchronous code (a view, a database thread): the calling thread
        waits, the event loop and the GIL are free meanwhile."""
        return async_to_sync(self.run)(job, data, owner)

    def prestart(self) -> None:
        """Start the pool's processes in the background, so the first jobs find them warm."""
        with self._lock:
            missing = self.size - self._started
            self._started += missing
        for _ in range(missing):
            threading.Thread(target=self._start_idle, name="engine-start", daemon=True).start()

    def _start_idle(self) -> None:
        try:
            process = _EngineProcess()
        except Exception:
            with self._lock:
                self._started -= 1
                self._hand_out()
            raise
        with self._lock:
            self._idle.append(process)
            self._hand_out()

    def stop(self) -> None:
        """Stop the idle processes (a process about to exit; tests)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
        for process in idle:
            process.stop()


class _Reading:
    """One job's messages from its process, read on the job's loop as they arrive.

    The process goes back to the pool the moment its last message arrives, before the caller
    has taken the events queued ahead of it: the caller stores and publishes each one, and a
    stream that held its process through those writes kept its user's share of the pool busy
    for a hundred times the engine's own time. A job stopped before its end (over budget, its
    caller gone) has its process killed: it may still be running."""

    _LAST = frozenset({"done", "invalid", "error"})

    def __init__(
        self,
        pool: EnginePool,
        process: _EngineProcess,
        owner: object,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.pool, self.process, self.owner, self.loop = pool, process, owner, loop
        self.messages: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.reading = True
        loop.add_reader(process.connection.fileno(), self._take)

    def _take(self) -> None:
        try:
            while self.reading and self.process.connection.poll():
                message = self.process.connection.recv()
                self.messages.put_nowait(message)
                if message[0] in self._LAST:
                    self._end(clean=True)
        except (EOFError, OSError):
            self.messages.put_nowait(("lost", "EngineProcessLost"))
            self._end(clean=False)

    def _end(self, clean: bool) -> None:
        self.reading = False
        self.loop.remove_reader(self.process.connection.fileno())
        if clean:
            self.pool._release(self.process, self.owner)
        else:
            self.pool._discard(self.process, self.owner)

    async def next(self, seconds: float) -> tuple[str, Any]:
        """The next message; ``TimeoutError`` if none comes within ``seconds``."""
        if not self.messages.empty():
            return self.messages.get_nowait()
        return await asyncio.wait_for(self.messages.get(), max(seconds, 0))

    def stop(self) -> None:
        """The caller is done: a job that has not ended loses its process."""
        if self.reading:
            self._end(clean=False)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


engine_pool = EnginePool()
