"""medstream against a bare `websockets` server, side by side, in one run on one machine.

``python -m benchmarks.stream_bench [--seconds 10] [--clients 50] [--idle 5000]`` (``make bench``)

1. Throughput and latency: ``--clients`` concurrent clients (one socket each) run diagnosis
   streams back to back for ``--seconds`` against (a) the bare server, which answers each
   request with the same number and size of frames, and (b) the full stack: one daphne worker
   with ticket authentication, validation, the engine, storage and fan-out, first on the
   embedded default (SQLite, in-memory layer), then with Redis and PostgreSQL. The same client
   code drives all three. Printed: frames/s, streams/s, stream latency p50/p99 (request sent
   to ``complete`` received), and the full/bare ratios.
2. Cross-worker delivery: two workers on Redis + PostgreSQL; streams start on worker 1 at a
   pace of ``--event-rate`` events/s while a socket of the same user on worker 2 follows them;
   latency is the time from a frame's creation (its timestamp) to its arrival on worker 2.
3. Memory: the resident-memory growth of one worker holding ``--idle`` idle authenticated
   sockets, per socket, and that every one of them still answers.
4. The engine alone: diagnoses/s on one core.
5. Where the CPU goes: for each throughput run, the CPU milliseconds a stream costs in the
   server process, PostgreSQL, Redis and the client, beside the CPU a stream may use at half
   the bare server's rate on this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import connect

from benchmarks.cpu_meter import CpuMeter
from devtools.cluster import (
    BIN,
    ROOT,
    Cluster,
    Daphne,
    free_port,
    live_environment,
    manage,
    prepare_database,
    wait_until,
)

REQUEST: dict[str, Any] = {
    "symptoms": ["cough", "fever", "shortness of breath", "green phlegm"],
    "vitals": {
        "temperature": 38.6,
        "heart_rate": 104,
        "blood_pressure": "118/72",
        "respiratory_rate": 24,
        "oxygen_saturation": 93,
        "consciousness": "alert",
    },
    "history": {"age": 72, "sex": "male", "smoker": True},
}
MESSAGE = orjson.dumps({"type": "diagnosis", "data": REQUEST}).decode()
# The load is a flood by the abuse limits' measure (README, "Threat model"): the limits are
# still checked on every message, but with ceilings the clients cannot reach.
UNLIMITED = {
    "STREAM_STARTS_PER_MINUTE": "100000000",
    "WS_MESSAGES_PER_MINUTE": "100000000",
}


@dataclass
class Load:
    """What the clients saw during one throughput run."""

    name: str
    seconds: float
    frames: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def streams(self) -> int:
        return len(self.latencies)

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds

    @property
    def streams_per_s(self) -> float:
        return self.streams / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def cpu_ms_per_stream(self, part: str) -> float | None:
        if part not in self.cpu_seconds or not self.streams:
            return None
        return 1000 * self.cpu_seconds[part] / self.streams


def _terminal(text: str) -> bool:
    return text.startswith('{"type":"complete"') or (
        text.startswith('{"type":"error"') and '"seq":' in text
    )


async def _client(url: str, deadline: float, load: Load) -> None:
    async with connect(url, compression=None, max_size=2**22) as socket:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await socket.send(MESSAGE)
            while True:
                text = await socket.recv()
                load.frames += 1
                if text.startswith('{"type":"error"'):
                    load.errors += 1
                    break
                if _terminal(text):
                    load.latencies.append(time.perf_counter() - started)
                    break


async def run_load(
    name: str, urls: list[str], seconds: float, cpu_of: dict[str, int] | None = None
) -> Load:
    """Clients on ``urls`` for ``seconds``; ``cpu_of`` names the server-side processes whose
    CPU time (with their descendants') the run records, beside the client's own."""
    load = Load(name, seconds)
    meter = CpuMeter(cpu_of or {})
    meter.start()
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(_client(url, deadline, load) for url in urls))
    load.seconds = time.monotonic() - started
    load.cpu_seconds = meter.stop()
    return load


# ---- the servers -----------------------------------------------------------------------------


def reference_frames(directory: Path) -> Path:
    """A real diagnosis stream's frames (from a live worker), one JSON text per line."""
    env = live_environment(directory / "reference", **UNLIMITED)
    prepare_database(env)
    worker = Daphne(env, name="reference").start()
    try:
        frames = asyncio.run(_one_stream(worker.ticket_url("demo")))
    finally:
        worker.stop()
    path = directory / "frames.jsonl"
    path.write_text("\n".join(frames))
    return path


async def _one_stream(url: str) -> list[str]:
    async with connect(url, compression=None) as socket:
        await socket.send(MESSAGE)
        frames = []
        while not frames or not _terminal(frames[-1]):
            frames.append(await socket.recv())
        return frames


class BareServer:
    def __init__(self, frames: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "python"), "-m", "benchmarks.bare_server", "--port", str(self.port),
             "--frames", str(frames)],
            cwd=ROOT,
        )  # fmt: skip
        wait_until(self._listening, 15, "the bare server")

    def _listening(self) -> bool:
        import socket

        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


MINT = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from clinical.tickets import issue_ticket
clinicians = Group.objects.get(name="clinician")
urls = []
for index in range({count}):
    user, _ = get_user_model().objects.get_or_create(username=f"{prefix}-{{index % {users}}}")
    user.groups.add(clinicians)
    urls.append([user.pk, issue_ticket(user)[0]])
print(json.dumps(urls))
"""


class DaphneFloor(BareServer):
    """daphne serving benchmarks.daphne_floor: the same answers, through daphne."""

    def __init__(self, frames: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
             "-v", "0", "benchmarks.daphne_floor:application"],
            cwd=ROOT,
            env=os.environ | {"BENCH_FRAMES": str(frames)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._listening, 15, "daphne without medstream")


def mint_tickets(
    worker: Daphne, count: int, users: int | None = None, prefix: str = "bench"
) -> list[str]:
    """``count`` ticket URLs for ``users`` distinct clinicians (one each by default), minted
    through the worker's own database. One user per client, because all of a user's sockets
    follow all of the user's streams: shared users would multiply every stream."""
    code = MINT.format(count=count, users=users or count, prefix=prefix)
    minted = json.loads(manage(worker.env, "shell", "-c", code).strip().splitlines()[-1])
    return [f"{worker.ws}/ws/{user_id}/?ticket={ticket}" for user_id, ticket in minted]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# ---- the measurements ------------------------------------------------------------------------


def measure_reference(name: str, server: BareServer, clients: int, seconds: float) -> Load:
    """A reference server under the same load as medstream, its CPU counted; then stopped."""
    try:
        cpu_of = {"server": server.process.pid}
        return asyncio.run(run_load(name, [server.url] * clients, seconds, cpu_of))
    finally:
        server.stop()


def measure_full_stack(
    name: str, worker: Daphne, clients: int, seconds: float, cpu_of: dict[str, int]
) -> Load:
    asyncio.run(run_load(f"{name} warm-up", mint_tickets(worker, clients), 1.0))
    return asyncio.run(run_load(name, mint_tickets(worker, clients), seconds, cpu_of))


@dataclass
class CrossWorker:
    """Arrival times of each frame (session, seq) on the run's worker and on the other one."""

    here: dict[tuple[str, int], float] = field(default_factory=dict)
    there: dict[tuple[str, int], float] = field(default_factory=dict)
    created: dict[tuple[str, int], float] = field(default_factory=dict)
    seconds: float = 0.0

    def deltas_ms(self) -> list[float]:
        """How much later each frame reached the other worker's socket, in ms."""
        both = self.here.keys() & self.there.keys()
        return sorted(1000 * (self.there[key] - self.here[key]) for key in both)

    def end_to_end_ms(self) -> list[float]:
        """From frame creation (its timestamp, 1 ms resolution) to the other worker's socket."""
        wall_offset = time.time() - time.perf_counter()
        return sorted(
            1000 * (self.there[key] + wall_offset - self.created[key])
            for key in self.there.keys() & self.created.keys()
        )


def _key_and_creation(text: str) -> tuple[tuple[str, int], float]:
    frame = orjson.loads(text)
    created = datetime.fromisoformat(frame["timestamp"].replace("Z", "+00:00")).timestamp()
    return (frame["session_id"], frame["seq"]), created


async def _cross_worker(
    pairs: list[tuple[str, str]], event_rate: float, seconds: float
) -> CrossWorker:
    """Each pair is one clinician: a socket on worker 1 that starts streams at a steady pace,
    and a socket on worker 2 that follows them (all of a user's sockets follow the user's
    streams). Together the pairs start ``event_rate`` frames per second."""
    frames_per_stream = 17
    interval = frames_per_stream / event_rate * len(pairs)
    result = CrossWorker()
    deadline = time.monotonic() + seconds
    # Once every stream is started: the frames the other worker has yet to deliver.
    awaited: set[tuple[str, int]] | None = None
    caught_up = asyncio.Event()

    async def listen(socket) -> None:
        while True:
            text = await socket.recv()
            key, _ = _key_and_creation(text)
            result.there[key] = time.perf_counter()
            if awaited is not None:
                awaited.discard(key)
                if not awaited:
                    caught_up.set()

    async def publish(socket, offset: float) -> None:
        await asyncio.sleep(offset)
        next_start = time.monotonic()
        while time.monotonic() < deadline:
            await socket.send(MESSAGE)
            while True:
                text = await socket.recv()
                arrived = time.perf_counter()
                key, created = _key_and_creation(text)
                result.here[key], result.created[key] = arrived, created
                if _terminal(text):
                    break
            next_start += interval
            await asyncio.sleep(max(0.0, next_start - time.monotonic()))

    started = time.monotonic()
    sockets = [
        (await connect(start, compression=None), await connect(follow, compression=None))
        for start, follow in pairs
    ]
    listeners = [asyncio.create_task(listen(follower)) for _, follower in sockets]
    step = interval / len(pairs)
    await asyncio.gather(*(publish(starter, i * step) for i, (starter, _) in enumerate(sockets)))
    result.seconds = time.monotonic() - started
    awaited = set(result.here.keys() - result.there.keys())
    if awaited:  # a frame still missing after 5 s shows as one fewer in the figures
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(caught_up.wait(), 5.0)
    for task in listeners:
        task.cancel()
    for starter, follower in sockets:
        await starter.close()
        await follower.close()
    return result


async def _hold_idle(urls: list[str], ready: asyncio.Event, release: asyncio.Event) -> int:
    """Open every socket, leave it idle, then prove each still answers; returns how many did."""
    sockets = []
    for batch_start in range(0, len(urls), 200):
        batch = urls[batch_start : batch_start + 200]
        sockets += await asyncio.gather(*(connect(url, compression=None) for url in batch))
    ready.set()
    await release.wait()
    answered = 0
    for socket in sockets:
        await socket.send('{"type":"nonsense"}')
        if '"unknown_type"' in await socket.recv():
            answered += 1
    await asyncio.gather(*(socket.close() for socket in sockets))
    return answered


async def _settled_rss(pid: int, seconds: float = 10.0) -> int:
    """The worker's resident memory once it stops changing (two readings 0.5 s apart agree),
    after the last handshake; at most ``seconds`` of waiting."""
    deadline = time.monotonic() + seconds
    reading = rss_kib(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        previous, reading = reading, rss_kib(pid)
        if reading == previous:
            break
    return reading


def measure_idle(worker: Daphne, count: int) -> tuple[float, int]:
    """(KiB per idle socket, sockets that still answered) on one worker."""
    urls = mint_tickets(worker, count + 10, users=count + 10, prefix="idle")

    async def run() -> tuple[float, int]:
        warm = [await connect(url, compression=None) for url in urls[:10]]
        before = rss_kib(worker.process.pid)
        ready, release = asyncio.Event(), asyncio.Event()
        holding = asyncio.create_task(_hold_idle(urls[10:], ready, release))
        await ready.wait()
        after = await _settled_rss(worker.process.pid)
        release.set()
        answered = await holding
        for socket in warm:
            await socket.close()
        return (after - before) / count, answered

    return asyncio.run(run())


def engine_only(seconds: float) -> float:
    done = subprocess.run(
        [str(BIN / "python"), "-m", "benchmarks.engine_bench", "--seconds", str(seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stdout.splitlines():
        if line.lower().startswith("diagnos"):
            numbers = [float(x.replace(",", "")) for x in line.split() if _is_number(x)]
            if numbers:
                return numbers[-2] if len(numbers) > 1 else numbers[0]
    raise RuntimeError(f"engine bench printed no diagnosis line:\n{done.stdout}")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


# ---- the run ---------------------------------------------------------------------------------


def _row(load: Load, bare: Load) -> str:
    return (
        f"| {load.name} | {load.frames_per_s:,.0f} | {load.streams_per_s:,.0f} | "
        f"{load.percentile_ms(0.5):.1f} | {load.percentile_ms(0.99):.1f} | "
        f"{load.frames_per_s / bare.frames_per_s:.2f} | "
        f"{load.percentile_ms(0.99) / bare.percentile_ms(0.99):.2f} | {load.errors} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stream_bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--event-rate", type=float, default=1000.0)
    parser.add_argument("--smoke", action="store_true", help="a few streams through each, fast")
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.clients, args.idle, args.event_rate = 1.0, 3, 20, 100.0

    directory = Path(tempfile.mkdtemp(prefix="medstream-bench-"))
    directory.chmod(0o755)
    frames = reference_frames(directory)
    print(f"reference diagnosis stream: {len(frames.read_text().splitlines())} frames, "
          f"{len(frames.read_bytes())} bytes")  # fmt: skip

    bare = measure_reference("bare websockets", BareServer(frames), args.clients, args.seconds)
    floor = measure_reference(
        "daphne alone (no medstream)", DaphneFloor(frames), args.clients, args.seconds
    )

    env = live_environment(directory / "embedded", **UNLIMITED)
    prepare_database(env)
    embedded = Daphne(env, name="embedded").start()
    try:
        embedded_load = measure_full_stack(
            "medstream, SQLite + in-memory layer",
            embedded,
            args.clients,
            args.seconds,
            {"server": embedded.process.pid},
        )
        idle_kib, answered = measure_idle(embedded, args.idle)
    finally:
        embedded.stop()

    with_services = Cluster(directory / "cluster", workers=2, extra_env=UNLIMITED)
    try:
        with_services.start()
        first, second = with_services.daphnes
        redis_load = measure_full_stack(
            "medstream, Redis + PostgreSQL",
            first,
            args.clients,
            args.seconds,
            {
                "server": first.process.pid,
                "postgres": with_services.postgres.process.pid,
                "redis": with_services.redis.process.pid,
            },
        )
        # Four clinicians, each with a socket on worker 1 and one on worker 2.
        pairs = list(
            zip(
                mint_tickets(first, 4, prefix="cross"),
                mint_tickets(second, 4, prefix="cross"),
                strict=True,
            )
        )
        cross = asyncio.run(_cross_worker(pairs, args.event_rate, args.seconds))
    finally:
        with_services.stop()

    engine_rate = engine_only(2.0 if not args.smoke else 0.5)
    loads = [floor, embedded_load, redis_load]
    print_report(args, bare, loads, cross, idle_kib, answered, engine_rate)


def _quantile(ordered: list[float], fraction: float) -> float:
    return ordered[int(fraction * (len(ordered) - 1))] if ordered else float("nan")


def print_report(args, bare, loads, cross, idle_kib, answered, engine_rate) -> None:
    cpu = platform.processor() or platform.machine()
    print()
    print(f"medstream stream benchmark, {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores "
          f"({cpu}), Python {platform.python_version()}, {args.clients} clients, "
          f"{args.seconds:g} s per run")  # fmt: skip
    print()
    print(
        "| server | frames/s | streams/s | p50 ms | p99 ms "
        "| frames/s vs bare | p99 vs bare | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {bare.name} | {bare.frames_per_s:,.0f} | {bare.streams_per_s:,.0f} | "
        f"{bare.percentile_ms(0.5):.1f} | {bare.percentile_ms(0.99):.1f} | 1.00 | 1.00 | 0 |"
    )
    for load in loads:
        print(_row(load, bare))
    print()
    deltas, end_to_end = cross.deltas_ms(), cross.end_to_end_ms()
    rate = len(cross.there) / cross.seconds if cross.seconds else 0.0
    print(
        f"cross-worker delivery at {rate:,.0f} events/s (asked {args.event_rate:,.0f}), "
        f"{len(deltas):,} frames: after the run's own worker's socket p50 "
        f"{_quantile(deltas, 0.5):.1f} ms, p99 {_quantile(deltas, 0.99):.1f} ms; "
        f"from creation p50 {_quantile(end_to_end, 0.5):.1f} ms, "
        f"p99 {_quantile(end_to_end, 0.99):.1f} ms"
    )
    print(f"idle sockets: {answered:,} of {args.idle:,} answered after idling; "
          f"{idle_kib:.1f} KiB resident memory per idle authenticated socket")  # fmt: skip
    print(f"engine alone: {engine_rate:,.0f} diagnoses/s on one core")
    print()
    print_cpu_budget(bare, loads, engine_rate)
    sys.stdout.flush()


CPU_PARTS = (("server", "server process"), ("postgres", "PostgreSQL"), ("redis", "Redis"),
             ("client", "client"))  # fmt: skip


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def print_cpu_budget(bare: Load, loads: list[Load], engine_rate: float) -> None:
    """CPU ms a stream costs, by process, beside what half the bare rate allows on this machine."""
    cores = os.cpu_count() or 1
    half_rate = bare.streams_per_s / 2
    budget = 1000 * cores / half_rate
    print("CPU per stream, ms (same runs; a server's figure includes the processes it started)")
    print()
    print("| server | " + " | ".join(label for _, label in CPU_PARTS) + " | total |")
    print("|---|" + "---:|" * (len(CPU_PARTS) + 1))
    for load in [bare, *loads]:
        parts = [load.cpu_ms_per_stream(part) for part, _ in CPU_PARTS]
        total = sum(part for part in parts if part is not None)
        print(f"| {load.name} | " + " | ".join(_ms(part) for part in parts) + f" | {total:.2f} |")
    print()
    print(
        f"half the bare rate is {half_rate:,.0f} streams/s: {budget:.2f} ms of CPU per stream "
        f"on {cores} cores for everything above; the engine alone takes "
        f"{1000 / engine_rate:.2f} ms of it"
    )


if __name__ == "__main__":
    main()
