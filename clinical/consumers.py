"""The protocol v1 WebSocket edge: authenticate, validate, dispatch, relay. No clinical logic.

Streams run in the worker (``clinical.streams``), not in this consumer: a socket only follows
the sessions it started or resumed, and one that drops leaves its streams running.

Everything a socket does happens on its own task, one message at a time: the client's frames,
the channel layer's messages, and what this worker's runs left in its inbox. A run never waits
on a socket or hears of its failure; a socket that fails to follow a stream is closed alone,
and a closing socket never waits on the database or Redis (docs/design.md, "A run never waits on a
follower").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError

from clinical import audit, background, close_codes, limits, metrics, wire
from clinical.db import db_call
from clinical.engine import MAX_REQUEST_ID_CHARS, EngineValidationError
from clinical.models import AuditEntry, StreamSession
from clinical.protocol import InvalidMessage, ProtocolError
from clinical.streams import chat, groups, local
from clinical.streams.access import SessionNotFound, own_session, visible_session
from clinical.streams.follow import Followers
from clinical.streams.relay import relay
from clinical.streams.start import (
    StartForbidden,
    start_stream,
    validate_request_id,
)
from clinical.streams.store import request_cancel
from clinical.streams.worker import Draining, worker
from clinical.ws_auth import authenticate_socket

logger = logging.getLogger("clinical.ws")

FOLLOW_STALL_SECONDS = 2.0
# Protocol messages nest four levels deep; anything far deeper is not a protocol message.
MAX_NESTING = 16

# The sockets open on this worker, so that a drain can close each with 1012.
_open_sockets: weakref.WeakSet[StreamConsumer] = weakref.WeakSet()


async def close_all_sockets(code: int = close_codes.SERVICE_RESTART) -> int:
    """Close every open socket of this worker (drain); returns how many.

    Each socket is first sent whatever is stored for the sessions it follows, so a client that
    sees 1012 has every frame stored so far and resumes elsewhere from there.
    """
    sockets = list(_open_sockets)
    for socket in sockets:
        await socket.close_after_catching_up(code)
    return len(sockets)


class StreamConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/<user_id>/``: diagnosis, prescription, chat, resume, cancel and ping."""

    user: Any = None
    followers: Followers | None = None
    closing = False
    left = False
    slot: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The groups joined, as an ordered set: a socket may follow thousands of sessions.
        self.groups: dict[str, None] = {}  # type: ignore[assignment]
        self.inbox = local.Inbox()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' ``AsyncConsumer.__call__`` with the inbox as a third source of messages,
        all taken on this one task; and however the task ends (a disconnect, daphne's close
        timeout, an error), the socket leaves without waiting (see :func:`_dispatch_until_stopped`
        for why Channels' own loop would wait)."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        try:
            await _dispatch_until_stopped(
                [receive, self.channel_receive, self.inbox.get], self.dispatch
            )
        except StopConsumer:
            pass
        finally:
            self._leave()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own dispatch, without the hop to the one shared sync thread it makes
        before every message to close stale database connections: this consumer's database
        calls (``clinical.db``) each close them in the thread that runs them, and with the hop
        every frame of every socket, and every disconnect, waited on that thread."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

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
            await self.close(code=close_codes.SERVICE_RESTART)
            return
        self.slot = await limits.sockets.acquire(auth.user.pk)
        if self.slot is None:
            await self._refuse_over_cap(auth.user.pk)
            return
        worker.start_duties()
        self.user = auth.user
        self.flood = limits.FloodGuard(limits.messages(), settings.WS_FLOOD_FACTOR)
        self.pings = limits.PingAllowance()
        self.followers = Followers(self._send_text, self._finished, FOLLOW_STALL_SECONDS)
        try:
            team_rooms = await db_call(chat.team_rooms)(auth.user)
            await self._join(*map(groups.chat_room, team_rooms))
            await relay.listen_for_user(auth.user.pk, self.channel_name, self.inbox)
        except Exception:
            # The database or the channel layer is down: say "try again later" rather than
            # leave the client hanging; it reconnects with backoff.
            logger.warning("socket set-up failed", extra={"user_id": auth.user.pk}, exc_info=True)
            self._leave()
            await self.accept()
            await self.close(code=close_codes.TRY_AGAIN_LATER)
            return
        await self.accept()
        _open_sockets.add(self)
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
            extra={"close_code": close_codes.POLICY, "reason": "socket cap", "user_id": user_id},
        )
        metrics.socket_refusals.labels(str(close_codes.POLICY)).inc()
        await self.accept()
        await self._error("too_many_sockets", f"You have {cap} sockets open, the most allowed.")
        await self.close(code=close_codes.POLICY, reason=f"too many open sockets (at most {cap})")

    def _release_slot(self) -> None:
        slot, self.slot = self.slot, None
        limits.sockets.release(slot)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Channels' own handler first leaves every group, one awaited layer call each, and
        daphne kills a socket that is still at it after its close timeout; here nothing waits."""
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        self._leave()

    def _leave(self) -> None:
        """Undo what this socket set up, once, without waiting: its registrations with this
        worker's runs at once (they put nothing more in its inbox), its socket slot and its
        channel-layer groups by a task of their own (``clinical.background``)."""
        if self.left:
            return
        self.left = self.closing = True
        if self.user is not None:
            relay.forget(self.channel_name, self.user.pk, self.inbox)
        self.inbox.close()
        if self.followers:
            self.followers.stop()
        if self in _open_sockets:
            _open_sockets.discard(self)
            metrics.open_sockets.dec()
        self._release_slot()
        joined, self.groups = list(self.groups), {}
        if joined:
            leaving = background.leave_groups(self.channel_layer, self.channel_name, joined)
            background.run_detached(leaving, "group_discard")

    # ---- frames from the client -------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None or self.closing:
            return
        limit = settings.WS_MAX_FRAME_BYTES
        if len(bytes_data or b"") > limit or _utf8_length_over(text_data or "", limit):
            await self.close(code=close_codes.TOO_BIG)
            return
        content, problem = _decoded(text_data)
        # Every frame counts against the message rate, a malformed one as much as any; but for a
        # heartbeat's ping within this socket's free allowance.
        free_ping = _is_ping(content) and self.pings.free()
        if not free_ping and not await self._message_allowed(content):
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
                extra={"user_id": self.user.pk, "close_code": close_codes.POLICY},
            )
            self.closing = True
            await self.close(code=close_codes.POLICY, reason="message flood")
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
            problem = InvalidMessage.of(error)
            await self._error(problem.code, problem.error, problem.details, request_id)
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
            await self.close(code=close_codes.SERVICE_RESTART)
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
            raise InvalidMessage({"non_field_errors": ["a message must be a JSON object"]})
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
            raise InvalidMessage({name: ["unknown field"] for name in sorted(extra)})
        if _nested_deeper_than(content, MAX_NESTING):
            raise InvalidMessage({"data": [f"must not nest deeper than {MAX_NESTING} levels"]})
        request_id = validate_request_id(content.get("request_id"))
        await handler(self, content.get("data"), request_id)

    async def _start(self, kind: str, data: Any, request_id: str) -> None:
        async def follow_before_launch(session: StreamSession) -> None:
            await self._follow(session.id, -1, catch_up=False, reaches_inbox=True)

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
            raise InvalidMessage({"last_seq": ["must be an integer of at least -1"]})
        session = await db_call(visible_session)(self.user, data.get("session_id"))
        await self._audit(AuditEntry.Action.RESUMED, session)
        if session.is_finished and last_seq >= session.last_seq:
            self.followers.remember_finished(session.id)
            return
        await self._follow(session.id, last_seq, owner_id=session.owner_id)

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
        room, frame, owner_id = await db_call(chat.post_chat)(self.user, data, request_id)
        if chat.joins_room(self.user.pk, owner_id):
            await self._join(groups.chat_room(room))
        try:
            await chat.broadcast(room, frame, owner_id)
        except Exception:
            raise ProtocolError(
                "unavailable", "Message saved, but live delivery failed; others see it on reload."
            ) from None

    async def on_ping(self, data: Any, request_id: str) -> None:
        """The client's heartbeat: answered with ``pong`` at once, after whatever this socket
        was sending, so an answer proves the whole path (network, worker, this socket's task)."""
        if data is not None:
            raise InvalidMessage({"data": ["a ping carries no data"]})
        await self._send_text(wire.encode(wire.pong_frame(request_id or None)))

    HANDLERS = {
        "diagnosis": on_diagnosis,
        "prescription": on_prescription,
        "resume": on_resume,
        "cancel": on_cancel,
        "chat": on_chat,
        "ping": on_ping,
    }

    # ---- messages from the channel layer and from this worker's runs (the inbox) ------------

    async def stream_events(self, message: dict[str, Any]) -> None:
        session_id = uuid.UUID(message["session_id"])
        frames = [tuple(frame) for frame in message["frames"]]
        await self._as_follower(
            session_id, self.followers.offer(session_id, frames, message.get("sent_at"))
        )

    async def stream_started(self, message: dict[str, Any]) -> None:
        session_id = uuid.UUID(message["session_id"])
        await self._as_follower(session_id, self._follow_new(session_id, message))

    async def local_messages(self, message: dict[str, Any]) -> None:
        """What this worker's runs and its subscriber put in the inbox, in order."""
        for each in message["messages"]:
            if self.closing:
                return
            await self.dispatch(each)

    async def local_overflowed(self, message: dict[str, Any]) -> None:
        """This socket fell :data:`local.INBOX_CAPACITY` messages behind its streams."""
        if self.closing:
            return
        self.closing = True
        logger.warning(
            "socket fell too far behind its streams; closing it",
            extra={"user_id": self.user.pk, "close_code": close_codes.TRY_AGAIN_LATER},
        )
        await self.close(code=close_codes.TRY_AGAIN_LATER, reason="too far behind its streams")

    async def _follow_new(self, session_id: uuid.UUID, notice: dict[str, Any]) -> None:
        """Follow a stream the user started (on another socket), unless already following.

        The notice (from a run of this worker, or from the worker's subscriber for a run of
        another) registered this socket for the stream, and carries what is stored of it, which
        stands in for a read of the store; without it (the subscriber could not read it), the
        socket reads the store itself.
        """
        if self.followers.knows(session_id):
            return
        stored = notice.get("frames")
        if stored is None:
            await self._follow(session_id, -1)
            return
        await self._follow(session_id, -1, catch_up=False, reaches_inbox=True)
        await self.followers.offer(session_id, stored, notice.get("sent_at"))

    async def _as_follower(self, session_id: uuid.UUID, work: Awaitable[None]) -> None:
        """Do this socket's part in following a stream. Should it fail, the failure is this
        socket's alone: it is logged once with its reason, the socket is closed (1011; its
        client reconnects and resumes), and every stream goes on."""
        try:
            await work
        except Exception as error:
            if self.closing:
                return
            self.closing = True
            logger.warning(
                "socket could not follow a stream; closing it",
                extra={
                    "user_id": self.user.pk,
                    "session_id": str(session_id),
                    "close_code": close_codes.INTERNAL_ERROR,
                    "reason": type(error).__name__,
                },
                exc_info=True,
            )
            with contextlib.suppress(Exception):
                await self.close(code=close_codes.INTERNAL_ERROR)

    async def chat_message(self, message: dict[str, Any]) -> None:
        await self._send_text(message["text"])

    # ---- helpers ----------------------------------------------------------------------------

    async def _follow(
        self,
        session_id: uuid.UUID,
        last_seq: int,
        catch_up: bool = True,
        reaches_inbox: bool = False,
        owner_id: int | None = None,
    ) -> None:
        """Follow a session of ``owner_id`` (by default this socket's user) from ``last_seq``.

        Its batches reach this socket's inbox from a run of this worker, or else from the
        worker's subscriber (``reaches_inbox``: already so); its chat room is joined unless
        the user owns it (``chat.joins_room``).
        """
        if reaches_inbox or worker.runs_here(session_id):
            local.follow(session_id, self.channel_name, self.inbox)
        else:
            await relay.follow_remote(session_id, self.channel_name, self.inbox)
        owner_id = self.user.pk if owner_id is None else owner_id
        if chat.joins_room(self.user.pk, owner_id):
            await self._join(groups.chat_room(chat.session_room(session_id)))
        await self.followers.follow(session_id, last_seq, catch_up)

    async def _finished(self, session_id: uuid.UUID) -> None:
        """A followed session ended: this worker's runs and its subscriber put no more of it in
        this socket's inbox."""
        relay.unfollow(session_id, self.channel_name)

    async def _join(self, *names: str) -> None:
        """Join chat rooms' groups on this socket's own channel, each call bounded by
        ``LAYER_CALL_SECONDS`` (a timeout raises; the group is left on close all the same)."""
        for name in names:
            if name not in self.groups:
                self.groups[name] = None
                joining = self.channel_layer.group_add(name, self.channel_name)
                await asyncio.wait_for(joining, groups.LAYER_CALL_SECONDS)

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
                await self.close(code=close_codes.INTERNAL_ERROR)

    async def _error(
        self,
        code: str,
        error: str,
        details: dict[str, Any] | None = None,
        request_id: Any = None,
        retry_after: float | None = None,
    ) -> None:
        echoable = isinstance(request_id, str) and len(request_id) <= MAX_REQUEST_ID_CHARS
        request_id = request_id if echoable else None
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


async def _dispatch_until_stopped(
    sources: list[Callable[[], Awaitable[dict[str, Any]]]],
    dispatch: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Channels' ``await_many_dispatch``: pass each source's messages to ``dispatch`` as they
    come, in the sources' order when several have one, until ``dispatch`` raises.

    Unlike Channels', it does not wait for the reads it cancels on the way out: cancelling the
    channel layer's read makes channels-redis unsubscribe the socket's channel there and then,
    a call to Redis that a closing socket would wait on without a bound (and daphne kills a
    socket still closing after its close timeout). Those reads finish on their own.
    """
    reads = [asyncio.ensure_future(source()) for source in sources]
    try:
        while True:
            await asyncio.wait(reads, return_when=asyncio.FIRST_COMPLETED)
            for index, read in enumerate(reads):
                if read.done():
                    await dispatch(read.result())
                    reads[index] = asyncio.ensure_future(sources[index]())
    finally:
        for read in reads:
            read.cancel()
        background.keep(reads)


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


def _is_ping(content: Any) -> bool:
    return isinstance(content, dict) and content.get("type") == "ping"


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
        raise InvalidMessage({"data": ["must be a JSON object"]})
    extra = set(data) - set(fields)
    if extra:
        raise InvalidMessage({f"data.{name}": ["unknown field"] for name in sorted(extra)})
    return data
