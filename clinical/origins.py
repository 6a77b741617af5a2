"""One Origin rule for every door a browser's cookie opens: form and REST writes, and sockets.

Django's CSRF check (``CsrfViewMiddleware``, which DRF's ``SessionAuthentication`` runs too)
accepts an ``Origin`` that is the served site's own, ``<scheme>://<Host header>`` with the port
the browser used, or one of ``CSRF_TRUSTED_ORIGINS`` (exact, or ``https://*.example.org`` for
its subdomains). The scheme is ``https`` when the request is secure, which behind the proxy
``SECURE_PROXY_SSL_HEADER`` (``X-Forwarded-Proto``) decides; the Host counts only when it is one
of ``ALLOWED_HOSTS``. A cookie-authenticated WebSocket is held to that same rule by handing its
handshake to that same check, so the two doors cannot drift apart: a page on another port of
the same host is another origin, refused by both, though its requests carry the cookie (a site
is the scheme and host, never the port, so ``SameSite`` does not stop them).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware


class _Handshake(HttpRequest):
    """A WebSocket handshake as the request Django's CSRF check reads: its headers in ``META``
    as a WSGI server would put them, and ``wss`` as a secure scheme."""

    def __init__(self, scope: dict[str, Any]) -> None:
        super().__init__()
        for name, value in scope.get("headers", []):
            key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
            self.META.setdefault(key, value.decode("latin-1"))
        server = scope.get("server")
        if server:
            self.META["SERVER_NAME"], self.META["SERVER_PORT"] = server[0], str(server[1])
        self._transport_scheme = "https" if scope.get("scheme") == "wss" else "http"

    def _get_scheme(self) -> str:
        return self._transport_scheme


def _no_view(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the CSRF middleware is only asked about an Origin here")


def socket_origin_trusted(scope: dict[str, Any]) -> bool:
    """Does the handshake carry an ``Origin`` that Django's CSRF check would accept?

    The check is ``CsrfViewMiddleware._origin_verified``, the very code that judges a form's or
    a REST write's Origin (a test holds the socket and REST to the same answers, so a Django
    upgrade that moved it would fail there, not silently). A new middleware per call reads
    ``CSRF_TRUSTED_ORIGINS`` as it is now.
    """
    request = _Handshake(scope)
    if "HTTP_ORIGIN" not in request.META:
        return False
    return CsrfViewMiddleware(_no_view)._origin_verified(request)
