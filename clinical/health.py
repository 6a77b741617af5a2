"""``/healthz`` (the process answers) and ``/readyz`` (database and channel layer reachable)."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

from clinical.streams.worker import worker

READY_TIMEOUT_SECONDS = 2.0


async def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database_answers() -> None:
    """Runs in a thread of its own, so a hung database cannot block the shared ORM thread."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


async def _channel_layer_answers() -> None:
    """Send a message to a fresh channel of our own and read it back."""
    layer = get_channel_layer()
    channel = await layer.new_channel("readyz.")
    await layer.send(channel, {"type": "readyz.ping"})
    await layer.receive(channel)


async def _check(name: str, probe) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe(), READY_TIMEOUT_SECONDS)
    except TimeoutError:
        return name, f"no answer within {READY_TIMEOUT_SECONDS:g} s"
    except Exception as error:
        return name, f"unreachable ({type(error).__name__})"
    return name, "ok"


async def readyz(request: HttpRequest) -> JsonResponse:
    checks = dict(
        await asyncio.gather(
            _check("database", sync_to_async(_database_answers, thread_sensitive=False)),
            _check("channel_layer", _channel_layer_answers),
        )
    )
    if worker.draining:
        checks["worker"] = "draining"
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
