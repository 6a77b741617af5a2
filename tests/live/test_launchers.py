"""The same behaviour whichever way daphne is started (issue 20): ``python -m medstream.serve``
and the Channels documentation's ``daphne medstream.asgi:application``.

Before ``medstream.launch`` adapted daphne at load, the second closed a 70 KB frame with 1011
instead of 1009, dropped the TCP connection on a 3 MB one, lost every close reason and stopped at
once on SIGTERM instead of draining.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from devtools.cluster import Daphne, live_environment, prepare_database

pytestmark = pytest.mark.live

SOCKET_CAP = 2


@pytest.fixture(scope="module", params=["serve", "daphne"])
def launched(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Daphne]:
    var = tmp_path_factory.mktemp(f"launcher-{request.param}")
    env = live_environment(var, WS_MAX_SOCKETS_PER_USER=str(SOCKET_CAP))
    prepare_database(env)
    server = Daphne(env, launcher=request.param, name=f"launched-by-{request.param}").start()
    yield server
    server.stop()


async def closed_by(socket) -> ConnectionClosed:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await socket.recv()
    return closed.value


@pytest.mark.parametrize("size", [70_000, 3_000_000])
async def test_an_oversized_frame_is_closed_with_1009(launched, size):
    async with connect(launched.ticket_url("demo"), max_size=None) as socket:
        await socket.send(json.dumps({"type": "chat", "data": {"message": "x" * size}}))
        closed = await closed_by(socket)
    assert closed.rcvd is not None, "the connection was dropped without a close frame"
    assert closed.rcvd.code == 1009


async def test_a_socket_over_the_cap_hears_why(launched):
    url = launched.ticket_url
    async with connect(url("demo")), connect(url("demo")), connect(url("demo")) as third:
        closed = await closed_by(third)
    assert (closed.rcvd.code, closed.rcvd.reason) == (1008, "too many open sockets (at most 2)")


async def test_a_stream_frame_larger_than_the_client_limit_is_still_sent(launched):
    note = "cough and fever for three days. " * 300
    data = {"note": note, "history": {"age": 40, "sex": "female"}}
    async with connect(launched.ticket_url("demo"), max_size=None) as socket:
        await socket.send(json.dumps({"type": "diagnosis", "data": data}))
        sizes = []
        while True:
            text = await socket.recv()
            sizes.append(len(text))
            if json.loads(text)["type"] in {"complete", "error"}:
                break
    assert json.loads(text)["type"] == "complete"
    assert max(sizes) > 9_000


def test_the_listening_socket_holds_a_burst_of_handshakes(launched):
    listening = subprocess.run(
        ["ss", "-Hltn", f"sport = :{launched.port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert listening[0] == "LISTEN"
    assert int(listening[2]) == 1024  # Send-Q of a listening socket: its backlog


async def test_sigterm_drains_and_closes_sockets_with_1012(launched):
    async with connect(launched.ticket_url("demo")) as socket:
        launched.process.send_signal(signal.SIGTERM)
        closed = await closed_by(socket)
    assert closed.rcvd.code == 1012
    assert launched.process.wait(timeout=20) == 0
    launched.start()
