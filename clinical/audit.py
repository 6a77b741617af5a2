"""The audit log: one call, ``record``, from every door (WebSocket, REST, admin, portal)."""

from __future__ import annotations

from typing import Any

from clinical.models import AuditEntry, StreamSession


def client_address(scope_or_meta: dict[str, Any]) -> str:
    """The client's address from an ASGI scope or a request's META (proxy-resolved by daphne)."""
    if "client" in scope_or_meta:
        client = scope_or_meta.get("client") or ("", 0)
        return str(client[0])[:64]
    return str(scope_or_meta.get("REMOTE_ADDR", ""))[:64]


def record(
    actor: Any, action: str, session: StreamSession | Any, channel: str, client: str = ""
) -> AuditEntry:
    """Append one entry. ``session`` may be a session or its id."""
    session_id = getattr(session, "pk", session)
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor.get_username() if getattr(actor, "pk", None) else "",
        action=action,
        session_id=session_id,
        session_ref=session_id,
        channel=channel,
        client=client,
    )
