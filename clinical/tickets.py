"""One-time WebSocket tickets: 60 s, usable once, bound to the user they were issued to."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from clinical.models import WsTicket


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(user: Any) -> tuple[str, datetime]:
    """A new ticket for ``user`` and when it expires; only its hash is stored."""
    ticket = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(seconds=settings.WS_TICKET_SECONDS)
    WsTicket.objects.create(key_hash=_hash(ticket), user=user, expires_at=expires_at)
    return ticket, expires_at


def redeem_ticket(ticket: str) -> int | None:
    """The user id a valid, unspent ticket was issued to, spending it; None otherwise.

    Spending is one conditional UPDATE, so two sockets racing with one ticket cannot both win.
    """
    if not ticket or len(ticket) > 100:
        return None
    now = timezone.now()
    key_hash = _hash(ticket)
    spent = WsTicket.objects.filter(key_hash=key_hash, used_at__isnull=True, expires_at__gt=now)
    if not spent.update(used_at=now):
        return None
    return WsTicket.objects.filter(key_hash=key_hash).values_list("user_id", flat=True).first()


def purge_old_tickets(older_than: timedelta | None = None) -> int:
    """Delete tickets that expired more than ``older_than`` ago (default
    ``TICKET_RETENTION_HOURS``), spent or not; returns how many. A ticket is usable for
    ``WS_TICKET_SECONDS`` only, so nothing deleted here could still open a socket."""
    if older_than is None:
        older_than = timedelta(hours=settings.TICKET_RETENTION_HOURS)
    deleted, _ = WsTicket.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted
