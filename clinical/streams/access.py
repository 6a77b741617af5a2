"""Who may see which session: the owner, or a reviewer through the review permission.

Anything else is answered exactly as a session that does not exist (no existence leak).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from clinical.models import StreamSession

REVIEW_PERMISSION = "clinical.review_streamsession"


class SessionNotFound(LookupError):
    """No session with that id that this user may see."""


def parse_session_id(value: Any) -> uuid.UUID:
    """A session id from a client; malformed ids are simply not found."""
    if not isinstance(value, str):
        raise SessionNotFound("session_id must be a string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise SessionNotFound("no such session") from None


def visible_sessions(user: Any) -> QuerySet[StreamSession]:
    if user.has_perm(REVIEW_PERMISSION):
        return StreamSession.objects.all()
    return StreamSession.objects.filter(owner_id=user.pk)


def visible_session(user: Any, session_id: Any) -> StreamSession:
    """The session if ``user`` may read it, else :class:`SessionNotFound`."""
    try:
        return visible_sessions(user).get(id=parse_session_id(session_id))
    except StreamSession.DoesNotExist:
        raise SessionNotFound("no such session") from None


def own_session(user: Any, session_id: Any) -> StreamSession:
    """The session if ``user`` owns it (cancelling, following a diagnosis), else not found."""
    try:
        return StreamSession.objects.get(id=parse_session_id(session_id), owner_id=user.pk)
    except StreamSession.DoesNotExist:
        raise SessionNotFound("no such session") from None
