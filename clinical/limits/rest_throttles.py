"""REST: DRF's throttles, counted in the shared ``limits`` cache (Redis when ``REDIS_URL``
is set, so shared by every worker)."""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from clinical.limits.redis_backend import REDIS_FAILURES, shared_redis


class _SharedCacheThrottle:
    """DRF's rate throttles, counted in the ``limits`` cache (Redis when ``REDIS_URL`` is set, so
    shared by every worker); if that cache cannot be reached, in this worker's default cache."""

    def allow_request(self, request: Any, view: Any) -> bool:
        self.cache = caches["limits"] if shared_redis.usable else caches["default"]
        try:
            return super().allow_request(request, view)
        except REDIS_FAILURES:
            shared_redis.failed("rest")
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
