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
import contextlib
import json
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings

from clinical.engine import EngineValidationError
from clinical.streams import engine_process

_PROJECT = Path(__file__).resolve().parents[2]
_RECHECK_SECONDS = 0.05
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


class EnginePool:
    """At most ``size`` engine processes, each running one job at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_EngineProcess] = []
        self._started = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._owners: dict[object, int] = {}

    @property
    def size(self) -> int:
        return int(settings.ENGINE_PROCESSES)

    def _per_owner(self) -> int:
        """How many processes one user's jobs may hold at once: all but one, so that another
        user always finds one (one, on a one-process pool)."""
        return max(1, self.size - 1)

    async def _acquire(self, owner: object) -> _EngineProcess:
        while True:
            with self._lock:
                mine = self._owners.get(owner, 0)
                if mine < self._per_owner() and (self._idle or self._started < self.size):
                    self._owners[owner] = mine + 1
                    if self._idle:
                        return self._idle.pop()
                    self._started += 1
                    break
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
            # A wake-up may be lost to a waiter cancelled meanwhile: look again now and then.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, _RECHECK_SECONDS)
        try:
            return await asyncio.to_thread(_EngineProcess)
        except BaseException:
            self._forget(owner)
            raise

    def _release(self, process: _EngineProcess, owner: object) -> None:
        with self._lock:
            self._idle.append(process)
            self._leave(owner)
        self._wake_all()

    def _discard(self, process: _EngineProcess, owner: object) -> None:
        """Stop a process whose job did not end cleanly; a new one is forked when needed."""
        threading.Thread(target=process.stop, name="engine-stop", daemon=True).start()
        self._forget(owner)

    def _forget(self, owner: object) -> None:
        with self._lock:
            self._started -= 1
            self._leave(owner)
        self._wake_all()

    def _leave(self, owner: object) -> None:
        left = self._owners.pop(owner, 1) - 1
        if left:
            self._owners[owner] = left

    def _wake_all(self) -> None:
        """Every waiter looks again (few wait: at most the pool's users)."""
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.get_loop().call_soon_threadsafe(_wake, waiter)

    async def events(self, job: str, data: Any, owner: object = None) -> AsyncIterator[Any]:
        """Each event of ``job`` on ``data`` as the engine produces it.

        Raises :class:`EngineValidationError` as the engine did, :class:`OverBudget` past the
        budget (counted from the job's hand-over to its process: the engine's own time) and
        :class:`EngineFailed` for any other exception in the engine. ``owner`` (a user id)
        keeps one user's jobs from holding every process."""
        loop = asyncio.get_running_loop()
        process = await self._acquire(owner)
        budget = float(settings.ENGINE_BUDGET_SECONDS)
        deadline = loop.time() + budget
        clean = False
        messages: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        descriptor = process.connection.fileno()
        loop.add_reader(descriptor, _read, process.connection, messages)
        try:
            # As JSON values only: the engine's process imports no service code to unpickle.
            process.connection.send(tuple(json.loads(json.dumps([job, data]))))
            while True:
                remaining = deadline - loop.time()
                try:
                    tag, payload = await asyncio.wait_for(messages.get(), max(remaining, 0))
                except TimeoutError:
                    raise OverBudget(budget) from None
                if tag == "event":
                    # The caller's time with the event (storing, publishing) is not the
                    # engine's: under load it ran a stream of structured symptoms past 2 s.
                    handed = loop.time()
                    yield payload
                    deadline += loop.time() - handed
                    continue
                clean = tag != "lost"
                if tag == "invalid":
                    raise EngineValidationError(payload)
                if tag in ("error", "lost"):
                    raise EngineFailed(payload)
                return
        finally:
            loop.remove_reader(descriptor)
            if clean:
                self._release(process, owner)
            else:
                self._discard(process, owner)

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
            raise
        with self._lock:
            self._idle.append(process)
        self._wake_all()

    def stop(self) -> None:
        """Stop the idle processes (a process about to exit; tests)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
        for process in idle:
            process.stop()


def _read(connection: Connection, messages: asyncio.Queue[tuple[str, Any]]) -> None:
    """Queue what the process sent; a closed pipe (the process died) is ``lost``, once."""
    try:
        while connection.poll():
            messages.put_nowait(connection.recv())
    except (EOFError, OSError):
        asyncio.get_running_loop().remove_reader(connection.fileno())
        messages.put_nowait(("lost", "EngineProcessLost"))


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


engine_pool = EnginePool()
