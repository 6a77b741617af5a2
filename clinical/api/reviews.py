"""Reviews of a session over REST: reviewers write them, whoever may see the session reads them.

A user who may not see the session gets 404 for both, exactly as for a session that does not
exist; its owner, who knows it exists, gets 403 when trying to review it, a reviewer included
(four eyes: ``clinical.reviews.check_four_eyes``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical import audit
from clinical.api.errors import InvalidState
from clinical.api.parsers import ProtocolJSONParser
from clinical.api.schema import SESSION_ID, ProtocolSchema, errors
from clinical.api.serializers import ReviewRequestSerializer, ReviewSerializer
from clinical.api.views import audit_view
from clinical.models import AuditEntry
from clinical.reviews import OwnSessionReview, record_review
from clinical.streams.access import REVIEW_PERMISSION, visible_session


class SessionReviews(APIView):
    """A session's reviews, newest first (reading them is audited: viewed); reviewers add one by
    POST (audited: reviewed)."""

    parser_classes = [ProtocolJSONParser]
    schema = ProtocolSchema()

    @extend_schema(
        parameters=[SESSION_ID],
        responses={200: ReviewSerializer(many=True), **errors(401, 404)},
        tags=["reviews"],
    )
    def get(self, request: Request, pk: str) -> Response:
        session = visible_session(request.user, str(pk))
        reviews = ReviewSerializer(session.reviews.select_related("reviewer"), many=True).data
        audit_view(request, session)
        return Response(reviews)

    @extend_schema(
        summary="Review a finished session (reviewers only).",
        description="`corrected_icd10` must be the code of a knowledge-base condition "
        "(GET /api/kb/conditions/); its name is stored beside it. Agreeing takes no correction; "
        "disagreeing needs a correction or a comment. Reviews are a history: a new one never "
        "replaces an earlier one. Nobody reviews a session they started (403, four eyes).",
        parameters=[SESSION_ID],
        request=ReviewRequestSerializer,
        responses={201: ReviewSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["reviews"],
    )
    def post(self, request: Request, pk: str) -> Response:
        session = visible_session(request.user, str(pk))
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied("Only reviewers may review sessions.")
        payload = ReviewRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            review = record_review(
                session,
                request.user,
                **payload.validated_data,
                channel=AuditEntry.Channel.REST,
                client=audit.client_address(request.META),
            )
        except OwnSessionReview as error:
            raise PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            messages = error.message_dict
            if "session" in messages:
                raise InvalidState(messages["session"][0]) from None
            raise ValidationError(messages) from None
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)
