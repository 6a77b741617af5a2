"""Rates per user (stream starts, messages), by GCRA: the generic cell rate algorithm, a token
bucket kept as one timestamp. A user may spend ``limit`` at once, then one every
``window / limit`` seconds, and a refusal says exactly how long to wait (``retry_after``).
Refusals cost nothing, so a flood cannot push its own budget further out; the consumer closes a
socket whose refusals show a flood (:class:`FloodGuard`). Counted in Redis when ``REDIS_URL`` is
set (one Lua script, one round trip), so every worker enforces the same budget.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from clinical.limits.redis_backend import KEY_PREFIX, REDIS_FAILURES, shared_redis

# GCRA: KEYS[1] holds the theoretical arrival time (TAT). Allowed when the new TAT is at most
# one window ahead of now; Redis's own clock keeps the workers' clocks out of it.
_RATE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat + interval - now - window
if wait > 0 then return {0, string.format('%.6f', wait)} end
redis.call('SET', KEYS[1], string.format('%.6f', tat + interval),
           'PX', math.ceil((tat + interval - now) * 1000))
return {1, '0'}
"""


# Free pings a socket may send a minute: one a second, above the portal's 40 (one every 1.5 s).
PINGS_FREE_PER_MINUTE = 60


@dataclass(frozen=True)
class Rate:
    """``limit`` per ``window`` seconds, counted per user under ``name``."""

    name: str
    limit: int
    window: float = 60.0
    label: str = ""

    @property
    def interval(self) -> float:
        return self.window / self.limit

    def key(self, user_id: Any) -> str:
        # The limit is part of the key, so a changed setting starts from a clean budget.
        return f"{KEY_PREFIX}:rate:{self.name}:{self.limit}/{self.window:g}:{user_id}"


def stream_starts() -> Rate:
    return Rate("starts", settings.STREAM_STARTS_PER_MINUTE, label="stream starts")


def messages() -> Rate:
    return Rate("messages", settings.WS_MESSAGES_PER_MINUTE, label="messages")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0

    @property
    def retry_after_seconds(self) -> float:
        """Seconds to wait, rounded up to the millisecond (what the error frame carries)."""
        return max(0.001, math.ceil(self.retry_after * 1000) / 1000)


class RateLimited(Exception):
    """A refused check: answered ``rate_limited`` with ``retry_after``."""

    def __init__(self, rate: Rate, decision: Decision) -> None:
        super().__init__(f"{rate.name} rate limited")
        self.rate, self.decision = rate, decision


class MemoryRates:
    """GCRA in this process's memory (the embedded default, and the fallback)."""

    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    def hit(self, rate: Rate, user_id: Any) -> Decision:
        now = time.monotonic()
        key = rate.key(user_id)
        tat = max(self._tat.get(key, now), now)
        wait = tat + rate.interval - now - rate.window
        if wait > 0:
            return Decision(False, wait)
        self._tat[key] = tat + rate.interval
        if len(self._tat) > self.MAX_KEYS:
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return Decision(True)


class RateLimiter:
    """Shared (Redis) or local (memory) GCRA rate limits per user."""

    def __init__(self) -> None:
        self.memory = MemoryRates()

    async def hit(self, rate: Rate, user_id: Any) -> Decision:
        if shared_redis.usable:
            try:
                return await self._hit_redis(rate, user_id)
            except REDIS_FAILURES:
                shared_redis.failed("rate")
        return self.memory.hit(rate, user_id)

    async def _hit_redis(self, rate: Rate, user_id: Any) -> Decision:
        client = shared_redis.client()
        allowed, wait = await client.eval(
            _RATE_SCRIPT, 1, rate.key(user_id), repr(rate.interval), repr(rate.window)
        )
        return Decision(bool(int(allowed)), float(wait))


class FloodGuard:
    """Refusals of one socket within a window: a client that keeps sending after being told to
    wait, past ``factor`` times the message limit in one window, is flooding."""

    def __init__(self, rate: Rate, factor: int) -> None:
        self.allowed_refusals = rate.limit * (factor - 1)
        self.window = rate.window
        self._started = 0.0
        self._refusals = 0

    def refused(self) -> bool:
        """Note one refused message; True when this one makes it a flood."""
        now = time.monotonic()
        if now - self._started > self.window:
            self._started, self._refusals = now, 0
        self._refusals += 1
        return self._refusals > self.allowed_refusals


class PingAllowance:
    """One socket's free heartbeat pings: ``limit`` in each window, answered without spending
    the user's message rate. The portal pings every 1.5 s on each tab (``connection.js``), so
    pings counted among the user's ``WS_MESSAGES_PER_MINUTE`` (120, over all their sockets)
    would leave three tabs no budget; a ping past the allowance counts as a message like any
    other, so the rate and the flood guard still stop a client that pings in a loop."""

    def __init__(self, limit: int | None = None, window: float = 60.0) -> None:
        self.limit = PINGS_FREE_PER_MINUTE if limit is None else limit
        self.window = window
        self._started = 0.0
        self._used = 0

    def free(self) -> bool:
        """Note one ping; True while this socket's pings in the window are within the limit."""
        now = time.monotonic()
        if now - self._started > self.window:
            self._started, self._used = now, 0
        self._used += 1
        return self._used <= self.limit


rates = RateLimiter()
