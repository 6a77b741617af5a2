"""This worker's one subscriber to the channel layer, on behalf of all its sockets.

Every socket of a user follows all of the user's streams. With a subscription of its own, each
socket paid for every stream that ran on another worker: a group join, a read of the store and
a group leave, each a call through the layer's one connection, the very one the runs publish
on; fifty sockets of one user made fifty of each per stream, and the runs' publishes queued
behind them. Instead this worker joins each group once, for every socket here that needs it:

- a user's group while one of the user's sockets is open here (streams the user starts on
  other workers; chat about the user's sessions);
- a session's group while a socket here follows the session and it runs on another worker.

What arrives is put in the inboxes of the sockets registered for it (``clinical.streams.local``)
as a run of this worker would. A stream started on another worker comes with its first batch,
which its sockets here get at once (with the default batching that is the whole stream, and
nothing more is needed); what was stored between that batch and this worker's joining the
session's group is read from the store once, for all of them. Copies of what this worker's
own runs published are dropped: those reached the sockets in process. The sockets' own channels
serve only team chat and the rooms of other users' sessions that a reviewer follows.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.utils import timezone

from clinical import background, metrics, wire
from clinical.db import db_call
from clinical.streams import groups, local, store
from clinical.streams.follow import is_terminal

logger = logging.getLogger("clinical.streams")

RETRY_SECONDS = 1.0
# A notice of a new stream lost on its way here (its group_send past the layer's 2 s bound, as
# under a soak's load) would leave this worker's sockets of its user unaware of the stream for
# good: every REPAIR_SECONDS the subscriber reads the store for the streams of the users with
# sockets here that started on another worker between REPAIR_WINDOW_SECONDS and REPAIR_SECONDS
# ago (by then a notice that was coming has come) and that no notice announced, and announces
# them as their notice would have.
REPAIR_SECONDS = 2.0
REPAIR_WINDOW_SECONDS = 4 * REPAIR_SECONDS

_events_after = db_call(store.events_after)
_started_elsewhere = db_call(store.started_elsewhere)


class Relay:
    """The subscriber of one event loop (a worker has one; each test has its own loop)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started: asyncio.Task[str] | None = None
        self._receiving: asyncio.Task[None] | None = None
        self._joined: set[str] = set()
        self._group_calls = asyncio.Lock()
        # Streams of other workers being set up here: the batches that arrived meanwhile.
        self._setting_up: dict[uuid.UUID, list[dict[str, Any]]] = {}
        # Streams of other workers announced here, and when (monotonic): the repair skips them.
        self._announced: dict[uuid.UUID, float] = {}
        # When each group was joined: a user's notices reach this worker only from then on.
        self._joined_at: dict[str, datetime] = {}
        self._repairing: asyncio.Task[None] | None = None

    # ---- what sockets ask for ---------------------------------------------------------------

    async def listen_for_user(self, user_id: int, key: str, inbox: local.Inbox) -> None:
        """Register a socket for its user's new streams, and hear of those of other workers.
        Raises when the layer does not answer (the socket is closed with 1013)."""
        local.listen_for_user(user_id, key, inbox)
        await self._settle(groups.user(user_id), lambda: local.has_user(user_id))

    async def follow_remote(self, session_id: uuid.UUID, key: str, inbox: local.Inbox) -> None:
        """Register a socket for a session that runs on another worker, and hear its batches
        from now on (the socket then reads the store for what came before)."""
        local.follow(session_id, key, inbox)
        await self._settle(groups.session(session_id), lambda: self._wants(session_id))

    def unfollow(self, session_id: uuid.UUID, key: str) -> None:
        local.unfollow(session_id, key)
        self._leave_unwanted([session_id])

    def forget(self, key: str, user_id: int, inbox: local.Inbox) -> None:
        """A socket closed: drop its registrations at once, leave groups no one here needs
        later (``clinical.background``); nothing here waits."""
        followed = list(inbox.sessions)
        local.forget(key, user_id, inbox)
        self._leave_unwanted(followed, user_id)

    # ---- groups -----------------------------------------------------------------------------

    async def _settle(self, group: str, wanted: Callable[[], bool]) -> None:
        """Join or leave ``group`` as ``wanted()`` says once it is this group call's turn, so
        that a join and a leave of one group can never cross."""
        channel = await self._channel()
        async with self._group_calls:
            want = wanted()
            if want == (group in self._joined):
                return
            layer = get_channel_layer()
            call = layer.group_add if want else layer.group_discard
            await asyncio.wait_for(call(group, channel), groups.LAYER_CALL_SECONDS)
            if want:
                self._joined.add(group)
                self._joined_at[group] = timezone.now()
            else:
                self._joined.discard(group)
                self._joined_at.pop(group, None)

    def _wants(self, session_id: uuid.UUID) -> bool:
        """Does this worker need the session's group: a socket here follows it, or it is being
        set up for the sockets of its user?"""
        return local.followed_here(session_id) or session_id in self._setting_up

    def _leave_unwanted(self, session_ids: list[uuid.UUID], user_id: int | None = None) -> None:
        unwanted = [
            (groups.session(session_id), lambda s=session_id: self._wants(s))
            for session_id in session_ids
            if not self._wants(session_id) and groups.session(session_id) in self._joined
        ]
        if user_id is not None and not local.has_user(user_id):
            unwanted.append((groups.user(user_id), lambda: local.has_user(user_id)))
        if unwanted and self._loop is asyncio.get_running_loop():
            background.run_detached(self._settle_all(unwanted), "group_discard")

    async def _settle_all(self, settling: list[tuple[str, Callable[[], bool]]]) -> None:
        for group, wanted in settling:
            await self._settle(group, wanted)

    # ---- the subscription ----------------------------------------------------------------------

    async def _channel(self) -> str:
        """This loop's channel, receiving, created on first use (again if it stopped)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._started = None
            self._joined = set()
            self._group_calls = asyncio.Lock()
            self._setting_up = {}
            self._announced = {}
            self._joined_at = {}
            self._repairing = None
        if self._started is None or (self._started.done() and self._broken()):
            self._started = loop.create_task(self._start())
        return await asyncio.shield(self._started)

    def _broken(self) -> bool:
        started = self._started
        if started is None or started.cancelled() or started.exception() is not None:
            return True
        return self._receiving is None or self._receiving.done()

    async def _start(self) -> str:
        layer = get_channel_layer()
        channel = await asyncio.wait_for(layer.new_channel(), groups.LAYER_CALL_SECONDS)
        self._joined = set()
        loop = asyncio.get_running_loop()
        receiving = self._receive_forever(layer, channel)
        self._receiving = loop.create_task(receiving, name="layer-relay")
        # With the in-memory layer there is no other worker whose notice could be lost.
        in_memory = isinstance(layer, InMemoryChannelLayer)
        if not in_memory and (self._repairing is None or self._repairing.done()):
            self._repairing = loop.create_task(self._repair_forever(), name="relay-repair")
        return channel

    async def _receive_forever(self, layer: Any, channel: str) -> None:
        while True:
            try:
                message = await layer.receive(channel)
            except Exception:
                metrics.layer_errors.labels("relay").inc()
                logger.warning("channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            try:
                self._take(message)
            except Exception:
                logger.warning("could not relay a channel layer message", exc_info=True)

    def _take(self, message: dict[str, Any]) -> None:
        if message.get("worker") == settings.WORKER_ID:
            return  # this worker's own run: its sockets had it in process
        kind = message.get("type")
        if kind == "stream.events":
            self._relay_batch(message)
        elif kind == "stream.started":
            first = [tuple(frame) for frame in message.get("frames") or []]
            sent_at = message.get("sent_at") or time.time()
            self._announce(
                int(message["user_id"]),
                uuid.UUID(message["session_id"]),
                str(message.get("worker", "")),
                first,
                sent_at,
            )
        elif kind == "chat.message":
            local.tell_user(int(message["user_id"]), message)

    def _announce(
        self,
        owner_id: int,
        session_id: uuid.UUID,
        worker: str,
        first: local.Published,
        sent_at: float,
    ) -> None:
        """Set the stream up for this worker's sockets of its user, once."""
        if session_id in self._setting_up or session_id in self._announced:
            return
        self._announced[session_id] = time.monotonic()
        self._setting_up[session_id] = []
        setting_up = self._set_up(owner_id, session_id, worker, first, sent_at)
        background.run_detached(setting_up, "relay")

    async def _repair_forever(self) -> None:
        while True:
            await asyncio.sleep(REPAIR_SECONDS)
            try:
                await self.repair()
            except Exception:
                logger.warning("relay repair failed", exc_info=True)

    async def repair(self, now: datetime | None = None) -> list[uuid.UUID]:
        """Announce the streams whose notice did not come (see ``REPAIR_SECONDS``) as of
        ``now`` (by default the time); their ids."""
        horizon = time.monotonic() - REPAIR_WINDOW_SECONDS
        self._announced = {key: at for key, at in self._announced.items() if at >= horizon}
        users = local.users()
        if not users:
            return []
        now = timezone.now() if now is None else now
        since = now - timedelta(seconds=REPAIR_WINDOW_SECONDS)
        until = now - timedelta(seconds=REPAIR_SECONDS)
        found = await _started_elsewhere(users, since, until, settings.WORKER_ID)
        missed = [
            (session_id, owner_id, worker)
            for session_id, owner_id, worker, created in found
            if session_id not in self._announced and self._heard_of_user_at(owner_id, created)
        ]
        for session_id, owner_id, worker in missed:
            logger.info(
                "stream announced by repair",
                extra={"session_id": str(session_id), "worker": worker},
            )
            self._announce(owner_id, session_id, worker, [], time.time())
        return [session_id for session_id, _, _ in missed]

    def _heard_of_user_at(self, owner_id: int, created: datetime) -> bool:
        """Would a notice of a stream created at ``created`` have reached this worker (it had
        joined the user's group by then)? A stream that started before then was never this
        worker's to hear of: a socket that opens later resumes it or not, as it chooses."""
        joined = self._joined_at.get(groups.user(owner_id))
        return joined is not None and joined <= created

    def _relay_batch(self, message: dict[str, Any]) -> None:
        session_id = uuid.UUID(message["session_id"])
        waiting = self._setting_up.get(session_id)
        if waiting is not None:
            waiting.append(message)
            return
        frames = [tuple(frame) for frame in message["frames"]]
        local.deliver(session_id, frames, message.get("sent_at") or time.time())

    async def _set_up(
        self,
        owner_id: int,
        session_id: uuid.UUID,
        worker: str,
        first: local.Published,
        sent_at: float,
    ) -> None:
        """A stream of a user with sockets here started on another worker: tell the sockets
        at once with the first batch the notice carried (if that batch ends the stream, that
        is all), hear its batches from now on, read once what was stored in between, then hand
        them the batches that arrived meanwhile, in that order (each socket drops the frames it
        has already sent). Whatever fails, the sockets are told: without any stored frames
        they read the store themselves; when the read after the first batch fails, each one's
        follower reads what it lacks, at the next batch's gap or, if none comes, once it has
        heard nothing for ``clinical.consumers.FOLLOW_STALL_SECONDS``."""
        told = False
        stored: local.Published | None = None
        try:
            if not local.has_user(owner_id):
                return
            if first:
                local.announce(owner_id, session_id, first, sent_at, worker)
                told = True
                if first[-1][2]:
                    return
            await self._settle(groups.session(session_id), lambda: self._wants(session_id))
            frames = await _events_after(session_id, first[-1][0] if first else -1)
            stored = [(f["seq"], wire.encode(f), is_terminal(f)) for f in frames]
        finally:
            arrived = self._setting_up.pop(session_id, [])
            if not told:
                local.announce(owner_id, session_id, stored, time.time(), worker)
            elif stored:
                local.deliver(session_id, stored, time.time())
            for message in arrived:
                self._relay_batch(message)
            self._leave_unwanted([session_id])


relay = Relay()
