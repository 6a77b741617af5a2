"""Who may open a socket: decided before accept(), refused with a documented close code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from clinical.models import WsTicket
from clinical.tickets import issue_ticket

pytestmark = pytest.mark.django_db(transaction=True)


async def ticket_for(user) -> str:
    ticket, _ = await sync_to_async(issue_ticket)(user)
    return ticket


async def test_a_portal_page_connects_with_its_session_cookie(open_socket, clinician):
    socket = await open_socket(clinician)

    await socket.send({"type": "chat", "data": {"message": "hello"}})

    assert (await socket.receive())["type"] == "chat"


async def test_no_credentials_is_refused_with_4401(open_socket):
    socket = await open_socket(path_user_id=1)

    assert await socket.closed_with() == 4401


async def test_another_users_id_in_the_path_is_refused_with_4403(open_socket, clinician, colleague):
    socket = await open_socket(clinician, path_user_id=colleague.pk)

    assert await socket.closed_with() == 4403


@pytest.mark.parametrize("origin", ["http://evil.example", "null", None])
async def test_a_cookie_socket_from_a_foreign_or_missing_origin_is_refused(
    open_socket, clinician, origin
):
    socket = await open_socket(clinician, origin=origin)

    assert await socket.closed_with() == 4403


async def test_an_api_client_connects_once_with_a_ticket_and_no_origin(open_socket, clinician):
    ticket = await ticket_for(clinician)

    first = await open_socket(path_user_id=clinician.pk, ticket=ticket, origin=None)
    await first.send({"type": "chat", "data": {"message": "by ticket"}})
    assert (await first.receive())["type"] == "chat"

    again = await open_socket(path_user_id=clinician.pk, ticket=ticket, origin=None)
    assert await again.closed_with() == 4401


async def test_an_expired_ticket_is_refused(open_socket, clinician):
    ticket = await ticket_for(clinician)
    await WsTicket.objects.all().aupdate(expires_at=timezone.now() - timedelta(seconds=1))

    socket = await open_socket(path_user_id=clinician.pk, ticket=ticket, origin=None)

    assert await socket.closed_with() == 4401


async def test_a_made_up_ticket_is_refused(open_socket, clinician):
    socket = await open_socket(path_user_id=clinician.pk, ticket="made-up", origin=None)

    assert await socket.closed_with() == 4401


async def test_a_ticket_is_bound_to_its_user(open_socket, clinician, colleague):
    ticket = await ticket_for(clinician)

    socket = await open_socket(path_user_id=colleague.pk, ticket=ticket, origin=None)

    assert await socket.closed_with() == 4403


async def test_a_ticket_from_a_foreign_origin_is_refused(open_socket, clinician):
    ticket = await ticket_for(clinician)

    socket = await open_socket(
        path_user_id=clinician.pk, ticket=ticket, origin="https://evil.example"
    )

    assert await socket.closed_with() == 4403


async def test_an_inactive_users_ticket_is_refused(open_socket, clinician):
    ticket = await ticket_for(clinician)
    clinician.is_active = False
    await clinician.asave()

    socket = await open_socket(path_user_id=clinician.pk, ticket=ticket, origin=None)

    assert await socket.closed_with() == 4401


async def test_only_the_hash_of_a_ticket_is_stored(clinician):
    ticket = await ticket_for(clinician)

    stored = await WsTicket.objects.aget()

    assert ticket not in stored.key_hash and len(stored.key_hash) == 64
