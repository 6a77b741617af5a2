"""The Redis connection every limit counts in, and what happens when it cannot be reached.

If Redis cannot be reached, limits fall back to this worker's memory for ``FALLBACK_SECONDS``
before trying again (counted per worker rather than not at all); the channel layer, on the same
Redis, is then down too and sockets are closed with 1013 anyway.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref

from django.conf import settings
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

logger = logging.getLogger("clinical.limits")

FALLBACK_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 1.0
KEY_PREFIX = "medstream:limits"
REDIS_FAILURES = (RedisError, OSError)


class RedisClients:
    """One asyncio Redis client per event loop (a client's connections belong to one loop)."""

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Redis] = (
            weakref.WeakKeyDictionary()
        )
        self._down_until = 0.0

    @property
    def usable(self) -> bool:
        return bool(settings.REDIS_URL) and time.monotonic() >= self._down_until

    def client(self) -> Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                # One immediate retry: a pooled connection may be stale after a Redis restart.
                retry=Retry(NoBackoff(), 1),
            )
            self._clients[loop] = client
        return client

    def failed(self, operation: str) -> None:
        """Count on this worker alone for a while, rather than wait on Redis for every check."""
        self._down_until = time.monotonic() + FALLBACK_SECONDS
        logger.warning(
            "redis unreachable: limits are per worker for a few seconds",
            extra={"reason": operation},
        )


shared_redis = RedisClients()
