"""REST errors in the protocol's shape: ``{error, code, details?}``, as the WebSocket sends them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request as django_bad_request
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clinical import limits
from clinical.engine import EngineValidationError
from clinical.protocol import ProtocolError
from clinical.streams.access import SessionNotFound
from clinical.streams.worker import Draining

_CODES = {
    status.HTTP_400_BAD_REQUEST: "validation_error",
    status.HTTP_401_UNAUTHORIZED: "unauthenticated",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_409_CONFLICT: "invalid_state",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "rate_limited",
    status.HTTP_503_SERVICE_UNAVAILABLE: "unavailable",
}


class InvalidState(exceptions.APIException):
    """The session is not in a state that allows this (the WebSocket's ``invalid_state``)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The session is not in a state that allows this."
    default_code = "invalid_state"


class Unavailable(exceptions.APIException):
    """This worker is draining: the client retries and another worker answers."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "This worker is restarting: retry, another worker will answer."
    default_code = "unavailable"


class EngineOverBudget(exceptions.APIException):
    """The engine was stopped at ``ENGINE_BUDGET_SECONDS`` (clinical/streams/engine_pool.py)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "This note took too long to read and reading it was stopped. Shorten or simplify the "
        "note and try again."
    )
    default_code = "engine_over_budget"


class TooLarge(exceptions.APIException):
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's ``RequestDataTooBig``)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def rate_limited(limited: limits.RateLimited) -> exceptions.Throttled:
    """A refusal of ``clinical.limits`` as DRF's 429 (``Retry-After``, ``retry_after``)."""
    rate = limited.rate
    return exceptions.Throttled(
        wait=limited.decision.retry_after_seconds,
        detail=f"Too many {rate.label}: at most {rate.limit} a minute.",
    )


def _details(data: Any) -> dict[str, list[str]] | None:
    if not isinstance(data, dict) or set(data) == {"detail"}:
        return None
    return {
        key: [str(m) for m in value] if isinstance(value, list) else [str(value)]
        for key, value in data.items()
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, EngineValidationError):
        body = {
            "error": f"Invalid request: {exc.message}",
            "code": "validation_error",
            "details": exc.details,
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtocolError):
        body = {"error": exc.error, "code": exc.code, "details": exc.details}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SessionNotFound):
        exc = exceptions.NotFound("No such session.")
    if isinstance(exc, Draining):
        exc = Unavailable()
    if isinstance(exc, limits.RateLimited):
        exc = rate_limited(exc)
    if isinstance(exc, RequestDataTooBig):
        exc = TooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    code = _CODES.get(response.status_code, "error")
    if isinstance(exc, EngineOverBudget):
        code = exc.default_code
    body: dict[str, Any] = {"code": code}
    details = _details(data)
    if details:
        first_field, first_messages = next(iter(details.items()))
        body["error"] = f"Invalid request: {first_field}: {first_messages[0]}"
        body["details"] = details
    else:
        body["error"] = str(data.get("detail", "Error")) if isinstance(data, dict) else str(data)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = exc.wait
    response.data = body
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler (``handler400``): a request refused before or outside a DRF view (a
    ``SuspiciousOperation`` such as a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or a bad
    ``Host``). Under ``/api/`` it answers in the protocol's shape, a body too large with 413
    ``too_large``; elsewhere it is Django's HTML page."""
    if not request.path.startswith("/api/"):
        return django_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"code": "too_large", "error": TooLarge.default_detail}, status=413)
    return JsonResponse({"code": "validation_error", "error": "Bad request."}, status=400)


UNKNOWN_ENDPOINT = "api-unknown"


def _with_slash(request: HttpRequest) -> str | None:
    """The request's path with the trailing slash it lacks, when that names an endpoint."""
    path = request.path_info
    if path.endswith("/"):
        return None
    try:
        match = resolve(f"{path}/", getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return f"{path}/" if match.url_name != UNKNOWN_ENDPOINT else None


@csrf_exempt
def unknown_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under ``/api/`` that names no endpoint, whatever the method: a JSON 404 in the
    protocol's shape, in every mode. A path that lacks only its trailing slash gets the right one
    named. Without this, APPEND_SLASH redirected such a POST (losing its body), and with DEBUG on
    raised a RuntimeError whose debug page showed the body, a password included. The body is
    never read here, and the unknown path is not echoed back."""
    right = _with_slash(request)
    error = (
        f"No endpoint at this path: API paths end with a slash ({request.method} {right})."
        if right
        else "No such API endpoint (GET /api/schema/ lists them)."
    )
    return JsonResponse({"code": "not_found", "error": error}, status=404)
