"""The seed's four tests against a live daphne, with a real `websockets` client and a ticket."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import DIAGNOSIS_REQUEST, PRESCRIPTION_REQUEST

pytestmark = pytest.mark.live


async def until_terminal(socket) -> list[dict]:
    frames = []
    while True:
        frame = json.loads(await socket.recv())
        frames.append(frame)
        if frame["type"] == "complete" or (frame["type"] == "error" and "seq" in frame):
            return frames


async def test_a_diagnosis_streams_live(daphne_worker):
    async with connect(daphne_worker.ticket_url("demo")) as socket:
        await socket.send(json.dumps({"type": "diagnosis", "data": DIAGNOSIS_REQUEST}))
        frames = await until_terminal(socket)

    assert frames[0]["type"] == "accepted"
    assert [f["seq"] for f in frames] == list(range(len(frames)))
    assert [f["progress"] for f in frames if f["type"] == "progress"] == [10, 30, 50, 70, 90, 100]
    assert frames[-1]["result"]["primary_diagnosis"]


async def test_a_prescription_streams_live(daphne_worker):
    async with connect(daphne_worker.ticket_url("demo")) as socket:
        await socket.send(json.dumps({"type": "prescription", "data": PRESCRIPTION_REQUEST}))
        frames = await until_terminal(socket)

    assert [f["progress"] for f in frames if f["type"] == "progress"] == [10, 30, 60, 80, 95, 100]
    assert "medications" in frames[-1]["result"]


async def test_chat_comes_back_to_the_sender_live(daphne_worker):
    async with connect(daphne_worker.ticket_url("demo")) as socket:
        await socket.send(json.dumps({"type": "chat", "data": {"message": "hello team"}}))
        frame = json.loads(await socket.recv())

    assert frame["type"] == "chat" and frame["message"]["text"] == "hello team"


async def test_an_unknown_type_is_an_error_live(daphne_worker):
    async with connect(daphne_worker.ticket_url("demo")) as socket:
        await socket.send(json.dumps({"type": "invalid_type"}))
        frame = json.loads(await socket.recv())
        await socket.send(json.dumps({"type": "chat", "data": {"message": "still open"}}))
        after = json.loads(await socket.recv())

    assert frame["code"] == "unknown_type"
    assert after["type"] == "chat"


async def test_resume_after_a_dropped_connection_live(daphne_worker):
    async with connect(daphne_worker.ticket_url("demo")) as socket:
        await socket.send(json.dumps({"type": "diagnosis", "data": DIAGNOSIS_REQUEST}))
        first = [json.loads(await socket.recv()) for _ in range(3)]

    async with connect(daphne_worker.ticket_url("demo")) as socket:
        resume = {"session_id": first[0]["session_id"], "last_seq": first[-1]["seq"]}
        await socket.send(json.dumps({"type": "resume", "data": resume}))
        rest = await until_terminal(socket)

    assert [f["seq"] for f in first + rest] == list(range(len(first) + len(rest)))


@pytest.mark.parametrize(
    ("suffix", "origin", "code"),
    [("", None, 4401), ("?ticket=nope", None, 4401)],
)
async def test_refused_sockets_get_their_close_code_live(daphne_worker, suffix, origin, code):
    async with connect(f"{daphne_worker.ws}/ws/1/{suffix}") as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert closed.value.rcvd.code == code


async def test_a_spent_ticket_is_refused_live(daphne_worker):
    url = daphne_worker.ticket_url("demo")
    async with connect(url) as socket:
        await socket.send(json.dumps({"type": "chat", "data": {"message": "once"}}))
        await socket.recv()

    async with connect(url) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert closed.value.rcvd.code == 4401


async def test_a_foreign_origin_is_refused_live(daphne_worker):
    url = daphne_worker.ticket_url("demo")
    async with connect(url, origin="https://evil.example") as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert closed.value.rcvd.code == 4403


def test_health_and_readiness_answer_live(daphne_worker):
    import urllib.request

    with urllib.request.urlopen(f"{daphne_worker.http}/readyz", timeout=5) as response:
        body = json.loads(response.read())

    assert body == {"status": "ready", "checks": {"database": "ok", "channel_layer": "ok"}}
