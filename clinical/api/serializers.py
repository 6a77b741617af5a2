"""Response shapes of the REST API (requests to start streams are validated by the engine's
request models, the same ones the WebSocket uses)."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from pydantic import RootModel
from rest_framework import serializers

from clinical import patients
from clinical.engine import DiagnosisRequest, EngineResult, Frame, PrescriptionRequest
from clinical.models import Review, StreamSession
from clinical.reviews import MAX_COMMENT_CHARS


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(
        help_text="When the token stops working (API_TOKEN_SECONDS after it was issued)."
    )


class ApiTokenSerializer(serializers.Serializer):
    """One of the user's tokens as listed: never the token itself (only its hash is stored)."""

    id = serializers.CharField(
        source="token_key",
        help_text="The token's first characters: enough to tell it apart, never to use it.",
    )
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.SerializerMethodField(
        help_text="Whether this request was authenticated with this token."
    )

    def get_current(self, token: Any) -> bool:
        used = getattr(self.context["request"], "auth", None)
        return getattr(used, "digest", None) == token.digest


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Valid once, for WS_TICKET_SECONDS (60 s).")
    expires_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="The WebSocket URL to connect to, ticket included.")


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="For people.")
    code = serializers.CharField(help_text="For programs: validation_error, not_found, ...")
    details = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    retry_after = serializers.FloatField(required=False)


class LatestReviewSerializer(serializers.Serializer):
    """The latest review, from ``with_review_state``'s annotations."""

    verdict = serializers.ChoiceField(Review.Verdict.choices, source="latest_verdict")
    reviewer = serializers.CharField(source="latest_reviewer")
    reviewed_at = serializers.DateTimeField(source="latest_reviewed_at")


class SessionSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    patient = serializers.SerializerMethodField(
        help_text="Who the session is about: {anonymous: true} or {identifier, "
        "identifier_system, birth_date}; null for a session started without one."
    )
    latest_review = serializers.SerializerMethodField(
        help_text="The latest review; null while nobody has reviewed the session."
    )

    class Meta:
        model = StreamSession
        fields = [
            "id",
            "owner",
            "patient",
            "kind",
            "status",
            "primary_diagnosis",
            "icd10",
            "urgency",
            "engine_version",
            "follows",
            "last_seq",
            "created_at",
            "started_at",
            "finished_at",
            "failure_reason",
            "latest_review",
        ]

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": {}})
    def get_patient(self, session: StreamSession) -> dict[str, Any] | None:
        patient = patients.from_session(session)
        return patient.as_json() if patient is not None else None

    @extend_schema_field(LatestReviewSerializer(allow_null=True))
    def get_latest_review(self, session: StreamSession) -> dict[str, Any] | None:
        if getattr(session, "latest_verdict", None) is None:
            return None
        return LatestReviewSerializer(session).data


class StoredRequest(RootModel[DiagnosisRequest | PrescriptionRequest]):
    """The request as validated and stored: a diagnosis or a prescription request."""


class StoredResult(RootModel[EngineResult]):
    """The ``complete`` frame's ``result``: a diagnosis or a prescription result."""

    openapi_inline_enums: ClassVar[bool] = True


class StoredFrame(RootModel[Frame]):
    """A frame of a stream as stored and sent (protocol v1), chosen by ``type``."""

    openapi_inline_enums: ClassVar[bool] = True


@extend_schema_field(StoredRequest)
class StoredRequestField(serializers.JSONField):
    """The stored request, described by the engine's request models."""


@extend_schema_field(StoredResult)
class StoredResultField(serializers.JSONField):
    """The stored result (null until the stream completes), described by the engine's
    result models."""


@extend_schema_field(StoredFrame)
class StoredFrameField(serializers.JSONField):
    """One stored frame, described by the protocol's frame models."""


class SessionDetailSerializer(SessionSerializer):
    request = StoredRequestField(read_only=True)
    result = StoredResultField(read_only=True, allow_null=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "request", "request_id", "result"]


class EventsPageSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    status = serializers.CharField()
    events = serializers.ListField(child=StoredFrameField(), help_text="Frames in seq order.")
    last_seq = serializers.IntegerField(help_text="Pass as after_seq to poll for the next ones.")
    finished = serializers.BooleanField()


class ChatAuthorMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField()
    author_id = serializers.IntegerField()
    text = serializers.CharField()
    timestamp = serializers.CharField()


class ChatFrameSerializer(serializers.Serializer):
    type = serializers.CharField()
    room = serializers.CharField()
    session_id = serializers.UUIDField(required=False)
    message = ChatAuthorMessageSerializer()


class StreamLinksSerializer(serializers.Serializer):
    session = serializers.URLField(help_text="This session (GET).")
    events = serializers.URLField(help_text="Poll its frames here, passing `after_seq`.")
    websocket = serializers.CharField(
        help_text="Or follow it live: connect here with a ticket (`?ticket=`) from `ticket`, "
        "then send `follow`."
    )
    ticket = serializers.URLField(help_text="POST here for a one-time WebSocket ticket.")


class ResumeDataSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    last_seq = serializers.IntegerField()


class FollowMessageSerializer(serializers.Serializer):
    type = serializers.ChoiceField(["resume"])
    data = ResumeDataSerializer()


class StreamStartedSerializer(serializers.Serializer):
    session = SessionSerializer()
    links = StreamLinksSerializer()
    follow = FollowMessageSerializer(
        help_text="The message that replays the stream from its start over the WebSocket."
    )


class ReviewRequestSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(Review.Verdict.choices)
    corrected_icd10 = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        default="",
        help_text="ICD-10 code of a knowledge-base condition (GET /api/kb/conditions/).",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_COMMENT_CHARS, default=""
    )


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.get_username", read_only=True)
    reviewer_name = serializers.CharField(source="reviewer.get_full_name", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "session",
            "reviewer",
            "reviewer_name",
            "verdict",
            "corrected_icd10",
            "corrected_diagnosis",
            "comment",
            "reviewed_at",
        ]
        read_only_fields = fields


class FhirEntrySerializer(serializers.Serializer):
    fullUrl = serializers.CharField(help_text="urn:uuid:<id>; references use it.")
    resource = serializers.DictField(help_text="A FHIR R4 resource.")


class FhirBundleSerializer(serializers.Serializer):
    resourceType = serializers.ChoiceField(["Bundle"])
    id = serializers.CharField()
    type = serializers.ChoiceField(["collection"])
    timestamp = serializers.CharField()
    identifier = serializers.DictField()
    meta = serializers.DictField(help_text="Tagged decision-support; source names the engine.")
    entry = FhirEntrySerializer(many=True)
