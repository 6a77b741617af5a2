"""Per-user limits: stream starts and messages per minute, open sockets, REST request rates, and
password attempts per client address (the token endpoint, the HTML sign-in forms and the
password-change forms alike).

Counted in Redis when ``REDIS_URL`` is set, so every worker enforces the same budget (each
check is one round trip: a Lua script), and in this process's memory on the embedded default.

Rates use GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): a user
may spend ``limit`` at once, then one every ``window / limit`` seconds, and a refusal says
exactly how long to wait (``retry_after``). Refusals cost nothing, so a flood cannot push its
own budget further out; the consumer closes a socket whose refusals show a flood.

Open sockets are slots in a sorted set per user, each with an expiry that the worker holding
the socket renews every third of ``WS_SOCKET_SLOT_SECONDS``: a worker killed with its sockets
open stops renewing, and its slots free themselves within that time.

If Redis cannot be reached, limits fall back to this worker's memory for a few seconds before
trying again (counted per worker rather than not at all); the channel layer, on the same Redis,
is then down too and sockets are closed with 1013 anyway.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import caches
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.views.decorators.debug import sensitive_variables
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from clinical import background
from clinical.streams.groups import LAYER_CALL_SECONDS

logger = logging.getLogger("clinical.limits")

FALLBACK_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 1.0
KEY_PREFIX = "medstream:limits"
_REDIS_FAILURES = (RedisError, OSError)

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


class _RedisClients:
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


_redis = _RedisClients()


class RateLimiter:
    """Shared (Redis) or local (memory) GCRA rate limits per user."""

    def __init__(self) -> None:
        self.memory = MemoryRates()

    async def hit(self, rate: Rate, user_id: Any) -> Decision:
        if _redis.usable:
            try:
                return await self._hit_redis(rate, user_id)
            except _REDIS_FAILURES:
                _redis.failed("rate")
        return self.memory.hit(rate, user_id)

    async def _hit_redis(self, rate: Rate, user_id: Any) -> Decision:
        client = _redis.client()
        allowed, wait = await client.eval(
            _RATE_SCRIPT, 1, rate.key(user_id), repr(rate.interval), repr(rate.window)
        )
        return Decision(bool(int(allowed)), float(wait))


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
        if _redis.usable:
            try:
                allowed = await self._acquire_redis(user_id, slot, cap)
            except _REDIS_FAILURES:
                _redis.failed("sockets")
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
                _redis.client().zrem(self.key(user_id), slot), LAYER_CALL_SECONDS
            )
        except _REDIS_FAILURES:
            _redis.failed("sockets")

    def local_count(self, user_id: Any) -> int:
        return sum(1 for owner in self._local.values() if owner == user_id)

    async def count(self, user_id: Any) -> int:
        """Open sockets of ``user_id`` across the workers that share this Redis, or here."""
        if not settings.REDIS_URL:
            return self.local_count(user_id)
        return int(await _redis.client().eval(_COUNT_SCRIPT, 1, self.key(user_id)))

    async def _acquire_redis(self, user_id: Any, slot: str, cap: int) -> bool:
        ttl_ms = str(settings.WS_SOCKET_SLOT_SECONDS * 1000)
        result = await _redis.client().eval(
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
            if _redis.usable:
                try:
                    await self.renew()
                except _REDIS_FAILURES:
                    _redis.failed("sockets")

    async def renew(self) -> None:
        """Push the expiry of every slot held here one lease ahead (one pipelined round trip)."""
        ttl_ms = str(settings.WS_SOCKET_SLOT_SECONDS * 1000)
        async with _redis.client().pipeline(transaction=False) as pipe:
            for slot, user_id in list(self._local.items()):
                pipe.eval(_RENEW_SCRIPT, 1, self.key(user_id), slot, ttl_ms)
            await pipe.execute()


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


rates = RateLimiter()
sockets = SocketSlots()


# ---- REST: DRF's throttles, counted in the shared "limits" cache ------------------------------


class _SharedCacheThrottle:
    """DRF's rate throttles, counted in the ``limits`` cache (Redis when ``REDIS_URL`` is set, so
    shared by every worker); if that cache cannot be reached, in this worker's default cache."""

    def allow_request(self, request: Any, view: Any) -> bool:
        self.cache = caches["limits"] if _redis.usable else caches["default"]
        try:
            return super().allow_request(request, view)
        except _REDIS_FAILURES:
            _redis.failed("rest")
            self.cache = caches["default"]
            return super().allow_request(request, view)


class UserThrottle(_SharedCacheThrottle, UserRateThrottle):
    """``API_USER_RATE`` per authenticated user."""


class AnonThrottle(_SharedCacheThrottle, AnonRateThrottle):
    """``API_ANON_RATE`` per client address, for requests without credentials."""


class NoteReadThrottle(_SharedCacheThrottle, UserRateThrottle):
    """``NOTE_READS_PER_MINUTE`` per user for notes read without a stream."""

    scope = "note_read"


class LoginThrottle(_SharedCacheThrottle, AnonRateThrottle):
    """``LOGIN_RATE`` password attempts per client address, one budget over every door that
    checks a password: the token endpoint, the portal's and the admin's sign-in forms, and their
    password-change forms (whose old password a stolen session cookie could guess).

    The address is the one daphne decided (``REMOTE_ADDR``: the peer, or with
    ``--proxy-headers`` what the proxy put in ``X-Forwarded-For``); ``NUM_PROXIES = 0`` keeps
    DRF from reading that header itself. A signed-in caller is counted too: DRF's anonymous
    throttle skips them, which let anyone with a token guess other users' passwords freely.
    """

    scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


# ---- The HTML forms that check a password: the same LoginThrottle ------------------------------

# URL names of the forms that check a password: sign-in and password change, the portal's
# (django.contrib.auth.urls) and the admin's. Matched by name, so a moved prefix is covered.
PASSWORD_FORM_VIEWS = frozenset(
    {"login", "admin:login", "password_change", "admin:password_change"}
)


def _password_form_match(request: HttpRequest) -> ResolverMatch | None:
    """The resolved password-checking view a POST goes to, or None for any other request."""
    if request.method != "POST":
        return None
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return match if match.view_name in PASSWORD_FORM_VIEWS else None


@sensitive_variables("data")
def refused_login(request: HttpRequest, match: ResolverMatch) -> HttpResponse | None:
    """None when this password attempt is within ``LOGIN_RATE`` (and counts it), else the
    429 answer: the same page (sign-in or password change), what was typed kept but the
    passwords, saying how long to wait. The refused attempt's password is never checked."""
    throttle = LoginThrottle()
    if throttle.allow_request(request, None):
        return None
    seconds = max(1, math.ceil(throttle.wait() or 1))
    message = (
        "Too many password attempts from your address: this one was not checked. "
        f"Try again in {seconds} seconds."
    )
    data = request.POST  # read now: once the method is GET, Django would not parse the body
    request.resolver_match = match
    request.method = "GET"  # the view draws its empty form and checks no password
    try:
        response = match.func(request, *match.args, **match.kwargs)
    finally:
        request.method = "POST"
    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(response, TemplateResponse) and isinstance(form, forms.Form):
        response.context_data["form"] = _refused_form(type(form), request, data, message)
        response.render()
    else:  # a signed-in reviewer's admin login redirects, and so does a signed-out password
        # change: say it plainly instead
        response = HttpResponse(message, content_type="text/plain; charset=utf-8")
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response


def _refused_form(
    form_class: type[forms.Form], request: HttpRequest, data: Any, message: str
) -> forms.Form:
    """The view's own form, bound to what was sent, whose only check is the refusal: none of
    its fields is cleaned, since the old password's own check would test it. The message goes
    beside the old password on a password-change form (its pages show only field errors),
    above the form on a sign-in form."""

    class Refused(form_class):  # type: ignore[valid-type, misc]
        def full_clean(self) -> None:
            self._errors = ErrorDict()
            self.cleaned_data = {}
            field = "old_password" if "old_password" in self.fields else None
            self.add_error(field, forms.ValidationError(message, code="rate_limited"))

    # A sign-in form is built for the request; a password-change form for its user.
    owner = request if issubclass(form_class, AuthenticationForm) else request.user
    return Refused(owner, data=data)


class LoginThrottleMiddleware:
    """``LOGIN_RATE`` at the HTML forms that check a password (:func:`refused_login`). Any
    other request passes straight through, in the handler's own mode (no thread hop under
    daphne)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        match = _password_form_match(request)
        refusal = refused_login(request, match) if match else None
        return self.get_response(request) if refusal is None else refusal

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        match = _password_form_match(request)
        if match:
            refusal = await sync_to_async(refused_login)(request, match)
            if refusal is not None:
                return refusal
        return await self.get_response(request)
