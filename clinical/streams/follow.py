"""Delivering a session's events to one socket exactly once, in order, with no gap.

A socket that follows a session (it started it, resumed it, or its user started it elsewhere)
first joins the session's group (or, for a run of its own worker, registers its inbox), then
reads the stored events after the last ``seq`` it was sent. Frames published while it reads
queue up in its channel or inbox and are offered afterwards, by the socket's own task. Since
every frame is stored before it is published, the two sources overlap but leave no hole:

- a frame with ``seq`` below the next expected one was already sent: dropped;
- a frame with the next ``seq`` is sent;
- a frame beyond it means some publish never arrived (a full or restarting channel layer): the
  store is read again to fill the gap before going on.

A watchdog reads the store for followers that have heard nothing for a while, so a publish lost
at the very end of a stream, or a stream finished by another worker during a layer outage, still
reaches the client.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from clinical import metrics, wire
from clinical.db import db_call
from clinical.streams import store

SendText = Callable[[str], Awaitable[None]]
Finished = Callable[[uuid.UUID], Awaitable[None]]
logger = logging.getLogger("clinical.streams")

_events_after = db_call(store.events_after)


def is_terminal(frame: dict[str, Any]) -> bool:
    """The last frame of a session: ``complete``, or an error that carries a ``seq``."""
    return frame["type"] == "complete" or (frame["type"] == "error" and "seq" in frame)


class SessionFollower:
    """One socket's position in one session's event sequence."""

    def __init__(self, session_id: uuid.UUID, last_seq: int, send: SendText) -> None:
        self.session_id = session_id
        self.next_seq = last_seq + 1
        self.finished = False
        self.last_activity = time.monotonic()
        self._send = send

    async def catch_up(self) -> None:
        """Send every stored frame from ``next_seq`` on."""
        for frame in await _events_after(self.session_id, self.next_seq - 1):
            if frame["seq"] == self.next_seq:
                await self._deliver(wire.encode(frame), is_terminal(frame))
        self.last_activity = time.monotonic()

    async def offer(
        self, frames: list[tuple[int, str, bool]], sent_at: float | None = None
    ) -> None:
        """Frames from the channel layer as ``(seq, text, terminal)``, in publish order."""
        for seq, text, terminal in frames:
            if seq > self.next_seq:
                await self.catch_up()
            if seq == self.next_seq:
                await self._deliver(text, terminal)
                if sent_at is not None:
                    metrics.event_delivery_seconds.observe(max(0.0, time.time() - sent_at))

    async def _deliver(self, text: str, terminal: bool) -> None:
        await self._send(text)
        self.next_seq += 1
        self.last_activity = time.monotonic()
        self.finished = self.finished or terminal


class Followers:
    """All the sessions one socket follows, with the lock that keeps its sends in order."""

    # Sessions this socket saw finish, remembered so that a late "stream started" notice or a
    # late publish cannot make it follow (and resend) a finished session again.
    REMEMBER_FINISHED = 256

    def __init__(self, send: SendText, on_finished: Finished, stall_seconds: float) -> None:
        self._send = send
        self._on_finished = on_finished
        self._stall_seconds = stall_seconds
        self._active: dict[uuid.UUID, SessionFollower] = {}
        self._finished: dict[uuid.UUID, None] = {}
        self._lock = asyncio.Lock()
        self._watchdog: asyncio.Task[None] | None = None

    def knows(self, session_id: uuid.UUID) -> bool:
        """True when this socket follows the session or saw it finish."""
        return session_id in self._active or session_id in self._finished

    async def follow(self, session_id: uuid.UUID, last_seq: int, catch_up: bool = True) -> None:
        """Start (or restart, on resume) following; the caller has joined the group already.

        ``catch_up=False`` is for a session not launched yet, whose store is known empty.
        """
        async with self._lock:
            self._finished.pop(session_id, None)
            follower = SessionFollower(session_id, last_seq, self._send)
            self._active[session_id] = follower
            if catch_up:
                await follower.catch_up()
            await self._retire_if_finished(follower)
        self._watch()

    async def offer(
        self,
        session_id: uuid.UUID,
        frames: list[tuple[int, str, bool]],
        sent_at: float | None = None,
    ) -> None:
        """Deliver frames published to a followed session."""
        async with self._lock:
            follower = self._active.get(session_id)
            if follower is not None:
                await follower.offer(frames, sent_at)
                await self._retire_if_finished(follower)

    async def catch_up_all(self) -> None:
        """Send everything stored for every followed session (before a drain closes the socket)."""
        async with self._lock:
            for follower in list(self._active.values()):
                await follower.catch_up()
                await self._retire_if_finished(follower)

    def remember_finished(self, session_id: uuid.UUID) -> None:
        """A finished session this socket has every frame of: nothing to follow."""
        self._finished[session_id] = None
        if len(self._finished) > self.REMEMBER_FINISHED:
            del self._finished[next(iter(self._finished))]

    def followed(self) -> list[uuid.UUID]:
        return list(self._active)

    def stop(self) -> None:
        if self._watchdog:
            self._watchdog.cancel()
        self._active.clear()

    async def _retire_if_finished(self, follower: SessionFollower) -> None:
        if not follower.finished:
            return
        del self._active[follower.session_id]
        self.remember_finished(follower.session_id)
        await self._on_finished(follower.session_id)

    def _watch(self) -> None:
        if self._active and (self._watchdog is None or self._watchdog.done()):
            self._watchdog = asyncio.create_task(self._watch_stalled())

    async def _watch_stalled(self) -> None:
        """Read the store for followers silent for ``stall_seconds``; ends when none is left."""
        while self._active:
            await asyncio.sleep(self._stall_seconds)
            now = time.monotonic()
            async with self._lock:
                for follower in list(self._active.values()):
                    if now - follower.last_activity < self._stall_seconds:
                        continue
                    try:
                        await follower.catch_up()
                    except Exception:
                        logger.warning(
                            "catch-up from the store failed; retrying",
                            extra={"session_id": str(follower.session_id)},
                        )
                        continue
                    await self._retire_if_finished(follower)
