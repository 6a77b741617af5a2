"""Many sockets of a few users opening and closing at random while streams run back to back.

``python -m benchmarks.soak [--seconds 600] [--sockets-per-user 100,50,25,25]`` (``make soak``)

A stream's fate must depend on its own request and nothing else (README, "A run never waits on
a follower"): however a user's other sockets come and go, every stream completes, and every
socket that follows a stream to its end receives every frame exactly once and in order.

Each socket slot of a user opens a socket (a fresh ticket each time) on one of the workers in
turn, keeps it for a random lifetime, and meanwhile starts a diagnosis as soon as its previous
one ended; when its lifetime is up it closes, wherever its streams are, and opens the next. All
of a user's sockets follow all of the user's streams, so each socket also receives the streams
its siblings started. Every frame is checked as it arrives: a socket's first frame of a session
is ``seq`` 0, each next one is the next ``seq``, nothing comes after the terminal frame, and the
terminal frame is ``complete``. Afterwards the sessions the load started are counted by status
through the REST API, and the workers' logs are read for errors and for daphne's close-timeout
warning. The live tests (``tests/live/test_socket_churn.py``) run the same for 15 s.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import random
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from benchmarks.stream_bench import REQUEST
from devtools.cluster import LIVE_PASSWORD, Cluster, Daphne, json_post, manage, wait_until

# How long a socket stays open, in seconds: most only long enough for a stream or two, so that
# sockets open and close all the time, mid-stream as often as not; some long enough to be open
# for the whole of streams their siblings start (and so must see them).
SHORT_LIFE_SECONDS = (0.2, 2.0)
LONG_LIFE_SECONDS = (4.0, 8.0)
LONG_LIVES = 0.25
# A pause before a slot opens its next socket.
REOPEN_SECONDS = (0.0, 0.2)
# A socket must see every stream of its user that started at least this long after it opened
# (it is registered for its user's streams by then) and this long before the newest frame it
# received was created (so a socket that lags behind on a busy machine is not counted as one
# that missed a stream: its frames arrive in order of creation, give or take this much).
SETTLED_SECONDS = 1.0
DELIVERY_SECONDS = 2.0
MAX_EXAMPLES = 10
TICKET_REQUESTS = 8

_CLINICIANS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
clinicians = Group.objects.get(name="clinician")
for name in {names!r}:
    user, _ = get_user_model().objects.get_or_create(username=name)
    user.set_password({password!r})
    user.save()
    user.groups.add(clinicians)
"""


def churn_environment(most_sockets_per_user: int) -> dict[str, str]:
    """A worker's settings for this load, which is a flood by the abuse limits' measure: the
    per-user socket cap at twice what one user holds (a socket its client just closed counts
    until its worker has released it; a slot that is never released shows as refusals), and
    stream starts, messages and REST calls (a ticket per socket) with ceilings the load cannot
    reach. The limits are still checked on every message. Every stage is its own batch, so a
    follower takes several publishes of each stream (the default, 10 ms, makes this engine's
    whole stream one)."""
    return {
        "STREAM_BATCH_MS": "0",
        "WS_MAX_SOCKETS_PER_USER": str(2 * most_sockets_per_user),
        "STREAM_STARTS_PER_MINUTE": "100000000",
        "WS_MESSAGES_PER_MINUTE": "100000000",
        "API_USER_RATE": "100000000/minute",
        "LOGIN_RATE": "100000000/minute",
    }


def ensure_clinicians(env: dict[str, str], names: list[str]) -> None:
    """Clinician accounts ``names`` with the live tests' password."""
    manage(env, "shell", "-c", _CLINICIANS.format(names=names, password=LIVE_PASSWORD))


@dataclass
class Tally:
    """What the clients saw."""

    # When each user's streams began (their ``accepted`` frame's timestamp), in order.
    begun: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    started: int = 0
    followed_to_end: int = 0
    siblings_followed_to_end: int = 0  # of those, streams another socket started
    frames: int = 0
    sockets_opened: int = 0
    slowest_open: float = 0.0  # from asking for a ticket to the socket being open
    slowest_delivery: float = 0.0
    # How many frames took each whole number of milliseconds from creation to a socket.
    delivery_ms: Counter[int] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def problem(self, kind: str, detail: str) -> None:
        self.problems[kind] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{kind}: {detail}")

    def delivered(self, seconds: float) -> None:
        self.slowest_delivery = max(self.slowest_delivery, seconds)
        self.delivery_ms[int(1000 * seconds)] += 1

    def delivery_percentile_ms(self, fraction: float) -> int:
        rank, seen = fraction * sum(self.delivery_ms.values()), 0
        for ms, count in sorted(self.delivery_ms.items()):
            seen += count
            if seen >= rank:
                return ms
        return 0

    def begins(self, user: str, session: str, created: float) -> None:
        if session not in self.known:
            self.known.add(session)
            bisect.insort(self.begun.setdefault(user, []), (created, session))

    def begun_between(self, user: str, start: float, end: float) -> list[str]:
        begun = self.begun.get(user, [])
        low = bisect.bisect_left(begun, (start, ""))
        high = bisect.bisect_left(begun, (end, ""))
        return [session for _, session in begun[low:high]]


@dataclass
class SoakResult:
    seconds: float
    tally: Tally
    sessions: Counter[str]
    failure_reasons: Counter[str]
    log_problems: list[str]

    @property
    def failures(self) -> int:
        """Failed or unfinished sessions, problems the clients saw, and error lines logged."""
        unfinished = sum(n for status, n in self.sessions.items() if status != "completed")
        return unfinished + sum(self.tally.problems.values()) + len(self.log_problems)

    def report(self) -> str:
        tally = self.tally
        lines = [
            f"{self.seconds:.0f} s, {tally.sockets_opened:,} sockets opened, "
            f"{sum(self.sessions.values()):,} streams "
            f"({', '.join(f'{n:,} {s}' for s, n in sorted(self.sessions.items())) or 'none'}), "
            f"{tally.followed_to_end:,} followed to their end by a socket "
            f"({tally.siblings_followed_to_end:,} by a socket that had not started them), "
            f"{tally.frames:,} frames",
            f"failures: {self.failures}",
            f"slowest delivery (frame created to socket): {1000 * tally.slowest_delivery:.0f} ms "
            f"(p50 {tally.delivery_percentile_ms(0.5)} ms, "
            f"p99 {tally.delivery_percentile_ms(0.99)} ms); "
            f"slowest socket to open (ticket and handshake): {1000 * tally.slowest_open:.0f} ms",
        ]
        lines += [f"  failure reason: {n} x {reason}" for reason, n in self.failure_reasons.items()]
        lines += [f"  client saw {n} x {kind}" for kind, n in tally.problems.items()]
        lines += [f"  e.g. {example}" for example in tally.examples]
        logged = Counter(line.split(": ", 1)[-1] for line in self.log_problems)
        lines += [f"  logged {n} x {line}" for line, n in logged.most_common(MAX_EXAMPLES)]
        return "\n".join(lines)


def _message(request_id: str) -> str:
    return orjson.dumps({"type": "diagnosis", "request_id": request_id, "data": REQUEST}).decode()


def _is_terminal(frame: dict[str, Any]) -> bool:
    return frame["type"] == "complete" or (frame["type"] == "error" and "seq" in frame)


class SocketLife:
    """One socket from open to close: what it has seen of each session it follows."""

    def __init__(self, name: str, user: str, tally: Tally) -> None:
        self.name = name
        self.user = user
        self.tally = tally
        self.next_seq: dict[str, int] = {}
        self.ended: set[str] = set()
        self.streams = itertools.count(1)
        self.waiting_for = ""  # the request_id of the stream this socket started and awaits
        self.newest = 0.0  # when the newest frame it received was created

    async def start_stream(self, socket: ClientConnection) -> None:
        self.waiting_for = f"{self.name}-{next(self.streams)}"
        await socket.send(_message(self.waiting_for))

    def take(self, frame: dict[str, Any]) -> None:
        """Check one frame against what this socket saw before."""
        self.tally.frames += 1
        session, seq = frame.get("session_id"), frame.get("seq")
        if seq is None or session is None:
            self.tally.problem(f"{frame['type']} {frame.get('code', '')}".strip(), str(frame))
            return
        if session in self.ended:
            self.tally.problem("frame after the end", f"{self.name} {session} seq {seq}")
            return
        expected = self.next_seq.get(session, 0)
        if seq != expected:
            kind = "gap" if seq > expected else "duplicate"
            self.tally.problem(kind, f"{self.name} {session} seq {seq}, expected {expected}")
        self.next_seq[session] = seq + 1
        created = datetime.fromisoformat(frame["timestamp"]).timestamp()
        self.newest = max(self.newest, created)
        self.tally.delivered(time.time() - created)
        if frame["type"] == "accepted":
            self.tally.begins(self.user, session, created)
            self.tally.started += frame.get("request_id") == self.waiting_for
        if _is_terminal(frame):
            del self.next_seq[session]
            self.ended.add(session)
            if frame["type"] == "complete":
                self.tally.followed_to_end += 1
                self.tally.siblings_followed_to_end += frame.get("request_id") != self.waiting_for
            else:
                self.tally.problem(f"terminal {frame['code']}", f"{self.name} {session}")

    def ends_own_stream(self, frame: dict[str, Any]) -> bool:
        return _is_terminal(frame) and frame.get("request_id") == self.waiting_for

    async def live(self, socket: ClientConnection, closes_at: float) -> None:
        """Start streams back to back until ``closes_at``, checking every frame received; then
        check that the socket saw every stream of its user it was open for."""
        opened = time.time()
        await self.start_stream(socket)
        while (left := closes_at - time.monotonic()) > 0:
            try:
                text = await asyncio.wait_for(socket.recv(), left)
            except TimeoutError:
                break
            frame = orjson.loads(text)
            self.take(frame)
            if self.ends_own_stream(frame) and time.monotonic() < closes_at:
                await self.start_stream(socket)
        seen = self.ended | self.next_seq.keys()
        window = (opened + SETTLED_SECONDS, self.newest - DELIVERY_SECONDS)
        for session in self.tally.begun_between(self.user, *window):
            if session not in seen:
                self.tally.problem("missed a stream of its user", f"{self.name} {session}")


@dataclass
class User:
    name: str
    sockets: int
    token: str = ""


async def _ticket_url(worker: Daphne, token: str) -> str:
    loop = asyncio.get_running_loop()
    minted = await loop.run_in_executor(
        None, json_post, f"{worker.http}/api/ws-tickets/", None, token
    )
    return minted["url"]


async def _slot(
    name: str, worker: Daphne, user: User, deadline: float, rng: random.Random, tally: Tally
) -> None:
    """One socket slot: socket after socket until ``deadline``."""
    for life in itertools.count(1):
        if time.monotonic() >= deadline:
            return
        lifetime = LONG_LIFE_SECONDS if rng.random() < LONG_LIVES else SHORT_LIFE_SECONDS
        seconds = rng.uniform(*lifetime)
        socket_name = f"{name}.{life}"
        asked = time.monotonic()
        try:
            url = await _ticket_url(worker, user.token)
            async with connect(url, compression=None, max_size=2**22, close_timeout=5) as socket:
                # A socket's life is counted from when it is open: on a loaded machine its
                # ticket and handshake take a second or more, which would leave it none.
                tally.sockets_opened += 1
                tally.slowest_open = max(tally.slowest_open, time.monotonic() - asked)
                closes_at = min(deadline, time.monotonic() + seconds)
                await SocketLife(socket_name, user.name, tally).live(socket, closes_at)
        except ConnectionClosed as closed:
            tally.problem(f"closed by the server ({closed.rcvd and closed.rcvd.code})", socket_name)
        except (OSError, InvalidHandshake) as error:
            tally.problem(f"could not open a socket ({type(error).__name__})", socket_name)
        await asyncio.sleep(rng.uniform(*REOPEN_SECONDS))


def _get(worker: Daphne, path: str, token: str) -> Any:
    request = urllib.request.Request(
        f"{worker.http}{path}", headers={"Authorization": f"Token {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _sessions(worker: Daphne, user: User, since: str, status: str) -> dict[str, Any]:
    query = urllib.parse.urlencode({"created_after": since, "status": status, "limit": 100})
    return _get(worker, f"/api/sessions/?{query}", user.token)


async def _count_sessions(
    worker: Daphne, users: list[User], since: str, settle_seconds: float
) -> tuple[Counter[str], Counter[str]]:
    """The sessions the load started, by status, once none is running (or after
    ``settle_seconds``); and the failure reasons of the failed ones."""

    def none_running() -> bool:
        return not sum(_sessions(worker, user, since, "running")["count"] for user in users)

    with contextlib.suppress(TimeoutError):  # what still runs is counted below
        await asyncio.to_thread(wait_until, none_running, settle_seconds, "streams to end")
    statuses, reasons = Counter[str](), Counter[str]()
    for user in users:
        for status in ("pending", "running", "completed", "failed", "cancelled"):
            page = await asyncio.to_thread(_sessions, worker, user, since, status)
            if page["count"]:
                statuses[status] += page["count"]
            if status == "failed":
                reasons.update(session["failure_reason"] for session in page["results"])
    return statuses, reasons


CLOSE_TIMEOUT_WARNING = "took too long to shut down"


def log_problems(text: str) -> list[str]:
    """Lines of a worker's log that show an error, or a socket daphne had to kill."""
    found = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if "Traceback" in line or "Error" in line or CLOSE_TIMEOUT_WARNING in line:
                found.append(line)
            continue
        if not isinstance(record, dict):
            continue
        if record.get("level") in {"ERROR", "CRITICAL"} or CLOSE_TIMEOUT_WARNING in line:
            found.append(f"{record.get('level')} {record.get('logger')}: {record.get('message')}")
    return found


def _log_size(worker: Daphne) -> int:
    return worker.log.stat().st_size if worker.log and worker.log.exists() else 0


def _log_since(worker: Daphne, offset: int) -> str:
    with worker.log.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


async def churn(
    workers: list[Daphne],
    users: list[User],
    seconds: float,
    seed: int = 22,
    settle_seconds: float = 30.0,
) -> SoakResult:
    """Run the load on ``workers`` (socket slots spread over them in turn) for ``seconds``."""
    rng = random.Random(seed)
    # Ticket requests a few at a time, as a few browsers would make them: each is a Django
    # request served by a thread of its own with a database connection of its own.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(TICKET_REQUESTS))
    for user in users:
        body = {"username": user.name, "password": LIVE_PASSWORD}
        user.token = json_post(f"{workers[0].http}/api/auth/token/", body)["token"]
    since = datetime.now(UTC).isoformat()
    offsets = [_log_size(worker) for worker in workers]
    tally = Tally()
    started = time.monotonic()
    deadline = started + seconds
    slots = [
        (f"{user.name}/{index}", workers[index % len(workers)], user)
        for user in users
        for index in range(user.sockets)
    ]
    await asyncio.gather(
        *(
            _slot(name, worker, user, deadline, random.Random(rng.random()), tally)
            for name, worker, user in slots
        )
    )
    elapsed = time.monotonic() - started
    statuses, reasons = await _count_sessions(workers[0], users, since, settle_seconds)
    problems = [
        f"{worker.worker_id}: {line}"
        for worker, offset in zip(workers, offsets, strict=True)
        for line in log_problems(_log_since(worker, offset))
    ]
    return SoakResult(elapsed, tally, statuses, reasons, problems)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument(
        "--sockets-per-user",
        default="100,50,25,25",
        help="sockets each user holds, comma-separated (default 100,50,25,25: 200 sockets)",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.sockets_per_user.split(",")]
    users = [User(f"soak-{index}", count) for index, count in enumerate(counts)]

    directory = Path(tempfile.mkdtemp(prefix="medstream-soak-"))
    directory.chmod(0o755)
    cluster = Cluster(directory, workers=args.workers, extra_env=churn_environment(max(counts)))
    try:
        cluster.start()
        ensure_clinicians(cluster.env, [user.name for user in users])
        print(f"soak in {directory}")
        print(
            f"soak: {sum(counts)} sockets ({args.sockets_per_user} per user) on "
            f"{args.workers} workers with Redis + PostgreSQL for {args.seconds:g} s",
            flush=True,
        )
        result = asyncio.run(churn(cluster.daphnes, users, args.seconds))
    finally:
        cluster.stop()
    print(result.report(), flush=True)
    raise SystemExit(1 if result.failures else 0)


if __name__ == "__main__":
    main()
