"""Deciding, before a socket is accepted, who it belongs to and whether it may open.

A portal page authenticates with its session cookie and must come from a trusted Origin
(cross-site WebSocket hijacking): the one rule of ``clinical.origins``, the same that Django's
CSRF check applies to REST and forms. An API client presents a one-time ticket and may send no
Origin, but an untrusted one is refused. The ``<user_id>`` in the path must be the authenticated
user. Close codes: 4401 unauthenticated, 4403 forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from django.contrib.auth import get_user_model

from clinical import close_codes
from clinical.db import db_call
from clinical.origins import socket_origin_trusted
from clinical.tickets import redeem_ticket


@dataclass(frozen=True)
class SocketAuth:
    user: Any = None
    method: str = ""
    refusal: int | None = None
    reason: str = ""


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _ticket(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("ticket")
    return values[0] if values else None


def _ticket_user(ticket: str) -> Any:
    user_id = redeem_ticket(ticket)
    if user_id is None:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


async def authenticate_socket(scope: dict[str, Any], path_user_id: str) -> SocketAuth:
    """Who opens this socket, or the close code that refuses it and why."""
    origin = _header(scope, b"origin")
    ticket = _ticket(scope)
    if ticket is not None:
        user = await db_call(_ticket_user)(ticket)
        if user is None:
            return SocketAuth(refusal=close_codes.UNAUTHENTICATED, reason="invalid or spent ticket")
        method = "ticket"
        if origin is not None and not socket_origin_trusted(scope):
            return SocketAuth(refusal=close_codes.FORBIDDEN, reason="origin not allowed")
    else:
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            return SocketAuth(refusal=close_codes.UNAUTHENTICATED, reason="not authenticated")
        method = "cookie"
        if not socket_origin_trusted(scope):
            return SocketAuth(refusal=close_codes.FORBIDDEN, reason="origin not allowed")
    if str(user.pk) != path_user_id:
        return SocketAuth(refusal=close_codes.FORBIDDEN, reason="user id does not match")
    return SocketAuth(user=user, method=method)
