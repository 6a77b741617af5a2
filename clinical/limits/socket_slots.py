"""The per-user cap on open sockets, across workers.

Open sockets are slots in a sorted set per user, each with an expiry that the worker holding
the socket renews every third of ``WS_SOCKET_SLOT_SECONDS``: a worker killed with its sockets
open stops renewing, and its slots free themselves within that time.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from django.conf import settings

from clinical import background
from clinical.limits.redis_backend import KEY_PREFIX, REDIS_FAILURES, shared_redis
from clinical.streams.groups import LAYER_CALL_SECONDS

# Redis's own clock in milliseconds, so every worker's slots expire by one clock.
_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Open sockets: a sorted set of slot -> expiry (ms). Expired slots go first, then the cap.
_ACQUIRE_SCRIPT = (
    _NOW_MS
    + """
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1])
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""
)

# Renewal re-adds a slot that vanished (a Redis restart): the socket is open, so it counts.
_RENEW_SCRIPT = (
    _NOW_MS
    + """
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""
)

_COUNT_SCRIPT = (
    _NOW_MS
    + """
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""
)


class SocketSlots:
    """The per-user cap on open sockets, across workers (Redis) or on this one (memory)."""

    def __init__(self) -> None:
        self._local: dict[str, Any] = {}  # slot -> user id, for every socket open here
        self._renewal: asyncio.Task[None] | None = None

    @staticmethod
    def key(user_id: Any) -> str:
        return f"{KEY_PREFIX}:sockets:{user_id}"

    async def acquire(self, user_id: Any) -> str | None:
        """A slot for a new socket of ``user_id``, or None when the user is at the cap."""
        slot = uuid.uuid4().hex
        cap = settings.WS_MAX_SOCKETS_PER_USER
        allowed = None
        if shared_redis.usable:
            try:
                allowed = await self._acquire_redis(user_id, slot, cap)
            except REDIS_FAILURES:
                shared_redis.failed("sockets")
        if allowed is None:
            allowed = self.local_count(user_id) < cap
        if not allowed:
            return None
        self._local[slot] = user_id
        self._ensure_renewal()
        return slot

    def release(self, slot: str | None) -> asyncio.Task[None] | None:
        """Free a closed socket's slot without waiting: at once on this worker (it is no longer
        renewed or counted here), and in Redis by a task of its own, bounded (a disconnect must
        not wait on Redis; should that call fail, the slot expires within
        ``WS_SOCKET_SLOT_SECONDS``). Returns that task, or None when there is nothing to free."""
        user_id = self._local.pop(slot, None) if slot else None
        if user_id is None or not settings.REDIS_URL:
            return None
        return background.run_detached(self._release_in_redis(user_id, slot), "socket_slot")

    async def _release_in_redis(self, user_id: Any, slot: str) -> None:
        try:
            await asyncio.wait_for(
                shared_redis.client().zrem(self.key(user_id), slot), LAYER_CALL_SECONDS
            )
        except REDIS_FAILURES:
            shared_redis.failed("sockets")

    def local_count(self, user_id: Any) -> int:
        return sum(1 for owner in self._local.values() if owner == user_id)

    async def count(self, user_id: Any) -> int:
        """Open sockets of ``user_id`` across the workers that share this Redis, or here."""
        if not settings.REDIS_URL:
            return self.local_count(user_id)
        return int(await shared_redis.client().eval(_COUNT_SCRIPT, 1, self.key(user_id)))

    async def _acquire_redis(self, user_id: Any, slot: str, cap: int) -> bool:
        ttl_ms = str(settings.WS_SOCKET_SLOT_SECONDS * 1000)
        result = await shared_redis.client().eval(
            _ACQUIRE_SCRIPT, 1, self.key(user_id), slot, str(cap), ttl_ms
        )
        return bool(int(result))

    def _ensure_renewal(self) -> None:
        """Renew this worker's slots from a task on the running loop (started once per loop)."""
        if not settings.REDIS_URL:
            return
        loop = asyncio.get_running_loop()
        task = self._renewal
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._renewal = loop.create_task(self._renew_forever(), name="socket-slot-renewal")

    async def _renew_forever(self) -> None:
        while self._local:
            await asyncio.sleep(settings.WS_SOCKET_SLOT_SECONDS / 3)
            if shared_redis.usable:
                try:
                    await self.renew()
                except REDIS_FAILURES:
                    shared_redis.failed("sockets")

    async def renew(self) -> None:
        """Push the expiry of every slot held here one lease ahead (one pipelined round trip)."""
        ttl_ms = str(settings.WS_SOCKET_SLOT_SECONDS * 1000)
        async with shared_redis.client().pipeline(transaction=False) as pipe:
            for slot, user_id in list(self._local.items()):
                pipe.eval(_RENEW_SCRIPT, 1, self.key(user_id), slot, ttl_ms)
            await pipe.execute()


sockets = SocketSlots()
