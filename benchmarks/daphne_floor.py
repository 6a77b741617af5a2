"""The transport floor under medstream: daphne answering like the bare server, doing nothing else.

``daphne benchmarks.daphne_floor:application`` with ``BENCH_FRAMES`` naming the frames file.
A plain ASGI application (no Django, no Channels): what is left is daphne, Twisted and
autobahn's WebSocket handling, so the difference to the bare ``websockets`` server is the
server's cost and the difference to medstream is medstream's own work.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

FRAMES = Path(os.environ["BENCH_FRAMES"]).read_text().splitlines()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            for frame in FRAMES:
                await send({"type": "websocket.send", "text": frame})
        else:
            return
