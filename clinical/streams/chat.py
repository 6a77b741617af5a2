"""Care-team chat: a session's room (its owner and reviewers) or the sender's team room.

Messages are stored first, then published to the room's group; every socket in the room, the
sender's included, receives each message once. The owner's sockets are in their own sessions'
rooms through their user group, which each of them joined once on connect, rather than by
joining one group for every session they follow: following one's own stream takes no call to
the channel layer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import get_channel_layer
from django.db.models import QuerySet

from clinical import metrics, wire
from clinical.engine import refuse_invisible
from clinical.models import CareTeam, ChatMessage, StreamSession
from clinical.protocol import InvalidMessage
from clinical.streams import groups
from clinical.streams.access import visible_session

MAX_CHAT_CHARS = 2000


def session_room(session_id: Any) -> str:
    return f"session:{session_id}"


def team_room(team_id: int) -> str:
    return f"team:{team_id}"


def team_rooms(user: Any) -> list[str]:
    """The team rooms a user's sockets join on connect."""
    return [team_room(pk) for pk in user.care_teams.values_list("pk", flat=True)]


def _message_text(data: Any) -> str:
    text = data.get("message") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise InvalidMessage({"message": ["must be a non-empty string"]})
    text = text.strip()
    if len(text) > MAX_CHAT_CHARS:
        raise InvalidMessage({"message": [f"must be at most {MAX_CHAT_CHARS} characters"]})
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidMessage({"message": ["must not contain control characters"]})
    # A right-to-left override or a zero-width character makes a line read as something else on
    # every screen it reaches, as in a name; an emoji joined by U+200D is refused with them.
    try:
        return refuse_invisible(text)
    except ValueError as error:
        raise InvalidMessage({"message": [str(error)]}) from None


def _room_of(user: Any, data: dict[str, Any]) -> tuple[str, StreamSession | None, CareTeam | None]:
    if data.get("session_id") is not None:
        session = visible_session(user, data["session_id"])
        return session_room(session.id), session, None
    team = user.care_teams.order_by("pk").first()
    if team is None:
        raise InvalidMessage(
            {"session_id": ["you belong to no care team: give the session_id to chat about"]}
        )
    return team_room(team.pk), None, team


def chat_frame(message: ChatMessage, request_id: str = "") -> dict[str, Any]:
    author = message.author
    frame: dict[str, Any] = {
        "type": "chat",
        "room": message.room,
        "message": {
            "id": message.pk,
            "author": author.get_full_name() or author.get_username(),
            "author_id": author.pk,
            "text": message.text,
            "timestamp": wire.timestamp(message.created_at),
        },
    }
    if message.session_id:
        frame["session_id"] = str(message.session_id)
    if request_id:
        frame["request_id"] = request_id
    return frame


CHAT_PERMISSION = "clinical.add_chatmessage"


class ChatForbidden(PermissionError):
    """The user's role may not post to care-team chat."""


def post_chat(user: Any, data: Any, request_id: str = "") -> tuple[str, dict[str, Any], int | None]:
    """Validate and store a message; returns its room, the frame to broadcast and, for a
    session's room, the session's owner."""
    text = _message_text(data)
    extra = set(data) - {"message", "session_id"}
    if extra:
        raise InvalidMessage({name: ["unknown field"] for name in sorted(extra)})
    room, session, team = _room_of(user, data)
    if not user.has_perm(CHAT_PERMISSION):
        raise ChatForbidden("this role may not post to care-team chat")
    message = ChatMessage.objects.create(
        room=room, session=session, team=team, author=user, text=text
    )
    return room, chat_frame(message, request_id), session.owner_id if session else None


def joins_room(user_id: int, owner_id: int | None) -> bool:
    """Does a socket of ``user_id`` join the group of a room (of a session of ``owner_id``, or
    a team's: None) to hear it? Not the owner's: they hear it through their user group."""
    return owner_id != user_id


async def broadcast(room: str, frame: dict[str, Any], owner_id: int | None = None) -> None:
    """Publish a stored message to the room's group and, for a session's room, to its owner's
    user group, each call bounded by ``LAYER_CALL_SECONDS``; a layer failure or timeout is
    raised (the message stays stored), so a stuck Redis holds up the sender's socket for at
    most that long."""
    text = wire.encode(frame)
    sends = [(groups.chat_room(room), {"type": "chat.message", "text": text})]
    if owner_id is not None:
        sends.append(
            (groups.user(owner_id), {"type": "chat.message", "text": text, "user_id": owner_id})
        )
    try:
        for group, message in sends:
            await asyncio.wait_for(
                get_channel_layer().group_send(group, message), groups.LAYER_CALL_SECONDS
            )
    except Exception:
        metrics.layer_errors.labels("chat").inc()
        raise


def history(room: str, limit: int = 200) -> QuerySet[ChatMessage]:
    return (
        ChatMessage.objects.filter(room=room)
        .select_related("author")
        .order_by("-created_at")[:limit]
    )
