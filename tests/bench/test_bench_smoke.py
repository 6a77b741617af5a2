"""The benchmark works (a few streams through every server it compares), not how fast it is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.live


def test_the_benchmark_runs_every_server_with_the_same_client_and_reports_each_figure():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.stream_bench", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    rows = {
        name: cells
        for name, *cells in (
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in report.splitlines()
            if line.startswith("| ") and not line.startswith("| server")
        )
    }
    assert set(rows) == {
        "bare websockets",
        "daphne alone (no medstream)",
        "medstream, SQLite + in-memory layer",
        "medstream, Redis + PostgreSQL",
    }
    for cells in rows.values():
        frames_per_s, streams_per_s, errors = cells[0], cells[1], cells[-1]
        assert (
            float(frames_per_s.replace(",", "")) > 0 and float(streams_per_s.replace(",", "")) > 0
        )
        assert errors == "0"
    assert re.search(r"cross-worker delivery at [\d,]+ events/s .* p99 [\d.]+ ms", report)
    assert re.search(r"idle sockets: 20 of 20 answered", report)
    assert re.search(r"engine alone: [\d,]+ diagnoses/s", report)
