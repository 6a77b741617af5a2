"""Every door, shut across two live daphne workers sharing a real Redis and PostgreSQL, with
strict limits: isolation, socket cap, rates, floods, pings, frame size, REST throttles, the audit
trail's addresses and PostgreSQL's refusal to change it, and clean worker logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as sync_connect

from devtools.cluster import Cluster, Daphne
from tests.conftest import DIAGNOSIS_REQUEST
from tests.security.live import RawSocket, create_users, request, ticket_url

pytestmark = pytest.mark.live

STRICT = {
    "WS_MAX_SOCKETS_PER_USER": "3",
    "WS_SOCKET_SLOT_SECONDS": "3",
    "STREAM_STARTS_PER_MINUTE": "3",
    "WS_MESSAGES_PER_MINUTE": "10",
    "WS_PING_INTERVAL_SECONDS": "1",
    "WS_PING_TIMEOUT_SECONDS": "2",
    "WS_MAX_FRAME_BYTES": "4096",
    "API_ANON_RATE": "3/minute",
    "API_USER_RATE": "600/minute",
}
USERS = [
    ("owner", "clinician"),
    ("stranger", "clinician"),
    ("senior", "reviewer"),
    ("nobody", None),
    ("capped", "clinician"),
    ("chatty", "clinician"),
    ("starter", "clinician"),
    ("flooder", "clinician"),
    ("pinger", "clinician"),
    ("big", "clinician"),
    ("auditor", "clinician"),
    ("logger", "clinician"),
]
PATIENT_NOTE = "Zebulon Quillfeather, 72, of 4 Privet Drive: xylophagous rash since Tuesday"
MARKERS = ["Quillfeather", "Privet", "xylophagous"]


@pytest.fixture(scope="module")
def strict() -> Iterator[Cluster]:
    """Redis, PostgreSQL and two daphne workers with the STRICT limits."""
    directory = Path(tempfile.mkdtemp(prefix="medstream-security-"))
    directory.chmod(0o755)  # PostgreSQL's own user enters it when the tests run as root
    cluster = Cluster(directory / "cluster", workers=2, extra_env=STRICT)
    try:
        cluster.start()
        cluster.tokens = create_users(cluster.env, USERS)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def workers(strict: Cluster) -> tuple[Daphne, Daphne]:
    """The two workers, restarted if an earlier test killed one."""
    for daphne in strict.daphnes:
        if daphne.process.poll() is not None:
            daphne.start()
    return strict.daphnes[0], strict.daphnes[1]


def url(cluster: Cluster, worker: Daphne, user: str) -> str:
    return ticket_url(worker, cluster.tokens[user])


async def receive(socket: Any, seconds: float = 10) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), seconds))


async def until(socket: Any, predicate: Any, seconds: float = 10) -> dict[str, Any]:
    """The first frame that satisfies ``predicate`` (others are skipped)."""
    while True:
        frame = await receive(socket, seconds)
        if predicate(frame):
            return frame


async def until_terminal(socket: Any) -> list[dict[str, Any]]:
    frames = []
    while not frames or not (
        frames[-1]["type"] == "complete" or (frames[-1]["type"] == "error" and "seq" in frames[-1])
    ):
        frames.append(await receive(socket))
    return frames


def without_timestamp(frame: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in frame.items() if key != "timestamp"}


def rows(cluster: Cluster, sql: str, *params: Any) -> list[tuple]:
    with cluster.postgres.connect() as connection:
        return connection.execute(sql, params).fetchall()


async def refusal_of(socket_url: str) -> tuple[dict[str, Any], int, str]:
    """The error frame and close (code, reason) of a socket refused after accept."""
    async with connect(socket_url) as socket:
        frame = await receive(socket)
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)
    return frame, closed.value.rcvd.code, closed.value.rcvd.reason


async def first_answer(socket_url: str) -> str:
    """The code of the first frame on a new socket that asks something wrong: a refused socket
    says ``too_many_sockets`` (then closes), an accepted one ``unknown_type``."""
    async with connect(socket_url) as socket:
        with contextlib.suppress(ConnectionClosed):
            await socket.send(json.dumps({"type": "nope"}))
        return (await receive(socket))["code"]


# ---- isolation across workers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def owners_session(strict: Cluster) -> list[dict[str, Any]]:
    """The frames of a diagnosis the owner ran on the first worker."""
    with sync_connect(url(strict, strict.daphnes[0], "owner")) as socket:
        socket.send(json.dumps({"type": "diagnosis", "data": DIAGNOSIS_REQUEST}))
        frames = [json.loads(socket.recv(timeout=10))]
        while frames[-1]["type"] != "complete":
            frames.append(json.loads(socket.recv(timeout=10)))
    return frames


async def test_a_session_is_its_owners_on_every_worker_and_a_reviewers_by_permission(
    strict, workers, owners_session
):
    _, second = workers
    frames = owners_session
    session_id = frames[0]["session_id"]
    # Frames the server sends are not bound by the client's frame limit (4096 bytes here).
    assert max(len(json.dumps(frame)) for frame in frames) > int(STRICT["WS_MAX_FRAME_BYTES"])
    missing = str(uuid.uuid4())

    async with connect(url(strict, second, "stranger")) as stranger:
        for kind, data in [
            ("resume", {"last_seq": -1}),
            ("cancel", {}),
            ("chat", {"message": "bed 4?"}),
        ]:
            answers = []
            for target in (session_id, missing):
                message = {"type": kind, "data": data | {"session_id": target}}
                await stranger.send(json.dumps(message | {"request_id": kind}))
                answers.append(without_timestamp(await receive(stranger)))
            assert answers[0] == answers[1], kind
            assert answers[0]["code"] == "not_found"
    for suffix in ["", "events/?after_seq=-1", "chat/", "reviews/", "fhir/"]:
        token = strict.tokens["stranger"]
        theirs = request(second, "GET", f"/api/sessions/{session_id}/{suffix}", token)
        absent = request(second, "GET", f"/api/sessions/{missing}/{suffix}", token)
        assert theirs[0] == absent[0] == 404 and theirs[2] == absent[2], suffix

    async with connect(url(strict, second, "senior")) as senior:
        resume = {"session_id": session_id, "last_seq": -1}
        await senior.send(json.dumps({"type": "resume", "data": resume}))
        assert await until_terminal(senior) == frames
    assert request(second, "GET", f"/api/sessions/{session_id}/", strict.tokens["senior"])[0] == 200


async def test_a_user_without_the_clinician_role_starts_nothing_on_any_worker(strict, workers):
    for worker in workers:
        async with connect(url(strict, worker, "nobody")) as socket:
            await socket.send(json.dumps({"type": "diagnosis", "data": DIAGNOSIS_REQUEST}))
            assert (await receive(socket))["code"] == "forbidden"
        status, _, body = request(
            worker, "POST", "/api/sessions/diagnosis/", strict.tokens["nobody"], DIAGNOSIS_REQUEST
        )
        assert status == 403 and body["code"] == "forbidden"

    stored = rows(
        strict,
        "SELECT count(*) FROM clinical_streamsession s JOIN auth_user u ON u.id = s.owner_id "
        "WHERE u.username = 'nobody'",
    )
    assert stored == [(0,)]


def test_not_found_takes_as_long_for_someone_elses_session_as_for_a_missing_one(
    strict, workers, owners_session
):
    _, second = workers
    session_id = owners_session[0]["session_id"]
    token = strict.tokens["stranger"]
    timings: dict[str, list[float]] = {"theirs": [], "missing": []}
    for _ in range(15):
        for name, target in (("theirs", session_id), ("missing", uuid.uuid4())):
            started = time.perf_counter()
            status, _, _ = request(second, "GET", f"/api/sessions/{target}/", token)
            timings[name].append(time.perf_counter() - started)
            assert status == 404

    theirs, missing = (statistics.median(timings[name]) for name in ("theirs", "missing"))
    assert abs(theirs - missing) < max(0.005, 0.5 * min(theirs, missing)), timings


# ---- connection policy ------------------------------------------------------------------------


async def test_an_idle_client_that_ignores_pings_is_dropped_and_one_that_answers_stays(
    strict, workers
):
    first, _ = workers
    silent = RawSocket(url(strict, first, "pinger"))
    async with connect(url(strict, first, "pinger"), ping_interval=None) as polite:
        try:
            opcodes, dropped_after = await asyncio.to_thread(silent.opcodes_until_dropped, 15)
        finally:
            silent.close()
        await polite.send(json.dumps({"type": "nope"}))
        assert (await receive(polite))["code"] == "unknown_type"

    assert 0x9 in opcodes  # pinged at least once, never answered
    # Idle for the ping interval (1 s, checked every 2 s), then the 2 s ping timeout.
    assert 2 <= dropped_after <= 8


async def test_daphne_closes_a_frame_over_the_limit_with_1009(strict, workers):
    first, _ = workers
    async with connect(url(strict, first, "big")) as socket:
        await socket.send(json.dumps({"type": "chat", "data": {"message": "x" * 5000}}))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)

    assert closed.value.rcvd.code == 1009


async def test_the_socket_cap_is_shared_by_the_workers_and_a_killed_workers_slots_expire(
    strict, workers
):
    first, second = workers
    async with (
        connect(url(strict, first, "capped")),
        connect(url(strict, first, "capped")),
        connect(url(strict, second, "capped")),
    ):
        frame, code, reason = await refusal_of(url(strict, second, "capped"))
        assert frame["code"] == "too_many_sockets"
        assert (code, reason) == (1008, "too many open sockets (at most 3)")
        first.kill()
        killed_at = time.monotonic()
        assert (await refusal_of(url(strict, second, "capped")))[1] == 1008
        while (answer := await first_answer(url(strict, second, "capped"))) != "unknown_type":
            assert answer == "too_many_sockets" and time.monotonic() - killed_at < 10
            await asyncio.sleep(0.2)

    # WS_SOCKET_SLOT_SECONDS is 3: the dead worker's two slots lapse within it.
    assert time.monotonic() - killed_at < 6


# ---- rates and floods -------------------------------------------------------------------------


async def test_the_message_rate_is_shared_by_the_workers(strict, workers):
    first, second = workers
    nope = json.dumps({"type": "nope", "request_id": "n"})
    async with (
        connect(url(strict, first, "chatty")) as here,
        connect(url(strict, second, "chatty")) as there,
    ):
        for socket, count in ((here, 6), (there, 4)):
            for _ in range(count):
                await socket.send(nope)
                assert (await receive(socket))["code"] == "unknown_type"
        await there.send(nope)
        refusal = await receive(there)

    assert refusal["code"] == "rate_limited" and refusal["request_id"] == "n"
    assert 5 < refusal["retry_after"] <= 6  # one message every 60 / 10 s


async def test_stream_starts_are_limited_across_the_workers(strict, workers):
    first, second = workers
    start = {"type": "diagnosis", "data": DIAGNOSIS_REQUEST}
    for worker in (first, second, first):
        async with connect(url(strict, worker, "starter")) as socket:
            await socket.send(json.dumps(start))
            assert (await until_terminal(socket))[-1]["type"] == "complete"
    async with connect(url(strict, second, "starter")) as socket:
        await socket.send(json.dumps(start | {"request_id": "fourth"}))
        refusal = await until(socket, lambda frame: frame.get("request_id") == "fourth")

    assert refusal["code"] == "rate_limited" and 0 < refusal["retry_after"] <= 20


async def test_a_client_that_keeps_sending_past_three_times_the_rate_is_closed_with_1008(
    strict, workers
):
    first, _ = workers
    async with connect(url(strict, first, "flooder")) as socket:
        for _ in range(40):
            await socket.send(json.dumps({"type": "nope"}))
        codes = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                codes.append((await receive(socket))["code"])

    assert closed.value.rcvd.code == 1008 and closed.value.rcvd.reason == "message flood"
    assert codes == ["unknown_type"] * 10 + ["rate_limited"] * 20


def test_rest_throttles_are_shared_by_the_workers_and_answer_in_the_protocol_shape(strict, workers):
    """API_ANON_RATE is 3 a minute: the fourth request without credentials, on either worker,
    is refused (the schema is one of the operations open to anonymous clients)."""
    first, second = workers
    answers = [
        request(worker, "GET", "/api/schema/?format=json")
        for worker in (first, second, first, second)
    ]

    assert [status for status, _, _ in answers] == [200, 200, 200, 429]
    _, headers, body = answers[-1]
    assert body["code"] == "rate_limited" and 0 < body["retry_after"] <= 60
    assert set(body) == {"code", "error", "retry_after"}
    assert int(headers["Retry-After"]) >= 1


# ---- audit and logs ---------------------------------------------------------------------------


async def test_audit_entries_say_who_from_where_and_postgres_refuses_to_change_them(
    strict, workers
):
    first, second = workers
    async with connect(url(strict, first, "auditor")) as socket:
        await socket.send(json.dumps({"type": "diagnosis", "data": DIAGNOSIS_REQUEST}))
        session_id = (await until_terminal(socket))[0]["session_id"]
    request(second, "GET", f"/api/sessions/{session_id}/", strict.tokens["auditor"])
    trail = rows(
        strict,
        "SELECT id, actor_name, action, channel, client FROM clinical_auditentry "
        "WHERE session_ref = %s ORDER BY id",
        session_id,
    )
    entry_id = trail[0][0]

    assert [entry[1:] for entry in trail] == [
        ("auditor", "started", "websocket", "127.0.0.1"),
        ("auditor", "viewed", "rest", "127.0.0.1"),
    ]
    with strict.postgres.connect() as connection:
        for statement in (
            "UPDATE clinical_auditentry SET action = 'viewed' WHERE id = %s",
            "UPDATE clinical_auditentry SET session_ref = NULL, session_id = NULL WHERE id = %s",
            "DELETE FROM clinical_auditentry WHERE id = %s",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                connection.execute(statement, (entry_id,))
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            connection.execute("TRUNCATE clinical_auditentry CASCADE")
        # What ON DELETE SET NULL does when a session or user goes: the reference only.
        connection.execute(
            "UPDATE clinical_auditentry SET session_id = NULL, actor_id = NULL WHERE id = %s",
            (entry_id,),
        )
        kept = connection.execute(
            "SELECT action, session_ref, actor_name FROM clinical_auditentry WHERE id = %s",
            (entry_id,),
        ).fetchone()
    assert kept == ("started", uuid.UUID(session_id), "auditor")


async def test_patient_text_never_reaches_a_workers_log(strict, workers):
    first, second = workers
    data = DIAGNOSIS_REQUEST | {"note": PATIENT_NOTE}
    async with connect(url(strict, second, "logger")) as socket:
        await socket.send(json.dumps({"type": "diagnosis", "data": data}))
        await until_terminal(socket)
        await socket.send(json.dumps({"type": "chat", "data": {"message": PATIENT_NOTE}}))
        await receive(socket)
        await socket.send(json.dumps({"type": "diagnosis", "data": data | {"labs": PATIENT_NOTE}}))
        assert (await receive(socket))["code"] == "validation_error"
    request(
        first, "POST", "/api/sessions/diagnosis/", strict.tokens["logger"], {"note": PATIENT_NOTE}
    )

    for worker in workers:
        log = worker.log.read_text()
        for marker in MARKERS:
            assert marker not in log, worker.worker_id
        assert '"level":"ERROR"' not in log and "Traceback" not in log, worker.worker_id
