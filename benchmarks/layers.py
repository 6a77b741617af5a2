"""Which channels-redis layer to use: RedisChannelLayer (core) or RedisPubSubChannelLayer.

``python -m benchmarks.layers [--seconds 5] [--listeners 4]``

Measured the way medstream uses a layer: a worker publishes one message per stored batch of
frames (about 3 KB) to a session group; listeners in another process (another worker) receive
it. For each layer it prints delivery latency p50/p99 at a fixed publish rate and the most
batches per second one publisher gets through. Both processes run on this machine against one
real redis-server started for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from devtools.cluster import RedisServer

GROUP = "bench.session"
FRAME = {"type": "stream_chunk", "content": {"diagnosis": "x" * 200, "reasoning": "y" * 40}}
BATCH = [[seq, str(FRAME), False] for seq in range(12)]


def make_layer(kind: str, url: str):
    if kind == "core":
        from channels_redis.core import RedisChannelLayer

        return RedisChannelLayer(hosts=[url], capacity=10_000, expiry=30)
    from channels_redis.pubsub import RedisPubSubChannelLayer

    return RedisPubSubChannelLayer(hosts=[url])


async def _listen(kind: str, url: str, listeners: int, seconds: float, ready, results) -> None:
    layer = make_layer(kind, url)
    channels = [await layer.new_channel() for _ in range(listeners)]
    for channel in channels:
        await layer.group_add(GROUP, channel)
    ready.set()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def drain(channel: str) -> None:
        while time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(layer.receive(channel), 0.5)
            except TimeoutError:
                continue
            latencies.append(time.time() - message["sent_at"])

    await asyncio.gather(*(drain(channel) for channel in channels))
    results.put(latencies)
    if hasattr(layer, "flush"):
        await layer.flush()


def _listener_process(kind, url, listeners, seconds, ready, results) -> None:
    asyncio.run(_listen(kind, url, listeners, seconds, ready, results))


async def _publish(kind: str, url: str, rate: float | None, seconds: float) -> int:
    layer = make_layer(kind, url)
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        await layer.group_send(
            GROUP, {"type": "stream.events", "frames": BATCH, "sent_at": time.time()}
        )
        sent += 1
        if rate:
            pause = start + sent / rate - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
    return sent


def measure(kind: str, url: str, rate: float | None, seconds: float, listeners: int) -> dict:
    context = multiprocessing.get_context("spawn")
    ready, results = context.Event(), context.Queue()
    listener = context.Process(
        target=_listener_process, args=(kind, url, listeners, seconds + 2, ready, results)
    )
    listener.start()
    ready.wait(30)
    sent = asyncio.run(_publish(kind, url, rate, seconds))
    latencies = sorted(results.get(timeout=60))
    listener.join(30)
    delivered = len(latencies)
    return {
        "sent": sent,
        "delivered": delivered,
        "expected": sent * listeners,
        "batches_per_s": sent / seconds,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * latencies[int(0.99 * (delivered - 1))] if latencies else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.layers", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--listeners", type=int, default=4, help="sockets following the session")
    parser.add_argument("--rate", type=float, default=200.0, help="batches/s for the latency run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        redis = RedisServer(Path(directory)).start()
        try:
            rows = []
            for kind in ("core", "pubsub"):
                fixed = measure(kind, redis.url, args.rate, args.seconds, args.listeners)
                flat_out = measure(kind, redis.url, None, args.seconds, args.listeners)
                rows.append((kind, fixed, flat_out))
        finally:
            redis.stop()
    print(f"channel layers, {args.listeners} listeners in another process, 12-frame batches")
    print(
        f"{'layer':<8} {'p50 ms':>8} {'p99 ms':>8} {'at batches/s':>13} "
        f"{'max batches/s':>14} {'delivered/expected':>19}"
    )
    for kind, fixed, flat_out in rows:
        print(
            f"{kind:<8} {fixed['p50_ms']:>8.2f} {fixed['p99_ms']:>8.2f} {args.rate:>13.0f} "
            f"{flat_out['batches_per_s']:>14.0f} "
            f"{flat_out['delivered']:>9}/{flat_out['expected']:<9}"
        )


if __name__ == "__main__":
    main()
