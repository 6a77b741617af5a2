"""FHIR R4 export of a session, as ``application/fhir+json`` (or ``application/json``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical import audit
from clinical.api.errors import InvalidState
from clinical.api.schema import SESSION_ID, ProtocolSchema, errors
from clinical.api.serializers import FhirBundleSerializer
from clinical.fhir import NotExportable, session_bundle
from clinical.models import AuditEntry
from clinical.streams.access import visible_session


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class SessionFhirExport(APIView):
    """The session as a FHIR R4 Bundle (type collection); every export is audited."""

    renderer_classes = [FhirJsonRenderer, JSONRenderer]
    schema = ProtocolSchema()

    @extend_schema(
        summary="Export a completed session as a FHIR R4 Bundle.",
        description="A `collection` Bundle: Conditions (primary `provisional`, the rest of the "
        "differential `differential`, ICD-10 coded), RiskAssessments for the scores, draft "
        "MedicationRequests (intent `proposal`), a DetectedIssue per interaction, the reported "
        "allergies and medications, and a Patient with sex only (age is an Observation). Every "
        "resource is tagged `decision-support`. 409 while the session has no result; 406 when "
        "`Accept` names neither JSON media type (for example `application/fhir+xml`).",
        parameters=[SESSION_ID],
        responses={
            200: OpenApiResponse(FhirBundleSerializer, description="A FHIR R4 Bundle."),
            **errors(401, 404, 406, 409),
        },
        tags=["fhir"],
    )
    def get(self, request: Request, pk: str) -> Response:
        session = visible_session(request.user, str(pk))
        try:
            bundle = session_bundle(session)
        except NotExportable as error:
            raise InvalidState(str(error)) from None
        audit.record(
            request.user,
            AuditEntry.Action.EXPORTED,
            session,
            AuditEntry.Channel.REST,
            audit.client_address(request.META),
        )
        return Response(bundle)
