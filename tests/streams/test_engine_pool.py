"""The engine pool hands its processes out first come, first served, within each user's share.

Real engine processes (``ENGINE_PROCESSES=2``: one user's jobs hold at most one). A job gives its
process back when the engine has sent its last event, so to keep a process busy for exactly as
long as they need, these tests hold it with :func:`holding`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from clinical.streams.engine_pool import EnginePool
from tests.streams.conftest import holding

OWNER = 7
OTHER = 8


@pytest.fixture
async def pool(settings) -> AsyncIterator[EnginePool]:
    settings.ENGINE_PROCESSES = 2
    pool = EnginePool()
    yield pool
    pool.stop()


async def finish(events: AsyncIterator[Any]) -> None:
    async for _ in events:
        pass


async def test_one_users_waiting_jobs_get_the_process_in_the_order_they_asked(
    pool, diagnosis_request
):
    served: list[int] = []

    async def job(number: int, queued: asyncio.Event) -> None:
        events = pool.events("diagnosis", diagnosis_request, OWNER, on_queued=_setter(queued))
        await anext(events)
        served.append(number)
        await finish(events)

    async with holding(pool, OWNER):
        tasks = []
        for number in range(4):
            queued = asyncio.Event()
            tasks.append(asyncio.create_task(job(number, queued)))
            await queued.wait()  # in the queue before the next one asks
    await asyncio.gather(*tasks)

    assert served == [0, 1, 2, 3]


async def test_a_job_waits_only_for_its_users_share_not_for_another_users_jobs(
    pool, diagnosis_request
):
    async with holding(pool, OWNER):
        queued = asyncio.Event()
        waiting = asyncio.create_task(
            finish(pool.events("diagnosis", diagnosis_request, OWNER, on_queued=_setter(queued)))
        )
        await queued.wait()

        other = [
            event
            async for event in pool.events(
                "diagnosis", diagnosis_request, OTHER, on_queued=_fail_if_queued
            )
        ]

        assert other[-1]["type"] == "complete"
        assert not waiting.done()
    await waiting


async def test_a_job_that_finds_a_free_process_is_not_told_it_was_queued(pool, diagnosis_request):
    events = [
        event
        async for event in pool.events(
            "diagnosis", diagnosis_request, OWNER, on_queued=_fail_if_queued
        )
    ]

    assert events[-1]["type"] == "complete"


async def test_a_waiting_job_that_goes_away_leaves_its_place_to_the_next(pool, diagnosis_request):
    first_queued, second_queued = asyncio.Event(), asyncio.Event()
    async with holding(pool, OWNER):
        leaving = asyncio.create_task(
            finish(
                pool.events("diagnosis", diagnosis_request, OWNER, on_queued=_setter(first_queued))
            )
        )
        await first_queued.wait()
        staying = asyncio.create_task(
            anext(
                pool.events("diagnosis", diagnosis_request, OWNER, on_queued=_setter(second_queued))
            )
        )
        await second_queued.wait()
        leaving.cancel()

    assert (await staying)["type"] == "progress"
    assert leaving.cancelled()


async def test_a_job_gives_its_process_back_when_the_engine_ends_not_when_its_caller_does(
    pool, diagnosis_request
):
    """A caller that takes its time with each event (a stream storing it) does not keep its
    user's next job waiting for the engine."""
    slow = pool.events("diagnosis", diagnosis_request, OWNER)
    await anext(slow)
    next_job = pool.run("validate_diagnosis", diagnosis_request, OWNER)
    assert await asyncio.wait_for(next_job, 30)
    await finish(slow)


def _setter(event: asyncio.Event):
    async def queued() -> None:
        event.set()

    return queued


async def _fail_if_queued() -> None:
    raise AssertionError("the job was queued although a process was free for its user")
