"""The audit log: every door records who started, viewed, resumed, cancelled, reviewed or
exported which session, from where and when; and no door can change or remove an entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from clinical.models import AuditEntry, StreamSession
from clinical.streams.start import create_stream
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db(transaction=True)

SESSIONS_ADMIN = "/admin/clinical/streamsession/"


def trail(session: Any) -> list[tuple[str, str, str]]:
    entries = AuditEntry.objects.filter(session_ref=session.pk).order_by("at", "id")
    return [(entry.actor_name, entry.action, entry.channel) for entry in entries]


def assert_recent_and_complete(entries: Any, client: str | None = None) -> None:
    for entry in entries:
        assert entry.at > timezone.now() - timedelta(minutes=1)
        assert entry.actor_id and entry.actor_name and entry.session_ref
        if client is not None:
            assert entry.client == client


async def test_the_socket_records_starts_resumes_and_cancels(
    open_socket, clinician, reviewer, diagnosis_request, settings
):
    settings.STREAM_LEASE_SECONDS = 1  # the session no worker runs ends by takeover, soon
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    frames = await socket.until_terminal()
    session_id = frames[0]["session_id"]
    running = await create_stream_async(clinician, diagnosis_request)
    watcher = await open_socket(reviewer)

    await watcher.send({"type": "resume", "data": {"session_id": session_id, "last_seq": -1}})
    await watcher.until_terminal()
    await socket.send({"type": "cancel", "data": {"session_id": str(running.id)}})
    assert (await socket.until_terminal())[-1]["code"] == "cancelled"

    entries = [entry async for entry in AuditEntry.objects.order_by("at", "id")]
    assert [(e.actor_name, e.action, e.channel, str(e.session_ref)) for e in entries] == [
        ("alice", "started", "websocket", session_id),
        ("alice", "started", "websocket", str(running.id)),
        ("rita", "resumed", "websocket", session_id),
        ("alice", "cancelled", "websocket", str(running.id)),
    ]
    assert_recent_and_complete(entries)


async def create_stream_async(user: Any, data: dict[str, Any]) -> StreamSession:
    from asgiref.sync import sync_to_async

    return await sync_to_async(create_stream)(user, "diagnosis", data, None)


def test_rest_records_views_exports_and_reviews_with_the_client_address(
    api_as, clinician, reviewer, diagnosis_request
):
    session = complete_session(clinician, "diagnosis", diagnosis_request)
    owner, senior = api_as(clinician), api_as(reviewer)

    owner.get(f"/api/sessions/{session.id}/")
    owner.get(f"/api/sessions/{session.id}/events/?after_seq=-1")
    owner.get(f"/api/sessions/{session.id}/events/?after_seq=3")  # every read is a view
    senior.get(f"/api/sessions/{session.id}/fhir/")
    senior.post(f"/api/sessions/{session.id}/reviews/", {"verdict": "agree"}, format="json")

    assert trail(session) == [
        ("alice", "started", "websocket"),
        ("alice", "viewed", "rest"),
        ("alice", "viewed", "rest"),
        ("alice", "viewed", "rest"),
        ("rita", "exported", "rest"),
        ("rita", "reviewed", "rest"),
    ]
    assert_recent_and_complete(AuditEntry.objects.filter(channel="rest"), client="127.0.0.1")


def test_the_admin_records_views_reviews_and_exports(
    plain_static_files, make_user, clinician, diagnosis_request
):
    session = complete_session(clinician, "diagnosis", diagnosis_request)
    senior = make_user("rose", role="reviewer")
    senior.is_staff = True
    senior.save()
    admin = Client()
    admin.force_login(senior)

    admin.get(f"{SESSIONS_ADMIN}{session.pk}/change/")
    admin.post(f"{SESSIONS_ADMIN}{session.pk}/change/", {"verdict": "agree"})
    admin.post(SESSIONS_ADMIN, {"action": "export_csv", "_selected_action": [str(session.pk)]})

    assert trail(session)[1:] == [
        ("rose", "viewed", "admin"),
        ("rose", "reviewed", "admin"),
        ("rose", "exported", "admin"),
    ]
    assert_recent_and_complete(AuditEntry.objects.filter(channel="admin"), client="127.0.0.1")


def test_an_entry_cannot_be_changed_or_deleted_through_the_model(clinician, diagnosis_request):
    create_stream(clinician, "diagnosis", diagnosis_request, None)
    entry = AuditEntry.objects.get()

    entry.action = "viewed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()

    assert AuditEntry.objects.get().action == "started"


def test_the_admin_lists_entries_read_only_even_for_a_superuser(
    plain_static_files, clinician, diagnosis_request
):
    create_stream(clinician, "diagnosis", diagnosis_request, None)
    entry = AuditEntry.objects.get()
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 20)
    admin = Client()
    admin.force_login(root)
    base = "/admin/clinical/auditentry/"

    listing = admin.get(base).content.decode()
    page = admin.get(f"{base}{entry.pk}/change/").content.decode()
    changed = admin.post(f"{base}{entry.pk}/change/", {"action": "viewed", "actor_name": "x"})
    deleted = admin.post(f"{base}{entry.pk}/delete/", {"post": "yes"})
    added = admin.get(f"{base}add/")
    bulk = admin.post(base, {"action": "delete_selected", "_selected_action": [entry.pk]})

    assert "1 audit entry" in listing and 'value="delete_selected"' not in listing
    assert 'name="_save"' not in page
    assert changed.status_code == 403 and deleted.status_code == 403 and added.status_code == 403
    assert bulk.status_code in {200, 302}
    assert AuditEntry.objects.get().action == "started" and AuditEntry.objects.count() == 1


def test_bulk_update_and_delete_of_audit_entries_are_refused(db, clinician):
    from clinical.models import AuditEntry

    AuditEntry.objects.create(actor=clinician, actor_name="alice", action="viewed", channel="rest")

    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(actor_name="mallory")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().actor_name == "alice"
