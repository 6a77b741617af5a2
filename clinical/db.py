"""Running ORM code from the event loop.

Channels' default (``database_sync_to_async``, thread-sensitive) sends every database call of a
worker through one thread, so one slow query (a lock wait, a stalled disk) holds up every socket
and stream of the worker. With PostgreSQL each call runs in a pool thread with its own
connection instead, so a slow query holds up only its caller. SQLite allows one writer at a
time anyway, so it keeps the single thread, which also avoids "database is locked" retries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings

P = ParamSpec("P")
R = TypeVar("R")


def _single_writer() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def db_call(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``func`` as a coroutine function that runs it off the event loop (see module doc)."""
    return database_sync_to_async(func, thread_sensitive=_single_writer())
