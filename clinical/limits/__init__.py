"""Per-user limits: stream starts and messages per minute, open sockets, REST request rates, and
password attempts per client address (the token endpoint, the HTML sign-in forms and the
password-change forms alike), one module per concern:

- ``rate_limits``: stream starts and messages per minute (GCRA), the flood guard, and the
  heartbeat pings a socket may send free of the message rate;
- ``socket_slots``: open sockets per user, across workers;
- ``rest_throttles``: DRF's throttles for REST and the token endpoint's password attempts;
- ``password_forms``: the same password budget at the HTML sign-in and password-change forms;
- ``redis_backend``: the Redis they count in, and the fallback to memory when it is down.

Counted in Redis when ``REDIS_URL`` is set, so every worker enforces the same budget (each
check is one round trip: a Lua script), and in this process's memory on the embedded default.
The service uses the names below (``limits.rates``, ``limits.sockets``, ``limits.RateLimited``).
"""

from __future__ import annotations

from clinical.limits.password_forms import LoginThrottleMiddleware
from clinical.limits.rate_limits import (
    Decision,
    FloodGuard,
    MemoryRates,
    PingAllowance,
    Rate,
    RateLimited,
    RateLimiter,
    messages,
    rates,
    stream_starts,
)
from clinical.limits.rest_throttles import (
    AnonThrottle,
    LoginThrottle,
    NoteReadThrottle,
    UserThrottle,
)
from clinical.limits.socket_slots import SocketSlots, sockets

__all__ = [
    "AnonThrottle",
    "Decision",
    "FloodGuard",
    "LoginThrottle",
    "LoginThrottleMiddleware",
    "MemoryRates",
    "NoteReadThrottle",
    "PingAllowance",
    "Rate",
    "RateLimited",
    "RateLimiter",
    "SocketSlots",
    "UserThrottle",
    "messages",
    "rates",
    "sockets",
    "stream_starts",
]
