"""Channel-layer and Redis work that nothing waits for, each in a task of its own.

A socket's disconnect must end within daphne's close timeout whatever Redis does, so the Redis
calls it would make (freeing its socket slot, leaving its channel-layer groups) run after it
has gone, each call bounded by ``LAYER_CALL_SECONDS``; the worker's subscriber sets up a stream
of another worker for its sockets the same way (``clinical.streams.relay``). A failure is
logged once, with its reason, and never raised. Should a clean-up fail, nothing is lost: a slot
expires by itself within ``WS_SOCKET_SLOT_SECONDS``, and a group left behind only costs Redis a
subscription that delivers to no one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from clinical import metrics
from clinical.streams.groups import LAYER_CALL_SECONDS

logger = logging.getLogger("clinical.ws")

# Tasks still running, so that they are not garbage-collected half-way.
_running: set[asyncio.Future[Any]] = set()


def run_detached(work: Coroutine[Any, Any, None], operation: str) -> asyncio.Task[None]:
    """Run ``work`` in a task of its own; a failure is counted and logged once, never raised.

    Returns the task (tests wait for it; a disconnect does not).
    """
    task = asyncio.get_running_loop().create_task(_logged(work, operation))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


def keep(tasks: list[asyncio.Future[Any]]) -> None:
    """Hold on to tasks nothing waits for (cancelled reads finishing their clean-up)."""
    for task in tasks:
        if not task.done():
            _running.add(task)
            task.add_done_callback(_running.discard)


async def _logged(work: Coroutine[Any, Any, None], operation: str) -> None:
    try:
        await work
    except Exception as error:
        metrics.layer_errors.labels(operation).inc()
        logger.warning("background layer call failed", extra={"reason": _reason(operation, error)})


def _reason(operation: str, error: BaseException) -> str:
    kind = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
    return f"{operation}: {kind}"


async def leave_groups(layer: Any, channel: str, groups: list[str]) -> None:
    """Take ``channel`` out of every group in ``groups``, each call bounded; raises the first
    failure once every group has been tried."""
    failure: Exception | None = None
    for group in groups:
        try:
            await asyncio.wait_for(layer.group_discard(group, channel), LAYER_CALL_SECONDS)
        except Exception as error:
            failure = failure or error
    if failure is not None:
        raise failure
