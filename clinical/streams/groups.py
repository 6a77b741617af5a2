"""Channel-layer group names: one per session, one per user, one per chat room."""

from __future__ import annotations

import uuid


def session(session_id: uuid.UUID | str) -> str:
    return f"session.{uuid.UUID(str(session_id)).hex}"


def user(user_id: int) -> str:
    return f"user.{user_id}"


def chat_room(room: str) -> str:
    return f"chat.{room.replace(':', '.')}"
