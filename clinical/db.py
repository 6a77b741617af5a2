"""Running ORM code from the event loop.

Channels' default (``database_sync_to_async``, thread-sensitive) sends every database call of a
worker through one thread, so one slow query (a lock wait, a stalled disk) holds up every socket
and stream of the worker. With PostgreSQL each call runs in a pool thread with its own
connection instead, so a slow query holds up only its caller. SQLite allows one writer at a
time anyway, so it keeps the single thread, which also avoids "database is locked" retries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings

P = ParamSpec("P")
R = TypeVar("R")


def _single_writer() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


@cache
def _pool() -> ThreadPoolExecutor:
    """Threads for database calls (each keeps its own connection), sized by DATABASE_THREADS."""
    return ThreadPoolExecutor(settings.DATABASE_THREADS, thread_name_prefix="db")


def db_call(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``func`` as a coroutine function that runs it off the event loop (see module doc)."""
    if _single_writer():
        return database_sync_to_async(func)
    return database_sync_to_async(func, thread_sensitive=False, executor=_pool())
