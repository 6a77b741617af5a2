"""API tokens (django-rest-knox): issued for a password, listed and revoked by their owner.

Only a hash of a token is stored, and a token expires ``API_TOKEN_SECONDS`` after it was issued;
a password change or a deactivation revokes all of a user's tokens (``clinical.credentials``).
A token is named in the list by its first characters (knox's ``token_key``), never in full.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import get_token_model
from knox.settings import CONSTANTS
from knox.views import LoginView
from rest_framework import generics, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinical.api.schema import ProtocolSchema, errors
from clinical.api.serializers import ApiTokenSerializer, TokenRequestSerializer, TokenSerializer
from clinical.limits import LoginThrottle


def live_tokens(user: Any) -> QuerySet[Any]:
    """The user's tokens that have not expired, newest first."""
    tokens = get_token_model().objects.filter(user=user, expiry__gt=timezone.now())
    return tokens.order_by("-created")


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenView(LoginView):
    """Exchange a username and password for a new API token and the time it expires."""

    # The password is the only credential here: a cookie or token sent along is not looked at.
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    schema = ProtocolSchema()

    # Multipart is still accepted but not documented: daphne's HTTP layer (Twisted) answers a
    # malformed multipart body itself, with a bare 400 before Django sees it.
    @extend_schema(
        request={
            "application/json": TokenRequestSerializer,
            "application/x-www-form-urlencoded": TokenRequestSerializer,
        },
        responses={200: TokenSerializer, **errors(400)},
        tags=["auth"],
        auth=[],
    )
    @method_decorator(sensitive_variables("credentials"))
    def post(self, request: Request, format: str | None = None) -> Response:
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        request.user = credentials.validated_data["user"]
        return super().post(request, format)


class TokenList(generics.ListAPIView):
    """Your API tokens that have not expired, newest first (``current``: the one you used)."""

    serializer_class = ApiTokenSerializer
    pagination_class = None
    schema = ProtocolSchema()

    @extend_schema(responses={200: ApiTokenSerializer(many=True), **errors(401)}, tags=["auth"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return live_tokens(self.request.user)


# A token is 64 hex digits (knox's default, no prefix); its id is the first TOKEN_KEY_LENGTH.
TOKEN_ID = OpenApiParameter(
    "token_id",
    {"type": "string", "pattern": f"^[0-9a-f]{{{CONSTANTS.TOKEN_KEY_LENGTH}}}$"},
    OpenApiParameter.PATH,
    description="The token's `id`, as listed.",
)


class TokenRevoke(APIView):
    """Revoke one of your tokens (the one you use included); someone else's is not found."""

    schema = ProtocolSchema()

    @extend_schema(parameters=[TOKEN_ID], responses={204: None, **errors(401, 404)}, tags=["auth"])
    def delete(self, request: Request, token_id: str) -> Response:
        deleted, _ = live_tokens(request.user).filter(token_key=token_id).delete()
        if not deleted:
            raise NotFound("You have no such token.")
        return Response(status=status.HTTP_204_NO_CONTENT)
