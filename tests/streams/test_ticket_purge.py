"""Old WebSocket tickets are deleted: by each worker's periodic sweep and by a command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from channels.db import database_sync_to_async
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinical.models import WsTicket
from clinical.streams.worker import worker
from clinical.tickets import issue_ticket, purge_old_tickets
from tests.security.test_limits import until


def tickets_expired(user, *ages: timedelta) -> list[int]:
    """One ticket per age, each having expired that long ago; returns their ids."""
    ids = []
    for age in ages:
        issue_ticket(user)
        ticket = WsTicket.objects.latest("id")
        WsTicket.objects.filter(id=ticket.id).update(expires_at=timezone.now() - age)
        ids.append(ticket.id)
    return ids


@pytest.mark.django_db
def test_tickets_past_the_retention_are_deleted_and_recent_ones_kept(clinician, settings):
    settings.TICKET_RETENTION_HOURS = 24
    old, recent = tickets_expired(clinician, timedelta(hours=25), timedelta(hours=23))
    issue_ticket(clinician)
    assert purge_old_tickets() == 1
    assert not WsTicket.objects.filter(id=old).exists()
    assert WsTicket.objects.filter(id=recent).exists()
    assert WsTicket.objects.count() == 2


@pytest.mark.django_db
def test_the_command_purges_by_its_hours_and_refuses_a_negative_one(clinician):
    tickets_expired(clinician, timedelta(hours=3), timedelta(minutes=30))
    out = StringIO()
    call_command("purge_tickets", "--hours", "1", stdout=out)
    assert out.getvalue().strip() == "deleted 1 ticket(s) that expired more than 1 h ago"
    assert WsTicket.objects.count() == 1
    with pytest.raises(CommandError, match="--hours must be 0 or more, not -1"):
        call_command("purge_tickets", "--hours", "-1")
    assert WsTicket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
async def test_a_worker_purges_old_tickets_on_its_own_schedule(clinician, settings):
    settings.TICKET_PURGE_INTERVAL_SECONDS = 0.05
    settings.TICKET_RETENTION_HOURS = 1
    [_expired, recent] = await database_sync_to_async(tickets_expired)(
        clinician, timedelta(hours=2), timedelta(minutes=1)
    )
    remaining = database_sync_to_async(lambda: set(WsTicket.objects.values_list("id", flat=True)))
    worker.start_duties()
    try:
        await until(remaining, {recent}, seconds=10)
    finally:
        await worker.stop()
