"""Reading a clinical note without a diagnosis, so a clinician can check and correct what the
engine reads before starting one (the portal's "Read note").

The body ``{note}`` is validated by the engine's own model (the diagnosis request's ``note``
field: at most 10,000 characters, no control characters; not blank here). The answer is
``{extracted}``, built by the engine function the diagnosis stream builds its
``symptoms_analysis.extracted`` with, for a diagnosis of that note alone. Nothing is stored, no
stream starts and no audit entry is written: there is no session to record it against.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical.api.errors import EngineOverBudget
from clinical.api.parsers import ProtocolJSONParser
from clinical.api.schema import ProtocolSchema, errors
from clinical.engine import NoteReadRequest
from clinical.limits import NoteReadThrottle
from clinical.roles import START_STREAMS
from clinical.streams.engine_pool import OverBudget, engine_pool

CERTAINTIES = ["present", "absent", "possible", "family", "past"]


class MayReadNotes(BasePermission):
    """Whoever may start a diagnosis (clinicians, reviewers, admins: ``add_streamsession``)."""

    message = "Your role may not read notes: reading one is part of starting a diagnosis."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.user.has_perm(START_STREAMS)


# ---- the answer's shape: the wire format of ``symptoms_analysis.extracted`` -----------------


def _span() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        min_length=2,
        max_length=2,
        help_text="[start, end): code-point offsets into the note as read (NFC, trimmed).",
    )


class NoteMentionSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="`finding` or `condition`.")
    id = serializers.CharField(help_text="The knowledge base's finding or condition id.")
    label = serializers.CharField()
    text = serializers.CharField(help_text="The note's own words: note[span[0]:span[1]].")
    span = _span()
    certainty = serializers.ChoiceField(CERTAINTIES)
    category = serializers.CharField(required=False, help_text="A finding's category.")
    duration = serializers.CharField(required=False)
    onset = serializers.CharField(required=False)
    fuzzy = serializers.BooleanField(required=False, help_text="Read through a typo.")
    used = serializers.BooleanField(
        required=False, help_text="Whether a diagnosis of this note alone takes it as evidence."
    )


class NoteValueSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="A number, a string or a boolean, in request units.")
    text = serializers.CharField()
    span = _span()
    unit = serializers.CharField(required=False, help_text="The unit the note was read in.")
    written = serializers.FloatField(required=False, help_text="The value before conversion.")
    used = serializers.BooleanField(required=False)


class NoteHistorySerializer(serializers.Serializer):
    age = NoteValueSerializer(required=False, help_text="Years; never replaces the request's.")
    sex = NoteValueSerializer(required=False, help_text="Never replaces the request's.")
    gestation_weeks = NoteValueSerializer(required=False)
    pregnant = NoteValueSerializer(required=False)
    past = NoteMentionSerializer(many=True)
    family = NoteMentionSerializer(many=True)


class NoteTimingSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="`duration` or `onset`.")
    value = serializers.JSONField(help_text="Days for a duration; a word for an onset.")
    text = serializers.CharField()
    span = _span()
    unit = serializers.CharField(required=False)


class NoteMedicationSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The knowledge base's drug id.")
    name = serializers.CharField()
    text = serializers.CharField()
    span = _span()
    certainty = serializers.ChoiceField(CERTAINTIES)
    used = serializers.BooleanField()


class NoteAllergySerializer(serializers.Serializer):
    text = serializers.CharField()
    span = _span()
    groups = serializers.ListField(child=serializers.CharField(), required=False)
    drug = serializers.CharField(required=False)


class NoteUnrecognizedSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="What it looked like: medication, allergen, ...")
    text = serializers.CharField()
    span = _span()


class NoteStatementSerializer(serializers.Serializer):
    text = serializers.CharField()
    span = _span()


class ExtractedSerializer(serializers.Serializer):
    findings = NoteMentionSerializer(many=True, help_text="Present findings.")
    negated = NoteMentionSerializer(many=True, help_text="Denied findings and conditions.")
    uncertain = NoteMentionSerializer(many=True, help_text="Possible findings and conditions.")
    conditions = NoteMentionSerializer(many=True, help_text="Diagnoses the note names.")
    vitals = serializers.DictField(child=NoteValueSerializer())
    labs = serializers.DictField(child=NoteValueSerializer())
    history = NoteHistorySerializer()
    timing = NoteTimingSerializer(many=True)
    medications = NoteMedicationSerializer(many=True)
    allergies = NoteAllergySerializer(many=True)
    unrecognized = NoteUnrecognizedSerializer(many=True)
    unread = NoteStatementSerializer(
        many=True,
        help_text="Phrases nothing was read from: text a diagnosis of this note does not use.",
    )
    no_known_allergies = NoteStatementSerializer(required=False)
    nothing_extracted = serializers.BooleanField(required=False)
    message = serializers.CharField(required=False, help_text="Why nothing could be read.")


class NoteReadSerializer(serializers.Serializer):
    extracted = ExtractedSerializer(
        help_text="Exactly the `extracted` object of the diagnosis stream's `symptoms_analysis` "
        "chunk for a diagnosis of this note alone (docs/free-text.md)."
    )


# ---- the view ---------------------------------------------------------------------------------


class NoteReadView(APIView):
    """Read a note as a diagnosis of it would, without starting one."""

    parser_classes = [ProtocolJSONParser]
    permission_classes = [IsAuthenticated, MayReadNotes]
    throttle_classes = [NoteReadThrottle]
    schema = ProtocolSchema()

    @extend_schema(
        summary="Read a clinical note without starting a diagnosis.",
        description="Reads `note` exactly as a diagnosis stream does and answers `extracted` in "
        "the format of the `symptoms_analysis` stage's chunk: findings (present, denied, "
        "uncertain), vital signs, labs, age, sex, timing, medications and allergies, each with "
        "its span in the note as sent (Unicode NFC, trimmed). `used` says what a diagnosis of "
        "this note alone would take from it; structured fields sent with a diagnosis win over "
        "the note. `note` has the diagnosis request's bounds (at most 10,000 characters, no "
        "control characters) and must not be blank. This stores nothing, starts no stream and "
        "writes no audit entry: it holds no session. Limited to `NOTE_READS_PER_MINUTE` (60 by "
        "default) per user.",
        request=NoteReadRequest,
        responses={200: NoteReadSerializer, **errors(400, 401, 403, 429)},
        examples=[
            OpenApiExample(
                "a short note",
                request_only=True,
                value={"note": "denies chest pain, productive cough for 3 days, HR 110"},
            ),
            OpenApiExample(
                "what it reads",
                response_only=True,
                value={
                    "extracted": {
                        "findings": [],
                        "negated": [
                            {
                                "kind": "finding",
                                "id": "chest_pain",
                                "label": "Chest pain",
                                "text": "chest pain",
                                "span": [7, 17],
                                "certainty": "absent",
                                "category": "symptom",
                                "used": True,
                            },
                            {
                                "kind": "finding",
                                "id": "productive_cough",
                                "label": "Productive cough",
                                "text": "productive cough",
                                "span": [19, 35],
                                "certainty": "absent",
                                "category": "symptom",
                                "used": True,
                            },
                        ],
                        "uncertain": [],
                        "conditions": [],
                        "vitals": {
                            "heart_rate": {
                                "value": 110.0,
                                "text": "HR 110",
                                "span": [48, 54],
                                "used": True,
                            }
                        },
                        "labs": {},
                        "history": {"past": [], "family": []},
                        "timing": [
                            {
                                "kind": "duration",
                                "value": 3.0,
                                "text": "for 3 days",
                                "span": [36, 46],
                                "unit": "days",
                            }
                        ],
                        "medications": [],
                        "allergies": [],
                        "unrecognized": [],
                        "unread": [],
                    }
                },
            ),
        ],
        tags=["notes"],
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        try:
            extracted = engine_pool.run_sync("note_preview", request.data, request.user.pk)
        except OverBudget as error:
            raise EngineOverBudget() from error
        return Response({"extracted": extracted})
