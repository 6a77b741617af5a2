"""Where the engine runs, measured: what an event loop's other users wait while heavy notes run.

An attacker's diagnoses of the slowest adversarial notes (:mod:`benchmarks.adversarial_notes`)
run back to back, three ways: on the event loop itself (as before issue 21), in a thread pool,
and in a process pool. Meanwhile a bystander on the same loop asks to be woken every 5 ms; how
late it wakes is how long any other user's frame, ``/healthz`` or REST call would wait on that
worker. Printed: the bystander's lateness p50, p99 and max, and the attacker's diagnoses per
second. Run with::

    .venv/bin/python -m benchmarks.engine_pool [--seconds 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from typing import Any

from benchmarks.adversarial_notes import HAND_MADE
from clinical.engine import diagnose, load_knowledge_base

TICK_SECONDS = 0.005
ATTACK = ["word boundaries a-", "digits and full stops", "word and query", "one letter words"]


def attack_requests() -> list[dict[str, Any]]:
    history = {"age": 40, "sex": "female"}
    return [{"note": HAND_MADE[name], "history": history} for name in ATTACK]


def run_diagnosis(request: dict[str, Any]) -> int:
    """One whole diagnosis stream; the number of events (what a run stores and sends)."""
    return sum(1 for _ in diagnose(request))


def warm() -> None:
    """Load the knowledge base and build the note lexicon: in this process (which the thread
    pool's threads share), and as the process pool's initializer in each of its processes."""
    load_knowledge_base()
    run_diagnosis({"note": "chest pain", "history": {"age": 40, "sex": "male"}})


async def bystander(stop: asyncio.Event, late_ms: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(TICK_SECONDS)
        late_ms.append((time.perf_counter() - asked - TICK_SECONDS) * 1000)


async def attacker(
    run: Callable[[dict[str, Any]], Awaitable[int]], seconds: float, concurrency: int
) -> int:
    requests = attack_requests()
    deadline = time.perf_counter() + seconds
    done = 0

    async def one_user(offset: int) -> None:
        nonlocal done
        index = offset
        while time.perf_counter() < deadline:
            request = requests[index % len(requests)]
            # A new note each time, as an attacker sends: no reading is served from the cache.
            unique = request["note"][:-12] + f"{offset:06d}{index:06d}"
            await run(request | {"note": unique})
            done += 1
            index += 1

    await asyncio.gather(*(one_user(offset) for offset in range(concurrency)))
    return done


async def measure(
    name: str, run: Callable[[dict[str, Any]], Awaitable[int]], seconds: float, workers: int
) -> str:
    stop = asyncio.Event()
    late: list[float] = []
    watcher = asyncio.create_task(bystander(stop, late))
    started = time.perf_counter()
    done = await attacker(run, seconds, workers)
    elapsed = time.perf_counter() - started
    stop.set()
    await watcher
    late.sort()
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    return (
        f"{name:<22} bystander late p50 {statistics.median(late):7.1f} ms  p99 {p99:7.1f} ms  "
        f"max {late[-1]:7.1f} ms   attacker {done / elapsed:5.1f} diagnoses/s"
    )


def pooled(executor: Executor) -> Callable[[dict[str, Any]], Awaitable[int]]:
    async def run(request: dict[str, Any]) -> int:
        return await asyncio.get_running_loop().run_in_executor(executor, run_diagnosis, request)

    return run


async def inline(request: dict[str, Any]) -> int:
    return run_diagnosis(request)


async def compare(seconds: float, workers: int) -> list[str]:
    warm()
    rows = [await measure("on the event loop", inline, seconds, 1)]
    with ThreadPoolExecutor(workers) as threads:
        rows.append(await measure(f"thread pool ({workers})", pooled(threads), seconds, workers))
    spawn = get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=warm) as processes:
        # As many tasks as processes, submitted at once, start every process (each warms in
        # its initializer) before the clock starts.
        list(processes.map(abs, range(workers)))
        rows.append(await measure(f"process pool ({workers})", pooled(processes), seconds, workers))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    arguments = parser.parse_args(argv)
    print(f"attacker: {', '.join(ATTACK)} (10,000 characters each), {arguments.workers} at once")
    print("\n".join(asyncio.run(compare(arguments.seconds, arguments.workers))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
