"""The benchmark works (a few streams through every server it compares), not how fast it is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.live
SERVERS = {
    "bare websockets",
    "daphne alone (no medstream)",
    "medstream, SQLite + in-memory layer",
    "medstream, Redis + PostgreSQL",
}


def table(report: str, header: str) -> dict[str, list[str]]:
    """The rows (name: cells) of the Markdown table whose header line starts ``header``."""
    lines = report.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("| "):
            break
        name, *cells = (cell.strip() for cell in line.strip("|").split("|"))
        rows[name] = cells
    return rows


@pytest.fixture(scope="module")
def report() -> str:
    """One smoke run of the benchmark (about a minute), read by every test here."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.stream_bench", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_benchmark_runs_every_server_with_the_same_client_and_reports_each_figure(
    report: str,
) -> None:
    rows = table(report, "| server | frames/s")
    assert set(rows) == SERVERS
    for cells in rows.values():
        frames_per_s, streams_per_s, errors = cells[0], cells[1], cells[-1]
        assert (
            float(frames_per_s.replace(",", "")) > 0 and float(streams_per_s.replace(",", "")) > 0
        )
        assert errors == "0"
    assert re.search(r"cross-worker delivery at [\d,]+ events/s .* p99 [\d.]+ ms", report)
    assert re.search(r"idle sockets: 20 of 20 answered", report)
    assert re.search(r"engine alone: [\d,]+ diagnoses/s", report)


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_the_benchmark_says_where_each_server_s_cpu_goes_beside_the_budget(report: str) -> None:
    cpu = table(report, "| server | server process")
    assert set(cpu) == SERVERS
    for cells in cpu.values():
        server, client, total = number(cells[0]), number(cells[3]), number(cells[-1])
        assert server > 0 and client > 0
        assert total >= server + client - 0.015, "the total is the parts' sum, each to 0.01"
    postgres, redis = cpu["medstream, Redis + PostgreSQL"][1:3]
    assert number(postgres) > 0 and number(redis) > 0
    assert cpu["medstream, SQLite + in-memory layer"][1:3] == ["", ""]
    assert re.search(r"half the bare rate is [\d,]+ streams/s: [\d.]+ ms of CPU", report)
