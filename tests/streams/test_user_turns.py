"""One user's streams run at most ``STREAMS_RUNNING_PER_USER`` at once on a worker; the next waits
its turn with its ``accepted`` already sent, and other users' streams never wait for them."""

from __future__ import annotations

import asyncio

import pytest

from clinical.db import db_call
from clinical.models import StreamSession
from clinical.streams.runner import StreamRun, execute, user_turns
from clinical.streams.start import create_stream
from tests.streams.conftest import stored_while_waiting

pytestmark = pytest.mark.django_db(transaction=True)


async def a_run(user, request) -> tuple[StreamSession, asyncio.Task]:
    session = await db_call(create_stream)(user, "diagnosis", request, "")
    return session, asyncio.create_task(execute(StreamRun.of(session)))


async def status_of(session: StreamSession) -> str:
    await session.arefresh_from_db()
    return session.status


async def test_a_stream_past_its_users_turns_waits_with_its_accepted_sent(
    clinician, diagnosis_request, settings
):
    settings.STREAMS_RUNNING_PER_USER = 1
    async with user_turns.turn(clinician.pk):
        session, run = await a_run(clinician, diagnosis_request)
        stored = await stored_while_waiting(session, run)
        assert not run.done()
    await run

    assert stored == [0]
    assert await status_of(session) == StreamSession.Status.COMPLETED


async def test_another_users_stream_does_not_wait_for_a_users_turns(
    clinician, colleague, diagnosis_request, settings
):
    settings.STREAMS_RUNNING_PER_USER = 1
    async with user_turns.turn(clinician.pk):
        session, run = await a_run(colleague, diagnosis_request)
        await asyncio.wait_for(run, 30)

        assert await status_of(session) == StreamSession.Status.COMPLETED


async def test_a_users_streams_take_their_turns_in_the_order_they_started(
    clinician, diagnosis_request, settings
):
    settings.STREAMS_RUNNING_PER_USER = 1
    async with user_turns.turn(clinician.pk):
        started = [await a_run(clinician, diagnosis_request) for _ in range(3)]
        for session, run in started:
            await stored_while_waiting(session, run)
    await asyncio.gather(*(run for _, run in started))

    finished = []
    for session, _ in started:
        await session.arefresh_from_db()
        finished.append(session.finished_at)
    assert finished == sorted(finished)


async def test_a_waiting_stream_cancelled_leaves_its_turn_to_the_next(
    clinician, diagnosis_request, settings
):
    settings.STREAMS_RUNNING_PER_USER = 1
    async with user_turns.turn(clinician.pk):
        (leaving, leaving_run), (staying, staying_run) = [
            await a_run(clinician, diagnosis_request) for _ in range(2)
        ]
        await stored_while_waiting(staying, staying_run)
        leaving_run.cancel()
        await asyncio.gather(leaving_run, return_exceptions=True)
    await asyncio.wait_for(staying_run, 30)

    assert await status_of(leaving) == StreamSession.Status.CANCELLED
    assert await status_of(staying) == StreamSession.Status.COMPLETED
