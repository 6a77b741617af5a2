from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

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
