"""In-process sockets through the real ASGI application (cookie sessions, routing, consumer)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from clinical.streams.follow import is_terminal
from clinical.streams.worker import worker
from medstream.asgi import application

# A browser's handshake names the host it connects to; the portal's page comes from that site.
HOST = "localhost"
ORIGIN = f"http://{HOST}"


class Socket:
    """A test client speaking protocol v1 over a WebsocketCommunicator."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    async def send(self, message: dict[str, Any]) -> None:
        await self.communicator.send_to(text_data=orjson.dumps(message).decode())

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_to(bytes_data=data)

    async def receive(self, seconds: float = 10) -> dict[str, Any]:
        return orjson.loads(await self.communicator.receive_from(timeout=seconds))

    async def until_terminal(self, seconds: float = 10) -> list[dict[str, Any]]:
        """Frames up to and including the stream's last (complete, or a terminal error)."""
        frames = []
        while True:
            frame = await self.receive(seconds)
            frames.append(frame)
            if frame["type"] in {"complete", "error"} and "seq" in frame and is_terminal(frame):
                return frames

    async def closed_with(self) -> int:
        output = await self.communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.close", output
        return output.get("code", 1000)

    async def silent(self, seconds: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=seconds)

    async def close(self) -> None:
        await self.communicator.disconnect()


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


OpenSocket = Callable[..., Awaitable[Socket]]


@pytest.fixture
async def open_socket() -> AsyncIterator[OpenSocket]:
    """Open a socket as ``user`` (session cookie) or with a ``ticket``; closed after the test."""
    sockets: list[Socket] = []

    async def open_(
        user: Any = None,
        *,
        path_user_id: Any = None,
        origin: str | None = ORIGIN,
        ticket: str | None = None,
        host: str = HOST,
        forwarded_proto: str | None = None,
    ) -> Socket:
        headers = [(b"host", host.encode())]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if forwarded_proto is not None:
            headers.append((b"x-forwarded-proto", forwarded_proto.encode()))
        if user is not None and ticket is None:
            cookie = await sync_to_async(_session_cookie)(user)
            headers.append((b"cookie", f"sessionid={cookie}".encode()))
        target = path_user_id if path_user_id is not None else getattr(user, "pk", 0)
        path = f"/ws/{target}/" + (f"?ticket={ticket}" if ticket else "")
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        socket = Socket(communicator)
        sockets.append(socket)
        return socket

    yield open_
    for socket in sockets:
        await socket.close()
    await worker.stop()
