"""OpenAPI helpers: the error responses every endpoint declares, and the engine's pydantic request
models rendered as OpenAPI 3.0 schemas (so the documented body is the validator's own model).

:class:`ProtocolSchema` (each API view's ``schema``) adds the answers an operation can give
whatever it declares itself: 429 with ``Retry-After`` everywhere (the default throttles apply to
every operation), and 413 and 415 to every operation that takes a body.

drf-spectacular's bundled pydantic extension emits JSON Schema 2020-12 (``type: "null"`` for an
optional field), which an OpenAPI 3.0.3 document may not contain; this extension renders optional
fields with ``nullable: true`` instead and documents request bodies in validation mode.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from pydantic import ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, model_json_schema
from pydantic_core import core_schema

from clinical.api.serializers import ErrorSerializer
from clinical.engine import MAX_REQUEST_ID_CHARS, DiagnosisRequest, PrescriptionRequest
from clinical.patients import PatientReference

ERROR_DESCRIPTIONS = {
    400: "validation_error: `details` maps each bad field to its messages.",
    401: "unauthenticated: no valid `Authorization: Token <token>` (or session).",
    403: "forbidden: your role may not do this (or a session-authenticated request lacks CSRF).",
    404: "not_found: no such session, or not one you may see (the two are indistinguishable).",
    406: "not_acceptable: no media type in `Accept` can be served (for example "
    "`application/fhir+xml`).",
    409: "invalid_state: the session is not in a state that allows this (for example running).",
    413: "too_large: the body is larger than the server accepts (`DATA_UPLOAD_MAX_MEMORY_SIZE`).",
    415: "unsupported_media_type: the body's `Content-Type` is not one this operation reads.",
    429: "rate_limited: too many requests; `retry_after` (and the `Retry-After` header) says "
    "how many seconds to wait.",
    503: "unavailable: this worker is draining; retry, another worker will answer.",
}

# drf-spectacular names a ``pk`` path parameter ``id`` (SCHEMA_COERCE_PATH_PK).
SESSION_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The session's id."
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The protocol-shaped error responses ``{error, code, details?}`` for ``codes``."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def _retry_after_header() -> dict[str, Any]:
    return {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait before the next request is allowed.",
    }


class ProtocolSchema(AutoSchema):
    """drf-spectacular's schema, plus the error answers that do not depend on the operation:
    429 (throttled: every operation) with ``Retry-After``; 413 (body too large) and 415
    (unsupported ``Content-Type``) for every operation that takes a body."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        codes = [429] + ([413, 415] if "requestBody" in operation else [])
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        media_types = self.map_renderers("media_type")
        responses = operation["responses"]
        for code in codes:
            # A fresh dict each: shared objects would come out as YAML anchors and aliases.
            content = {media: {"schema": dict(error)} for media in media_types}
            responses.setdefault(
                str(code), {"content": content, "description": ERROR_DESCRIPTIONS[code]}
            )
        responses["429"] = {**responses["429"], "headers": {"Retry-After": _retry_after_header()}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation


class OpenApi30JsonSchema(GenerateJsonSchema):
    """JSON Schema as OpenAPI 3.0 reads it: ``nullable: true`` instead of ``type: "null"``."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        if "$ref" in inner:
            return {"allOf": [inner], "nullable": True}
        return {**inner, "nullable": True}


class EngineModelExtension(OpenApiSerializerExtension):
    """Render pydantic models passed to ``extend_schema`` as OpenAPI 3.0 components."""

    target_class = "pydantic.BaseModel"
    match_subclasses = True
    priority = 1

    def get_name(self, auto_schema: Any, direction: str) -> str:
        return self.target.__name__

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = model_json_schema(
            self.target,
            ref_template="#/components/schemas/{model}",
            schema_generator=OpenApi30JsonSchema,
            mode="validation",
        )
        if getattr(self.target, "openapi_inline_enums", False):
            _inline_enums(schema)
        for name, definition in schema.pop("$defs", {}).items():
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=definition
            )
            auto_schema.registry.register_on_missing(component)
        return schema


def _inline_enums(schema: Any) -> None:
    """Keep each property's choices inline (as ``allOf: [{enum}]``) rather than let
    drf-spectacular lift them into shared enum components: the engine's result models have
    dozens of small choice sets ("status", "kind", "unit", ...) whose names would collide."""
    if isinstance(schema, list):
        for item in schema:
            _inline_enums(item)
        return
    if not isinstance(schema, dict):
        return
    for name, prop in schema.get("properties", {}).items():
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        if isinstance(target, dict) and "enum" in target:
            choices = {key: target.pop(key) for key in ("type", "enum") if key in target}
            target["allOf"] = [choices]
        schema["properties"][name] = prop
    for value in schema.values():
        if isinstance(value, dict | list):
            _inline_enums(value)


def _symptoms_may_be_names(schema: dict[str, Any]) -> None:
    """The engine reads a plain string as ``{name}`` before validating (protocol v1)."""
    items = schema["properties"]["symptoms"]["items"]
    schema["properties"]["symptoms"]["items"] = {
        "anyOf": [{"type": "string", "minLength": 1, "maxLength": 200}, items]
    }


RequestId = Field(
    None,
    max_length=MAX_REQUEST_ID_CHARS,
    description="Echoed on every frame of the stream; stored with the session.",
)


PatientField = Field(
    None,
    description="Who the session is about, kept by the service and never sent to the engine "
    "(only the age its birth_date gives, where history.age is absent). Required by the portal; "
    "a start without it is stored as 'not stated'. A prescription with session_id and no "
    "patient takes its diagnosis's.",
)


class DiagnosisStart(DiagnosisRequest):
    """The WebSocket's diagnosis ``data``, plus an optional ``request_id``."""

    model_config = ConfigDict(json_schema_extra=_symptoms_may_be_names)

    request_id: str | None = RequestId
    patient: PatientReference | None = PatientField


class PrescriptionStart(PrescriptionRequest):
    """The WebSocket's prescription ``data``, plus an optional ``request_id``."""

    request_id: str | None = RequestId
    patient: PatientReference | None = PatientField
    session_id: str | None = Field(
        None,
        description="The diagnosis session (yours) this prescription follows.",
        json_schema_extra={"format": "uuid"},
    )
