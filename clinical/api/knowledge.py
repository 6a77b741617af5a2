"""The knowledge base, read-only: the vocabulary for autocomplete, conditions, drugs, allergies.

Searches match the start of a word in an entry's name or synonyms, case-insensitively, and rank
name matches before synonym matches, then shorter names first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical.api.schema import ProtocolSchema, errors
from clinical.engine import KnowledgeBase, knowledge_base

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_QUERY_CHARS = 100


class FindingSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    category = serializers.CharField(help_text="symptom, sign, vital, lab or history")
    synonyms = serializers.ListField(child=serializers.CharField())


class ConditionSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    icd10 = serializers.CharField()
    system = serializers.CharField()
    base_urgency = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())


class DrugSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    synonyms = serializers.ListField(child=serializers.CharField())
    drug_class = serializers.CharField()
    allergy_groups = serializers.ListField(child=serializers.CharField())
    route = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())


class AllergyGroupSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    synonyms = serializers.ListField(child=serializers.CharField())


def _query(request: Request) -> tuple[str, int]:
    search = request.query_params.get("search", "").strip().lower()
    if len(search) > MAX_QUERY_CHARS:
        raise ValidationError({"search": [f"must be at most {MAX_QUERY_CHARS} characters"]})
    raw_limit = request.query_params.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise ValidationError({"limit": [f"must be a whole number from 1 to {MAX_LIMIT}"]})
    return search, int(raw_limit)


def _rank(search: str, name: str, synonyms: Iterable[str]) -> tuple[int, int] | None:
    """(0 name / 1 synonym, length) when a word of the name or a synonym starts with ``search``."""
    if not search:
        return (0, len(name))

    def matches(text: str) -> bool:
        text = text.lower()
        return text.startswith(search) or f" {search}" in text

    if matches(name):
        return (0, len(name))
    lengths = [len(s) for s in synonyms if matches(s)]
    return (1, min(lengths)) if lengths else None


def _search(entries: Iterable[Any], search: str, limit: int, name: Callable[[Any], str]) -> list:
    ranked = []
    for entry in entries:
        rank = _rank(search, name(entry), getattr(entry, "synonyms", ()))
        if rank is not None:
            ranked.append((rank, name(entry), entry))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in ranked[:limit]]


def _listing(
    summary: str,
    serializer: type[serializers.Serializer],
    entries: Callable[[KnowledgeBase], Iterable[Any]],
    name: Callable[[Any], str],
) -> type[APIView]:
    class Listing(APIView):
        schema = ProtocolSchema()

        @extend_schema(
            summary=summary,
            parameters=[
                OpenApiParameter(
                    "search",
                    {"type": "string", "maxLength": MAX_QUERY_CHARS},
                    description="Start of a word, any case.",
                ),
                OpenApiParameter(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    description=f"1-{MAX_LIMIT}, default {DEFAULT_LIMIT}.",
                ),
            ],
            responses={200: serializer(many=True), **errors(400, 401)},
            tags=["knowledge base"],
        )
        def get(self, request: Request) -> Response:
            search, limit = _query(request)
            found = _search(entries(knowledge_base()), search, limit, name)
            return Response(serializer([e.model_dump() for e in found], many=True).data)

    Listing.__doc__ = summary
    return Listing


FindingList = _listing(
    "Findings (symptoms, signs, history) with their synonyms, for autocomplete.",
    FindingSerializer,
    lambda kb: kb.findings.values(),
    lambda entry: entry.label,
)
ConditionList = _listing(
    "Conditions the engine knows, with ICD-10 codes.",
    ConditionSerializer,
    lambda kb: kb.conditions.values(),
    lambda entry: entry.name,
)
DrugList = _listing(
    "Drugs the engine knows.", DrugSerializer, lambda kb: kb.drugs.values(), lambda e: e.name
)
AllergyGroupList = _listing(
    "Allergy groups, for the allergies field.",
    AllergyGroupSerializer,
    lambda kb: kb.allergy_groups.values(),
    lambda entry: entry.name,
)
