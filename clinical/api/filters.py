"""Query-parameter filters for the session list, declared once and validated like a body."""

from __future__ import annotations

import typing
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from clinical.engine import Urgency
from clinical.models import Review, StreamSession
from clinical.patients import MAX_IDENTIFIER_CHARS, search_key

URGENCIES = typing.get_args(Urgency)


class SessionFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(StreamSession.Kind.choices, required=False)
    status = serializers.ChoiceField(StreamSession.Status.choices, required=False)
    urgency = serializers.ChoiceField(URGENCIES, required=False)
    created_after = serializers.DateTimeField(
        required=False, help_text="ISO 8601 date or date-time (UTC if no offset); inclusive."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="ISO 8601 date or date-time (UTC if no offset); exclusive."
    )
    reviewed = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: reviewed at least once."
    )
    verdict = serializers.ChoiceField(
        Review.Verdict.choices, required=False, help_text="The latest review's verdict."
    )

    patient = serializers.CharField(
        required=False,
        max_length=MAX_IDENTIFIER_CHARS,
        help_text="The patient's identifier, exactly (an NHS number with or without its spaces).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after >= before:
            raise serializers.ValidationError(
                {"created_before": ["must be later than created_after"]}
            )
        return attrs


def filter_sessions(
    sessions: QuerySet[StreamSession], filters: dict[str, Any]
) -> QuerySet[StreamSession]:
    """Apply validated filters; ``sessions`` must carry ``with_review_state``'s annotations."""
    for name in ("kind", "status", "urgency"):
        if name in filters:
            sessions = sessions.filter(**{name: filters[name]})
    if "created_after" in filters:
        sessions = sessions.filter(created_at__gte=filters["created_after"])
    if "created_before" in filters:
        sessions = sessions.filter(created_at__lt=filters["created_before"])
    if filters.get("reviewed") is not None:
        sessions = sessions.filter(latest_verdict__isnull=not filters["reviewed"])
    if "patient" in filters:
        sessions = sessions.filter(patient_identifier=search_key(filters["patient"]))
    if "verdict" in filters:
        sessions = sessions.filter(latest_verdict=filters["verdict"])
    return sessions
