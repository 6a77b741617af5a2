"""The sockets on this worker, which the runs of this worker serve directly.

A frame published through the channel layer makes a round trip through Redis even when the
socket that follows it sits on the same worker as the run. Sockets register here instead: for
each session they follow, and for their user (to hear of the user's new streams). A run hands
its stored frames to them in process; what comes from other workers reaches them the same way,
through this worker's one subscriber to the layer (``clinical.streams.relay``). With the
in-memory layer every socket is local, so runs do not use the layer at all.

A run never calls into a socket. Each socket has an :class:`Inbox`, and a run only puts a
message in the inboxes registered for its session or its owner: that neither waits nor raises,
whatever state the socket is in (connecting, busy, closing, gone). The socket's own task takes
the messages out in order and does the work (following, reading the store, sending), so a
socket that fails, stalls or closes does so alone (docs/design.md, "A run never waits on a
follower").
"""

from __future__ import annotations

import asyncio
import collections
import uuid
from typing import Any

Published = list[tuple[int, str, bool]]
Message = dict[str, Any]

# What a socket may fall behind by before it is closed: messages (one per stored batch of each
# session it follows, one per new stream of its user). A socket whose task keeps up holds a
# handful; one this far behind is stuck, and reconnecting and resuming serves its client better.
INBOX_CAPACITY = 1000
# The message a socket finds in its inbox once it overflowed.
OVERFLOWED = {"type": "local.overflowed"}


class Inbox:
    """What this worker's runs have for one socket, in the order they put it there.

    Bounded: a socket that does not keep up overflows its inbox, which then holds only
    :data:`OVERFLOWED` (the socket closes itself when it takes that) and takes nothing more.
    """

    def __init__(self, capacity: int | None = None) -> None:
        self._messages: collections.deque[Message] = collections.deque()
        self._ready = asyncio.Event()
        self._capacity = INBOX_CAPACITY if capacity is None else capacity
        self.sessions: set[uuid.UUID] = set()
        self.closed = False

    def put(self, message: Message) -> None:
        """Never waits, never raises: a closed or overflowed inbox drops the message."""
        if self.closed:
            return
        if len(self._messages) >= self._capacity:
            self.closed = True
            self._messages.clear()
            message = OVERFLOWED
        self._messages.append(message)
        self._ready.set()

    async def get(self) -> Message:
        """Everything put since the last call, once there is something, as one message
        (``local.messages``): the socket's task takes a burst in one turn, not one by one."""
        while not self._messages:
            self._ready.clear()
            await self._ready.wait()
        messages = list(self._messages)
        self._messages.clear()
        return {"type": "local.messages", "messages": messages}

    def close(self) -> None:
        self.closed = True


_sessions: dict[uuid.UUID, dict[str, Inbox]] = {}
_users: dict[int, dict[str, Inbox]] = {}


def follow(session_id: uuid.UUID, key: str, inbox: Inbox) -> None:
    """Put the session's batches in ``inbox`` (``key`` names the socket)."""
    if not inbox.closed:
        _sessions.setdefault(session_id, {})[key] = inbox
        inbox.sessions.add(session_id)


def unfollow(session_id: uuid.UUID, key: str) -> None:
    inboxes = _sessions.get(session_id)
    if inboxes is None:
        return
    inbox = inboxes.pop(key, None)
    if inbox is not None:
        inbox.sessions.discard(session_id)
    if not inboxes:
        del _sessions[session_id]


def listen_for_user(user_id: int, key: str, inbox: Inbox) -> None:
    """Put the user's new streams in ``inbox``."""
    _users.setdefault(user_id, {})[key] = inbox


def users() -> list[int]:
    """The users with a socket open here."""
    return list(_users)


def has_user(user_id: int) -> bool:
    """Has the user a socket open here?"""
    return user_id in _users


def followed_here(session_id: uuid.UUID) -> bool:
    """Does a socket here follow the session?"""
    return session_id in _sessions


def forget(key: str, user_id: int, inbox: Inbox) -> None:
    """Drop every registration of a socket that closed, and close its inbox."""
    inbox.close()
    users = _users.get(user_id, {})
    if users.get(key) is inbox:
        del users[key]
        if not users:
            del _users[user_id]
    for session_id in list(inbox.sessions):
        unfollow(session_id, key)


def deliver(session_id: uuid.UUID, frames: Published, sent_at: float) -> None:
    """Put a stored batch in the inbox of every socket here that follows the session."""
    message = {
        "type": "stream.events",
        "session_id": str(session_id),
        "frames": frames,
        "sent_at": sent_at,
    }
    for inbox in list(_sessions.get(session_id, {}).values()):
        inbox.put(message)


def announce(
    user_id: int, session_id: uuid.UUID, frames: Published | None, sent_at: float, worker: str
) -> None:
    """Tell the user's sockets here of a new stream (run by ``worker``), with what is stored of
    it (``frames``, from its first batch on), or None when that could not be read.

    Each is registered for the session now, before its task has read the notice, so the next
    batch already finds it; the frames carried here spare each a read of the store.
    """
    message: Message = {"type": "stream.started", "session_id": str(session_id), "worker": worker}
    if frames is not None:
        message |= {"frames": frames, "sent_at": sent_at}
    for key, inbox in list(_users.get(user_id, {}).items()):
        follow(session_id, key, inbox)
        inbox.put(message)


def tell_user(user_id: int, message: Message) -> None:
    """Put a message for the user (chat about one of the user's sessions) in each inbox here."""
    for inbox in list(_users.get(user_id, {}).values()):
        inbox.put(message)


def registrations() -> int:
    """Registrations of sockets for sessions and users on this worker (none once all closed)."""
    return sum(map(len, _sessions.values())) + sum(map(len, _users.values()))
