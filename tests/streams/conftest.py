from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clinical.streams.worker import worker


@pytest.fixture(autouse=True)
async def stopped_worker() -> AsyncIterator[None]:
    """Each test's runs and duties end with the test (its event loop closes after it)."""
    yield
    await worker.stop()
