"""Two daphne workers, a real Redis and a real PostgreSQL: fan-out, resume anywhere, takeover,
drain and outages, each proven over real sockets.

Streams take milliseconds, so "mid-stream" is made exact with an :class:`EventGate`: the database
holds back the write of one event batch until the test opens the gate.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from clinical import engine
from devtools.cluster import Daphne, EventGate, wait_until
from tests.conftest import DIAGNOSIS_REQUEST

pytestmark = pytest.mark.live

EVENTS = list(engine.diagnose(DIAGNOSIS_REQUEST))
LAST_SEQ = len(EVENTS)
# seq of each stage's progress frame (seq 0 is "accepted"): each starts a stored batch.
STAGE_STARTS = [seq for seq, event in enumerate(EVENTS, start=1) if event["type"] == "progress"]


async def receive(socket, seconds: float = 15) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), seconds))


async def frames_through(socket, last_seq: int) -> list[dict]:
    frames = []
    while not frames or frames[-1]["seq"] < last_seq:
        frames.append(await receive(socket))
    return frames


async def until_terminal(socket, seconds: float = 15) -> list[dict]:
    frames = []
    while True:
        frame = await receive(socket, seconds)
        frames.append(frame)
        if frame["type"] == "complete" or (frame["type"] == "error" and "seq" in frame):
            return frames


async def silent(socket, seconds: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(socket.recv(), seconds)
    except TimeoutError:
        return True
    return False


def stored(worker: Daphne, session_id: str) -> list[dict]:
    request = urllib.request.Request(
        f"{worker.http}/api/sessions/{session_id}/events/?after_seq=-1",
        headers={"Authorization": f"Token {worker.token('demo')}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["events"]


def session_row(cluster, session_id: str) -> dict:
    with cluster.postgres.connect() as connection:
        row = connection.execute(
            "SELECT status, takeovers, worker_id, failure_reason FROM clinical_streamsession "
            "WHERE id = %s",
            (session_id,),
        ).fetchone()
    return dict(zip(["status", "takeovers", "worker_id", "failure_reason"], row, strict=True))


def assert_exactly_once(frames: list[dict], first_seq: int = 0) -> None:
    assert [f["seq"] for f in frames] == list(range(first_seq, LAST_SEQ + 1))


def start_message() -> str:
    return json.dumps({"type": "diagnosis", "data": DIAGNOSIS_REQUEST})


def ready(worker: Daphne) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{worker.http}/readyz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def workers(cluster) -> tuple[Daphne, Daphne]:
    """The two workers, restarted if an earlier test stopped one."""
    for daphne in cluster.daphnes:
        if daphne.process.poll() is not None:
            daphne.start()
    return cluster.daphnes[0], cluster.daphnes[1]


async def test_a_users_sockets_on_two_workers_see_the_same_stream(workers):
    first, second = workers
    async with (
        connect(first.ticket_url("demo")) as here,
        connect(second.ticket_url("demo")) as there,
    ):
        await here.send(start_message())
        sent = await until_terminal(here)
        seen = await until_terminal(there)

    assert_exactly_once(sent)
    assert seen == sent


async def test_a_team_message_reaches_every_socket_on_every_worker_once(workers):
    first, second = workers
    async with (
        connect(first.ticket_url("demo")) as sender,
        connect(second.ticket_url("reviewer")) as colleague,
        connect(second.ticket_url("demo")) as senders_tablet,
    ):
        await sender.send(json.dumps({"type": "chat", "data": {"message": "bed 4 BP?"}}))
        for socket in (sender, colleague, senders_tablet):
            frame = await receive(socket)
            assert frame["message"]["text"] == "bed 4 BP?"
            assert await silent(socket)


@pytest.mark.parametrize("gate_seq", STAGE_STARTS[1:])
@pytest.mark.parametrize("open_before_resume", [False, True])
async def test_resume_on_the_other_worker_mid_stream_is_exact(
    cluster, workers, gate_seq, open_before_resume
):
    first, second = workers
    with EventGate(cluster.postgres, gate_seq) as gate:
        async with connect(first.ticket_url("demo")) as socket:
            await socket.send(start_message())
            seen = await frames_through(socket, gate_seq - 1)
        async with connect(second.ticket_url("demo")) as socket:
            if open_before_resume:
                gate.open()
            resume = {"session_id": seen[0]["session_id"], "last_seq": gate_seq - 1}
            await socket.send(json.dumps({"type": "resume", "data": resume}))
            gate.open()
            rest = await until_terminal(socket)
            assert await silent(socket)

    assert_exactly_once(seen + rest)
    assert seen + rest == stored(second, seen[0]["session_id"])


async def test_a_stream_whose_worker_is_killed_is_finished_by_another(
    cluster, workers, live_figures
):
    doomed, survivor = workers
    gate_seq = STAGE_STARTS[3]
    with EventGate(cluster.postgres, gate_seq) as gate:
        async with connect(doomed.ticket_url("demo")) as socket:
            await socket.send(start_message())
            seen = await frames_through(socket, gate_seq - 1)
            doomed.kill()
            killed_at = time.monotonic()
        gate.open()
    async with connect(survivor.ticket_url("demo")) as socket:
        resume = {"session_id": seen[0]["session_id"], "last_seq": gate_seq - 1}
        await socket.send(json.dumps({"type": "resume", "data": resume}))
        first = await receive(socket, seconds=30)
        taken_over_after = time.monotonic() - killed_at
        rest = [first, *await until_terminal(socket)] if first["type"] != "complete" else [first]

    assert_exactly_once(seen + rest)
    row = session_row(cluster, seen[0]["session_id"])
    assert row["status"] == "completed" and row["takeovers"] == 1
    assert row["worker_id"] == survivor.worker_id
    assert 5 <= taken_over_after <= 12
    live_figures["takeover after kill -9 (lease 5 s), s"] = round(taken_over_after, 2)


async def test_sigterm_lets_a_running_stream_finish_then_closes_sockets_with_1012(cluster, workers):
    draining, _ = workers
    gate_seq = STAGE_STARTS[2]
    with EventGate(cluster.postgres, gate_seq) as gate:
        async with connect(draining.ticket_url("demo")) as socket:
            await socket.send(start_message())
            seen = await frames_through(socket, gate_seq - 1)
            draining.process.send_signal(signal.SIGTERM)
            wait_until(lambda: ready(draining)[0] == 503, 5, "readyz to report draining")
            gate.open()
            rest = await until_terminal(socket)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(socket)
    assert closed.value.rcvd.code == 1012
    assert draining.process.wait(timeout=10) == 0
    assert_exactly_once(seen + rest)
    assert session_row(cluster, seen[0]["session_id"])["status"] == "completed"


async def test_sigterm_hands_a_stuck_stream_over_to_another_worker(cluster, workers):
    draining, other = workers
    gate_seq = STAGE_STARTS[2]
    with EventGate(cluster.postgres, gate_seq) as gate:
        async with connect(draining.ticket_url("demo")) as socket:
            await socket.send(start_message())
            seen = await frames_through(socket, gate_seq - 1)
            draining.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(socket, seconds=20)
        assert closed.value.rcvd.code == 1012
        assert draining.process.wait(timeout=15) == 0
        gate.open()
    async with connect(other.ticket_url("demo")) as socket:
        resume = {"session_id": seen[0]["session_id"], "last_seq": gate_seq - 1}
        await socket.send(json.dumps({"type": "resume", "data": resume}))
        rest = await until_terminal(socket, seconds=30)

    assert_exactly_once(seen + rest)
    assert session_row(cluster, seen[0]["session_id"])["status"] == "completed"


async def test_a_redis_restart_mid_stream_loses_nothing(cluster, workers):
    first, second = workers
    gate_seq = STAGE_STARTS[3]
    with EventGate(cluster.postgres, gate_seq) as gate:
        async with (
            connect(first.ticket_url("demo")) as starter,
            connect(second.ticket_url("demo")) as follower,
        ):
            await starter.send(start_message())
            seen_here = await frames_through(starter, gate_seq - 1)
            seen_there = await frames_through(follower, gate_seq - 1)
            cluster.redis.restart()
            gate.open()
            rest_here = await until_terminal(starter, seconds=20)
            rest_there = await until_terminal(follower, seconds=20)

    assert_exactly_once(seen_here + rest_here)
    assert seen_there + rest_there == seen_here + rest_here


@pytest.mark.parametrize("layer", ["pubsub", "core"])
async def test_an_idle_socket_outlives_the_redis_clients_5_s_timeout(cluster, layer):
    """channels-redis 4.3 with redis-py 8 closed idle consumers after 5 s (docs/design.md)."""
    worker = Daphne(cluster.env | {"CHANNEL_LAYER": layer}, name=f"idle-{layer}").start()
    try:
        async with connect(worker.ticket_url("demo")) as socket:
            assert await silent(socket, seconds=6.5)
            await socket.send(json.dumps({"type": "chat", "data": {"message": "still there"}}))
            assert (await receive(socket))["message"]["text"] == "still there"
    finally:
        worker.stop()


async def test_a_redis_outage_is_reported_and_recovered_from_without_restart(cluster, workers):
    first, _ = workers
    cluster.redis.stop()
    try:
        status, body = ready(first)
        assert status == 503 and body["checks"]["channel_layer"] != "ok"
        started = time.monotonic()
        async with connect(first.ticket_url("demo")) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(socket)
        assert closed.value.rcvd.code == 1013
        assert time.monotonic() - started < 10
    finally:
        cluster.redis.start()
    wait_until(lambda: ready(first)[0] == 200, 20, "readyz after Redis came back")
    async with connect(first.ticket_url("demo")) as socket:
        await socket.send(start_message())
        assert_exactly_once(await until_terminal(socket))


async def test_a_database_outage_is_reported_and_recovered_from_without_restart(cluster, workers):
    first, _ = workers
    async with connect(first.ticket_url("demo")) as socket:
        cluster.postgres.stop()
        try:
            status, body = ready(first)
            assert status == 503 and body["checks"]["database"] != "ok"
            started = time.monotonic()
            await socket.send(start_message())
            error = await receive(socket)
            assert error["code"] == "unavailable" and "database" in error["error"]
            assert time.monotonic() - started < 10
        finally:
            cluster.postgres.start()
        wait_until(lambda: ready(first)[0] == 200, 20, "readyz after PostgreSQL came back")
        await socket.send(start_message())
        assert_exactly_once(await until_terminal(socket))
