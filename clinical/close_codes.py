"""Every WebSocket close code the service sends, defined once (README, "Close codes").

The 1000-range codes are the IANA-registered ones RFC 6455 defines; the 4000-range ones are the
service's own, named after the HTTP status they mirror. ``REGISTERED`` is what the server must
be allowed to send (medstream.launch lifts autobahn's refusal of them).
"""

from __future__ import annotations

POLICY = 1008
TOO_BIG = 1009
INTERNAL_ERROR = 1011
SERVICE_RESTART = 1012
TRY_AGAIN_LATER = 1013
UNAUTHENTICATED = 4401
FORBIDDEN = 4403

# 1001 (going away) is sent by daphne itself when the server stops.
REGISTERED = frozenset({1001, POLICY, TOO_BIG, INTERNAL_ERROR, SERVICE_RESTART, TRY_AGAIN_LATER})
