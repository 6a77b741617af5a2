"""The followers on this worker, which the runs of this worker serve directly.

A frame published through the channel layer makes a round trip through Redis even when the
socket that asked for the stream sits on the same worker as the run. Followers register here
as well, and a run hands its stored frames to them in process; the layer copy that arrives
later is dropped by ``seq``. With the in-memory layer every follower is local, so the run does
not publish to the layer at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

Published = list[tuple[int, str, bool]]
Deliver = Callable[[uuid.UUID, Published, float], Awaitable[None]]

_followers: dict[uuid.UUID, dict[str, Deliver]] = {}


def register(session_id: uuid.UUID, key: str, deliver: Deliver) -> None:
    _followers.setdefault(session_id, {})[key] = deliver


def unregister(session_id: uuid.UUID, key: str) -> None:
    followers = _followers.get(session_id)
    if followers is not None:
        followers.pop(key, None)
        if not followers:
            del _followers[session_id]


def unregister_everywhere(key: str, session_ids: list[uuid.UUID]) -> None:
    for session_id in session_ids:
        unregister(session_id, key)


async def deliver(session_id: uuid.UUID, frames: Published, sent_at: float) -> None:
    for handler in list(_followers.get(session_id, {}).values()):
        await handler(session_id, frames, sent_at)
