"""Starting a diagnosis or prescription stream by POST, for clients that do not hold a socket.

The body is the WebSocket message's ``data`` with an optional ``request_id`` beside it; it is
validated by the engine's model through ``clinical.streams.start``, exactly as the WebSocket's
is. The run belongs to this worker; the client follows it over the WebSocket (``resume`` from
seq -1) or polls the events endpoint.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical import audit
from clinical.api.parsers import ProtocolJSONParser
from clinical.api.schema import DiagnosisStart, PrescriptionStart, ProtocolSchema, errors
from clinical.api.serializers import StreamStartedSerializer
from clinical.api.views import websocket_url
from clinical.models import StreamSession
from clinical.roles import START_STREAMS
from clinical.streams.start import spend_start_sync, start_stream_sync


class MayStartStreams(BasePermission):
    """Clinicians, reviewers and admins (their roles carry ``add_streamsession``)."""

    message = "Your role may not start streams."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.user.has_perm(START_STREAMS)


def started_body(request: Request, session: StreamSession) -> dict[str, Any]:
    """The session, where to poll or follow it, and the message that follows it."""
    session_url = request.build_absolute_uri(reverse("api-session", args=[session.id]))
    events = reverse("api-session-events", args=[session.id])
    return {
        "session": session,
        "links": {
            "session": session_url,
            "events": request.build_absolute_uri(f"{events}?after_seq=-1"),
            "websocket": websocket_url(request),
            "ticket": request.build_absolute_uri(reverse("api-ws-tickets")),
        },
        "follow": {"type": "resume", "data": {"session_id": session.id, "last_seq": -1}},
    }


class StreamStart(APIView):
    """Start a stream of ``kind``; 201 with the session and where to follow it.

    Each start spends one of the user's ``STREAM_STARTS_PER_MINUTE``, from the same budget as
    the WebSocket's starts (``clinical.limits.rates``), before the body is read, as a socket's
    start does before its data is validated: refused, it is a 429 ``rate_limited``.
    """

    kind: str = ""
    parser_classes = [ProtocolJSONParser]
    permission_classes = [IsAuthenticated, MayStartStreams]
    schema = ProtocolSchema()

    def post(self, request: Request) -> Response:
        spend_start_sync(request.user)
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        data = dict(request.data)
        request_id = data.pop("request_id", None)
        client = audit.client_address(request.META)
        session = start_stream_sync(request.user, self.kind, data, request_id, client)
        body = StreamStartedSerializer(started_body(request, session)).data
        location = body["links"]["session"]
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


START_RESPONSES = {201: StreamStartedSerializer, **errors(400, 401, 403, 429, 503)}


class DiagnosisStartView(StreamStart):
    kind = StreamSession.Kind.DIAGNOSIS

    @extend_schema(
        summary="Start a differential diagnosis stream.",
        description="The body is protocol v1's `diagnosis` data (symptoms, vitals, history, "
        "labs, note) plus an optional `request_id`, validated by the same model as the "
        "WebSocket.",
        request=DiagnosisStart,
        responses=START_RESPONSES,
        examples=[
            OpenApiExample(
                "pneumonia",
                request_only=True,
                value={
                    "symptoms": ["cough", "fever", "shortness of breath"],
                    "vitals": {"temperature": 38.6, "heart_rate": 104, "oxygen_saturation": 93},
                    "history": {"age": 72, "sex": "male"},
                    "request_id": "ward7-0042",
                },
            )
        ],
        tags=["streams"],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class PrescriptionStartView(StreamStart):
    kind = StreamSession.Kind.PRESCRIPTION

    @extend_schema(
        summary="Start a prescription stream.",
        description="The body is protocol v1's `prescription` data plus an optional "
        "`request_id`. 404: `session_id` names a diagnosis session that is not yours.",
        request=PrescriptionStart,
        responses={**START_RESPONSES, **errors(404)},
        examples=[
            OpenApiExample(
                "pneumonia, penicillin allergy",
                request_only=True,
                value={
                    "diagnosis": "J18.9",
                    "patient_info": {"age": 45, "weight": 75, "sex": "male", "egfr": 90},
                    "allergies": ["penicillin"],
                },
            )
        ],
        tags=["streams"],
    )
    def post(self, request: Request) -> Response:
        return super().post(request)
