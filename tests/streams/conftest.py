from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from clinical.models import StreamEvent
from clinical.streams.engine_pool import EnginePool
from clinical.streams.worker import worker


@pytest.fixture(autouse=True)
async def stopped_worker() -> AsyncIterator[None]:
    """Each test's runs and duties end with the test (its event loop closes after it)."""
    yield
    await worker.stop()


@contextlib.asynccontextmanager
async def holding(pool: EnginePool, owner: int) -> AsyncIterator[None]:
    """One of the pool's processes taken for ``owner``, as a job takes it, for the block."""
    process = await pool._acquire(owner, None)
    try:
        yield
    finally:
        pool._release(process, owner)


async def stored_while_waiting(session, run: asyncio.Task) -> list[int]:
    """The seqs stored of ``session`` once something is, while ``run`` has not ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline and not run.done():
        seqs = [
            seq
            async for seq in StreamEvent.objects.filter(session=session).values_list(
                "seq", flat=True
            )
        ]
        if seqs:
            return seqs
        await asyncio.sleep(0.05)
    raise AssertionError("nothing was stored while the stream waited for an engine process")
