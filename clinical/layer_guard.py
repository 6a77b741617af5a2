"""Closing a socket with 1013 (try again later) when the channel layer is unreachable.

A Channels consumer opens its layer channel before it reads a frame, and its receive loop reads
from the layer; with Redis down either raises out of the consumer, which daphne turns into an
HTTP 500 handshake failure or a 1011 close. This wrapper turns that into a clear 1013, so the
client backs off and reconnects (and resumes) once the layer is back.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from clinical import close_codes, metrics

logger = logging.getLogger("clinical.ws")

LAYER_FAILURES = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


class ChannelLayerGuard:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        state = {"accepted": False, "closed": False}

        async def tracking_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except LAYER_FAILURES:
            metrics.layer_errors.labels("socket").inc()
            logger.warning("channel layer unreachable; closing with 1013")
            if state["closed"]:
                return
            if not state["accepted"]:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": close_codes.TRY_AGAIN_LATER})
