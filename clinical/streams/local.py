"""The sockets on this worker, which the runs of this worker serve directly.

A frame published through the channel layer makes a round trip through Redis even when the
socket that follows it sits on the same worker as the run. Sockets register here as well: for
each session they follow, and for their user (to hear of the user's new streams). A run hands
its stored frames to them in process; the layer copy that arrives later is dropped by ``seq``.
With the in-memory layer every socket is local, so runs do not use the layer at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

Published = list[tuple[int, str, bool]]
Deliver = Callable[[uuid.UUID, Published, float], Awaitable[None]]
Started = Callable[[uuid.UUID], Awaitable[None]]

_handlers: dict[tuple[str, Any], dict[str, Callable[..., Awaitable[None]]]] = {}


def _register(topic: tuple[str, Any], key: str, handler: Callable[..., Awaitable[None]]) -> None:
    _handlers.setdefault(topic, {})[key] = handler


def _unregister(topic: tuple[str, Any], key: str) -> None:
    handlers = _handlers.get(topic)
    if handlers is not None:
        handlers.pop(key, None)
        if not handlers:
            del _handlers[topic]


def follow(session_id: uuid.UUID, key: str, deliver: Deliver) -> None:
    _register(("session", session_id), key, deliver)


def unfollow(session_id: uuid.UUID, key: str) -> None:
    _unregister(("session", session_id), key)


def listen_for_user(user_id: int, key: str, started: Started) -> None:
    _register(("user", user_id), key, started)


def forget(key: str, user_id: int, session_ids: list[uuid.UUID]) -> None:
    """Drop every registration of a socket that closed."""
    _unregister(("user", user_id), key)
    for session_id in session_ids:
        unfollow(session_id, key)


async def deliver(session_id: uuid.UUID, frames: Published, sent_at: float) -> None:
    for handler in list(_handlers.get(("session", session_id), {}).values()):
        await handler(session_id, frames, sent_at)


async def announce(user_id: int, session_id: uuid.UUID) -> None:
    for handler in list(_handlers.get(("user", user_id), {}).values()):
        await handler(session_id)
