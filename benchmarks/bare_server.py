"""The baseline: the fastest WebSocket streaming Python does here, a bare `websockets` server.

``python -m benchmarks.bare_server --port P --frames FILE``

For every message a client sends, it answers with the frames in FILE (one JSON text per line:
the same number and size of frames as a medstream diagnosis stream), already encoded. No
authentication, validation, clinical work, storage or fan-out: what is left is the WebSocket
transport itself, which is what the full stack is measured against.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frames", type=Path, required=True)
    args = parser.parse_args()
    frames = args.frames.read_text().splitlines()

    async def stream(connection: ServerConnection) -> None:
        async for _request in connection:
            for frame in frames:
                await connection.send(frame)

    async def run() -> None:
        async with serve(stream, "127.0.0.1", args.port, max_size=65_536, compression=None):
            await asyncio.get_running_loop().create_future()

    asyncio.run(run())


if __name__ == "__main__":
    main()
