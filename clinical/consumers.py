"""The protocol v1 WebSocket edge: authenticate, validate, dispatch, relay. No clinical logic.

Streams run in the worker (``clinical.streams``), not in this consumer: a socket only follows
the sessions it started or resumed, and one that drops leaves its streams running.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
import weakref
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from clinical import audit, limits, metrics, wire
from clinical.db import db_call
from clinical.engine import EngineValidationError
from clinical.models import AuditEntry, StreamSession
from clinical.streams import chat, groups, local
from clinical.streams.access import SessionNotFound, own_session, visible_session
from clinical.streams.follow import Followers
from clinical.streams.start import (
    StartForbidden,
    require_start_permission,
    start_stream,
    validate_request_id,
)
from clinical.streams.store import request_cancel
from clinical.streams.worker import Draining, worker
from clinical.ws_auth import authenticate_socket

logger = logging.getLogger("clinical.ws")

CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013
FOLLOW_STALL_SECONDS = 2.0
# Protocol messages nest four levels deep; anything far deeper is not a protocol message.
MAX_NESTING = 16

# The sockets open on this worker, so that a drain can close each with 1012.
_open_sockets: weakref.WeakSet[StreamConsumer] = weakref.WeakSet()


async def close_all_sockets(code: int = CLOSE_SERVICE_RESTART) -> int:
    """Close every open socket of this worker (drain); returns how many.

    Each socket is first sent whatever is stored for the sessions it follows, so a client that
    sees 1012 has every frame stored so far and resumes elsewhere from there.
    """
    sockets = list(_open_sockets)
    for socket in sockets:
        await socket.close_after_catching_up(code)
    return len(sockets)


class ProtocolError(Exception):
    """A bad message: answered with an error frame, the socket stays open."""

    def __init__(self, code: str, error: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(error)
        self.code, self.error, self.details = code, error, details


class StreamConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/<user_id>/``: diagnosis, prescription, chat, resume and cancel."""

    user: Any = None
    followers: Followers | None = None
    closing = False
    slot: str | None = None

    async def connect(self) -> None:
        auth = await authenticate_socket(self.scope, self.scope["url_route"]["kwargs"]["user_id"])
        if auth.refusal is not None:
            # The decision is made before accept(); accepting only carries the close code,
            # which a handshake rejection (HTTP 403) cannot. No frame is read.
            logger.info("socket refused", extra={"close_code": auth.refusal, "reason": auth.reason})
            metrics.socket_refusals.labels(str(auth.refusal)).inc()
            await self.accept()
            await self.close(code=auth.refusal)
            return
        if worker.draining:
            await self.accept()
            await self.close(code=CLOSE_SERVICE_RESTART)
            return
        self.slot = await limits.sockets.acquire(auth.user.pk)
        if self.slot is None:
            await self._refuse_over_cap(auth.user.pk)
            return
        worker.start_duties()
        try:
            self.rooms = await db_call(chat.team_rooms)(auth.user)
            await self._join(groups.user(auth.user.pk), *map(groups.chat_room, self.rooms))
        except Exception:
            # The database or the channel layer is down: say "try again later" rather than
            # leave the client hanging; it reconnects with backoff.
            logger.warning("socket set-up failed", extra={"user_id": auth.user.pk}, exc_info=True)
            await self._release_slot()
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        self.user = auth.user
        self.flood = limits.FloodGuard(limits.messages(), settings.WS_FLOOD_FACTOR)
        self.followers = Followers(self._send_text, self._finished, FOLLOW_STALL_SECONDS)
        await self.accept()
        _open_sockets.add(self)
        local.listen_for_user(self.user.pk, self.channel_name, self._follow_new)
        metrics.open_sockets.inc()

    async def close_after_catching_up(self, code: int) -> None:
        try:
            await self.followers.catch_up_all()
        except Exception:
            logger.warning("catch-up before close failed", extra={"user_id": self.user.pk})
        self.closing = True
        self.followers.stop()
        await self.close(code=code)

    async def _refuse_over_cap(self, user_id: int) -> None:
        """Accept only to say why, then close with 1008 (policy): the user has every socket
        the cap allows open, on this worker or others."""
        cap = settings.WS_MAX_SOCKETS_PER_USER
        logger.info(
            "socket refused",
            extra={"close_code": CLOSE_POLICY, "reason": "socket cap", "user_id": user_id},
        )
        metrics.socket_refusals.labels(str(CLOSE_POLICY)).inc()
        await self.accept()
        await self._error("too_many_sockets", f"You have {cap} sockets open, the most allowed.")
        await self.close(code=CLOSE_POLICY, reason=f"too many open sockets (at most {cap})")

    async def _release_slot(self) -> None:
        slot, self.slot = self.slot, None
        await limits.sockets.release(slot)

    async def disconnect(self, code: int) -> None:
        await self._release_slot()
        if self in _open_sockets:
            _open_sockets.discard(self)
            metrics.open_sockets.dec()
        if self.followers:
            local.forget(self.channel_name, self.user.pk, self.followers.followed())
            self.followers.stop()
        for group in self.groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                metrics.layer_errors.labels("group_discard").inc()

    # ---- frames from the client -------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None or self.closing:
            return
        limit = settings.WS_MAX_FRAME_BYTES
        if len(bytes_data or b"") > limit or _utf8_length_over(text_data or "", limit):
            await self.close(code=CLOSE_TOO_BIG)
            return
        content, problem = _decoded(text_data)
        # Every frame counts against the message rate, a malformed one as much as any.
        if not await self._message_allowed(content):
            return
        if problem:
            await self._error("invalid_json", problem)
            return
        await self.receive_json(content)

    async def _message_allowed(self, content: Any) -> bool:
        """Within the user's message rate? Refused: ``rate_limited``, or for a flood, 1008."""
        rate = limits.messages()
        decision = await limits.rates.hit(rate, self.user.pk)
        if decision.allowed:
            return True
        if self.flood.refused():
            logger.info(
                "socket closed: message flood",
                extra={"user_id": self.user.pk, "close_code": CLOSE_POLICY},
            )
            self.closing = True
            await self.close(code=CLOSE_POLICY, reason="message flood")
            return False
        await self._rate_limited(limits.RateLimited(rate, decision), _request_id_of(content))
        return False

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        request_id = content.get("request_id") if isinstance(content, dict) else None
        try:
            await self._dispatch(content)
        except ProtocolError as problem:
            await self._error(problem.code, problem.error, problem.details, request_id)
        except EngineValidationError as error:
            await self._error(
                "validation_error", f"Invalid request: {error.message}", error.details, request_id
            )
        except SessionNotFound:
            await self._error("not_found", "No such session.", None, request_id)
        except StartForbidden:
            await self._error("forbidden", "Your role may not start streams.", None, request_id)
        except chat.ChatForbidden:
            await self._error("forbidden", "Your role may not post to chat.", None, request_id)
        except limits.RateLimited as limited:
            await self._rate_limited(limited, request_id)
        except Draining:
            await self._error("unavailable", "This worker is restarting; reconnect.", None)
            await self.close(code=CLOSE_SERVICE_RESTART)
        except DatabaseError:
            metrics.database_errors.inc()
            logger.warning("database unavailable", extra={"user_id": self.user.pk})
            await self._error(
                "unavailable", "The database is unavailable; try again shortly.", None, request_id
            )
        except Exception:
            logger.exception("message handling failed", extra={"user_id": self.user.pk})
            await self._error(
                "internal_error", "The server could not handle this message.", None, request_id
            )

    async def _dispatch(self, content: Any) -> None:
        if not isinstance(content, dict):
            raise EngineValidationError({"non_field_errors": ["a message must be a JSON object"]})
        kind = content.get("type")
        handler = self.HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            shown = kind if isinstance(kind, str) and len(kind) <= 40 else "(missing)"
            raise ProtocolError(
                "unknown_type",
                f"Unknown message type: {shown}",
                {"type": [f"must be one of {', '.join(sorted(self.HANDLERS))}"]},
            )
        extra = set(content) - {"type", "data", "request_id"}
        if extra:
            raise EngineValidationError({name: ["unknown field"] for name in sorted(extra)})
        if _nested_deeper_than(content, MAX_NESTING):
            raise EngineValidationError(
                {"data": [f"must not nest deeper than {MAX_NESTING} levels"]}
            )
        request_id = validate_request_id(content.get("request_id"))
        await handler(self, content.get("data"), request_id)

    async def _start(self, kind: str, data: Any, request_id: str) -> None:
        await db_call(require_start_permission)(self.user)
        rate = limits.stream_starts()
        decision = await limits.rates.hit(rate, self.user.pk)
        if not decision.allowed:
            raise limits.RateLimited(rate, decision)

        async def follow_before_launch(session: StreamSession) -> None:
            await self._follow(session.id, -1, catch_up=False, run_is_local=True)

        await start_stream(
            self.user, kind, data, request_id, self._client, before_launch=follow_before_launch
        )

    async def on_diagnosis(self, data: Any, request_id: str) -> None:
        await self._start(StreamSession.Kind.DIAGNOSIS, data, request_id)

    async def on_prescription(self, data: Any, request_id: str) -> None:
        await self._start(StreamSession.Kind.PRESCRIPTION, data, request_id)

    async def on_resume(self, data: Any, request_id: str) -> None:
        data = _object(data, "session_id", "last_seq")
        last_seq = data.get("last_seq", -1)
        if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < -1:
            raise EngineValidationError({"last_seq": ["must be an integer of at least -1"]})
        session = await db_call(visible_session)(self.user, data.get("session_id"))
        await self._audit(AuditEntry.Action.RESUMED, session)
        if session.is_finished and last_seq >= session.last_seq:
            self.followers.remember_finished(session.id)
            return
        await self._follow(session.id, last_seq)

    async def on_cancel(self, data: Any, request_id: str) -> None:
        data = _object(data, "session_id")
        session = await db_call(own_session)(self.user, data.get("session_id"))
        if not await db_call(request_cancel)(session.id):
            raise ProtocolError(
                "invalid_state", f"The session is already {session.status}; nothing to cancel."
            )
        await self._audit(AuditEntry.Action.CANCELLED, session)
        if not self.followers.knows(session.id):
            await self._follow(session.id, session.last_seq)

    async def on_chat(self, data: Any, request_id: str) -> None:
        room, frame = await db_call(chat.post_chat)(self.user, data, request_id)
        if room not in self.rooms:
            self.rooms.append(room)
            await self._join(groups.chat_room(room))
        try:
            await chat.broadcast(room, frame)
        except Exception:
            raise ProtocolError(
                "unavailable", "Message saved, but live delivery failed; others see it on reload."
            ) from None

    HANDLERS = {
        "diagnosis": on_diagnosis,
        "prescription": on_prescription,
        "resume": on_resume,
        "cancel": on_cancel,
        "chat": on_chat,
    }

    # ---- messages from the channel layer ----------------------------------------------------

    async def stream_events(self, message: dict[str, Any]) -> None:
        frames = [tuple(frame) for frame in message["frames"]]
        session_id = uuid.UUID(message["session_id"])
        await self.followers.offer(session_id, frames, message.get("sent_at"))

    async def stream_started(self, message: dict[str, Any]) -> None:
        await self._follow_new(uuid.UUID(message["session_id"]))

    async def _follow_new(self, session_id: uuid.UUID) -> None:
        """Follow a stream the user started on another socket, unless already following."""
        if not self.followers.knows(session_id):
            await self._follow(session_id, -1)

    async def chat_message(self, message: dict[str, Any]) -> None:
        await self._send_text(message["text"])

    # ---- helpers ----------------------------------------------------------------------------

    async def _follow(
        self,
        session_id: uuid.UUID,
        last_seq: int,
        catch_up: bool = True,
        run_is_local: bool = False,
    ) -> None:
        room = chat.session_room(session_id)
        if room not in self.rooms:
            self.rooms.append(room)
        local.follow(session_id, self.channel_name, self.followers.offer)
        await self._join(groups.chat_room(room))
        if not (run_is_local or worker.runs_here(session_id)):
            # A run of this worker serves its local followers directly and, should this
            # worker die, its sockets die with it; only remote runs are heard via the layer.
            await self._join(groups.session(session_id))
        await self.followers.follow(session_id, last_seq, catch_up)

    async def _finished(self, session_id: uuid.UUID) -> None:
        local.unfollow(session_id, self.channel_name)
        group = groups.session(session_id)
        if group in self.groups:
            self.groups.remove(group)
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _join(self, *names: str) -> None:
        for name in names:
            if name not in self.groups:
                self.groups.append(name)
                await self.channel_layer.group_add(name, self.channel_name)

    @property
    def _client(self) -> str:
        return audit.client_address(self.scope)

    async def _audit(self, action: str, session: StreamSession) -> None:
        await db_call(audit.record)(
            self.user, action, session, AuditEntry.Channel.WEBSOCKET, self._client
        )

    async def _send_text(self, text: str) -> None:
        """Send, unless closing. A socket that cannot take a frame (its client closed it, or
        the connection broke) is this socket's problem: the runs that deliver to it in process
        must not fail with it, so the error stops here and the socket is closed."""
        if self.closing:
            return
        try:
            await self.send(text_data=text)
        except Exception as error:
            self.closing = True
            logger.info(
                "socket send failed; closing it",
                extra={"user_id": getattr(self.user, "pk", None), "reason": type(error).__name__},
            )
            with contextlib.suppress(Exception):
                await self.close(code=CLOSE_INTERNAL_ERROR)

    async def _error(
        self,
        code: str,
        error: str,
        details: dict[str, Any] | None = None,
        request_id: Any = None,
        retry_after: float | None = None,
    ) -> None:
        request_id = request_id if isinstance(request_id, str) and len(request_id) <= 100 else None
        frame = wire.error_frame(
            code, error, details=details, request_id=request_id, retry_after=retry_after
        )
        await self._send_text(wire.encode(frame))

    async def _rate_limited(self, limited: limits.RateLimited, request_id: Any) -> None:
        seconds = limited.decision.retry_after_seconds
        await self._error(
            "rate_limited",
            f"Too many {limited.rate.label}: at most {limited.rate.limit} a minute; "
            f"retry in {seconds:g} s.",
            None,
            request_id,
            retry_after=seconds,
        )


def _utf8_length_over(text: str, limit: int) -> bool:
    """Is the frame longer than ``limit`` bytes? Encodes only when the answer is in doubt."""
    if len(text) > limit:
        return True
    return len(text) * 4 > limit and len(text.encode()) > limit


_NOT_JSON = object()


def _decoded(text: str | None) -> tuple[Any, str]:
    """The frame's JSON value, or a placeholder and why it is not one."""
    if text is None:
        return _NOT_JSON, "Binary frames are not accepted; send JSON text."
    try:
        return wire.decode(text), ""
    except wire.InvalidJson:
        return _NOT_JSON, "The frame is not valid JSON."


def _request_id_of(content: Any) -> Any:
    return content.get("request_id") if isinstance(content, dict) else None


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Does ``value`` hold arrays or objects more than ``limit`` levels deep? (no recursion)"""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def _object(data: Any, *fields: str) -> dict[str, Any]:
    """``data`` as an object holding only ``fields``."""
    if not isinstance(data, dict):
        raise EngineValidationError({"data": ["must be a JSON object"]})
    extra = set(data) - set(fields)
    if extra:
        raise EngineValidationError({f"data.{name}": ["unknown field"] for name in sorted(extra)})
    return data
