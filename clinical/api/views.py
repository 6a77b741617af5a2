"""The REST API: thin views over ``clinical.streams`` and the models."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical import audit
from clinical.api.filters import SessionFilterSerializer, filter_sessions
from clinical.api.paging import CheckedLimitOffsetPagination
from clinical.api.schema import SESSION_ID, ProtocolSchema, errors
from clinical.api.serializers import (
    ChatFrameSerializer,
    EventsPageSerializer,
    SessionDetailSerializer,
    SessionSerializer,
    TicketSerializer,
)
from clinical.models import AuditEntry, StreamSession, with_review_state
from clinical.streams import chat, store
from clinical.streams.access import (
    SessionNotFound,
    parse_session_id,
    visible_session,
    visible_sessions,
)
from clinical.tickets import issue_ticket

MAX_EVENTS_PAGE = 500
MAX_SESSIONS_PAGE = 200


def websocket_url(request: Request) -> str:
    """The WebSocket URL of the requesting user, on the host the request came to."""
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/ws/{request.user.pk}/"


def reviewed_session(user: Any, session_id: Any) -> StreamSession:
    """:func:`visible_session` with the review state annotated (one query)."""
    sessions = with_review_state(visible_sessions(user)).select_related("owner")
    session = sessions.filter(id=parse_session_id(session_id)).first()
    if session is None:
        raise SessionNotFound("no such session")
    return session


def audit_view(request: Request, session: StreamSession) -> None:
    """Record that the user read the session (its detail, events, chat or reviews) over REST."""
    audit.record(
        request.user,
        AuditEntry.Action.VIEWED,
        session,
        AuditEntry.Channel.REST,
        audit.client_address(request.META),
    )


class TicketView(APIView):
    """Issue a one-time WebSocket ticket for the authenticated user (valid 60 s, usable once)."""

    schema = ProtocolSchema()

    @extend_schema(
        request=None, responses={201: TicketSerializer, **errors(401, 403)}, tags=["auth"]
    )
    def post(self, request: Request) -> Response:
        ticket, expires_at = issue_ticket(request.user)
        url = f"{websocket_url(request)}?ticket={ticket}"
        body = {"ticket": ticket, "expires_at": expires_at, "url": url}
        return Response(TicketSerializer(body).data, status=status.HTTP_201_CREATED)


class SessionPagination(CheckedLimitOffsetPagination):
    max_limit = MAX_SESSIONS_PAGE


class SessionList(generics.ListAPIView):
    """Your sessions, newest first (a reviewer sees everyone's), filtered and paginated."""

    serializer_class = SessionSerializer
    pagination_class = SessionPagination
    schema = ProtocolSchema()

    @extend_schema(
        parameters=[SessionFilterSerializer],
        responses={200: SessionSerializer(many=True), **errors(400, 401)},
        tags=["sessions"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[StreamSession]:
        filters = SessionFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        sessions = with_review_state(visible_sessions(self.request.user)).select_related("owner")
        return filter_sessions(sessions, filters.validated_data)


class SessionDetail(generics.RetrieveAPIView):
    """One session with its request and result."""

    serializer_class = SessionDetailSerializer
    schema = ProtocolSchema()

    @extend_schema(
        parameters=[SESSION_ID],
        responses={200: SessionDetailSerializer, **errors(401, 404)},
        tags=["sessions"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> StreamSession:
        session = reviewed_session(self.request.user, str(self.kwargs["pk"]))
        audit_view(self.request, session)
        return session


def _after_seq(request: Request) -> int:
    raw = request.query_params.get("after_seq", "-1")
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({"after_seq": ["must be an integer"]}) from None
    if value < -1:
        raise ValidationError({"after_seq": ["must be at least -1"]})
    return value


class SessionEvents(APIView):
    """A session's stored frames after ``after_seq``, for clients that poll instead of streaming.
    Every read is audited (viewed), whatever ``after_seq``: each poll reads patient data."""

    schema = ProtocolSchema()

    @extend_schema(
        parameters=[
            SESSION_ID,
            OpenApiParameter(
                "after_seq",
                {"type": "integer", "minimum": -1},
                description="Last seq you have (-1: from start).",
            ),
        ],
        responses={200: EventsPageSerializer, **errors(400, 401, 404)},
        tags=["sessions"],
    )
    def get(self, request: Request, pk: str) -> Response:
        after_seq = _after_seq(request)
        session = visible_session(request.user, str(pk))
        frames = store.events_after(session.id, after_seq, limit=MAX_EVENTS_PAGE)
        audit_view(request, session)
        last_seq = frames[-1]["seq"] if frames else after_seq
        body = {
            "session_id": session.id,
            "status": session.status,
            "events": frames,
            "last_seq": last_seq,
            "finished": session.is_finished and last_seq >= session.last_seq,
        }
        return Response(EventsPageSerializer(body).data)


def _chat_history(room: str) -> Response:
    frames = [chat.chat_frame(message) for message in reversed(chat.history(room))]
    return Response(ChatFrameSerializer(frames, many=True).data)


class SessionChat(APIView):
    """The session's care-team chat, oldest first (the latest 200 messages); audited (viewed)."""

    schema = ProtocolSchema()

    @extend_schema(
        parameters=[SESSION_ID],
        responses={200: ChatFrameSerializer(many=True), **errors(401, 404)},
        tags=["chat"],
    )
    def get(self, request: Request, pk: str) -> Response:
        session = visible_session(request.user, str(pk))
        history = _chat_history(chat.session_room(session.id))
        audit_view(request, session)
        return history


class TeamChat(APIView):
    """Your care team's chat room, oldest first (the latest 200 messages)."""

    schema = ProtocolSchema()

    @extend_schema(
        responses={200: ChatFrameSerializer(many=True), **errors(401, 404)}, tags=["chat"]
    )
    def get(self, request: Request) -> Response:
        team = request.user.care_teams.order_by("pk").first()
        if team is None:
            raise NotFound("You belong to no care team.")
        return _chat_history(chat.team_room(team.pk))
