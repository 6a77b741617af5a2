"""Channel-layer groups: one per session, one per user, one per chat room; and how long a call
to the layer may take."""

from __future__ import annotations

import uuid

# A channel-layer call (publish, join, leave) that has not answered in this long is given up:
# a stuck Redis must not hold up a stream run or a socket's close (Redis answers these in well
# under a millisecond). What a given-up publish carried is read from the store by followers.
LAYER_CALL_SECONDS = 2.0


def session(session_id: uuid.UUID | str) -> str:
    return f"session.{uuid.UUID(str(session_id)).hex}"


def user(user_id: int) -> str:
    return f"user.{user_id}"


def chat_room(room: str) -> str:
    return f"chat.{room.replace(':', '.')}"
