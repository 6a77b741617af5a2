"""Response shapes of the REST API (requests to start streams are validated by the engine's
request models, the same ones the WebSocket uses)."""

from __future__ import annotations

from rest_framework import serializers

from clinical.models import StreamSession


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


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


class SessionSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)

    class Meta:
        model = StreamSession
        fields = [
            "id",
            "owner",
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
        ]


class SessionDetailSerializer(SessionSerializer):
    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "request", "request_id", "result"]


class EventsPageSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    status = serializers.CharField()
    events = serializers.ListField(child=serializers.DictField(), help_text="Frames in seq order.")
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
