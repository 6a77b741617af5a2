"""Real processes started by the test session: daphne workers, redis-server, PostgreSQL.

The processes and their wiring live in ``devtools.cluster`` (``make cluster`` uses the same).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.cluster import (  # noqa: F401  (re-exported for other test packages)
    LIVE_PASSWORD,
    Cluster,
    Daphne,
    free_port,
    live_environment,
    manage,
    prepare_database,
    wait_until,
)


@pytest.fixture(scope="session")
def daphne_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    """One daphne worker on the embedded default (SQLite file, in-memory layer)."""
    env = live_environment(tmp_path_factory.mktemp("live-embedded"))
    prepare_database(env)
    server = Daphne(env).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_temp() -> Iterator[Path]:
    """A folder PostgreSQL's own user can enter when the tests run as root (pytest keeps its
    temporary folders private to the user running it)."""
    directory = Path(tempfile.mkdtemp(prefix="medstream-live-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(shared_temp: Path) -> Iterator[Cluster]:
    """Redis, PostgreSQL and two daphne workers with a 5 s stream lease."""
    running = Cluster(
        shared_temp / "cluster",
        workers=2,
        # Batches of one stage each, so a test can hold a stream between two stages.
        extra_env={"STREAM_LEASE_SECONDS": "5", "DRAIN_GRACE_SECONDS": "3", "STREAM_BATCH_MS": "0"},
    )
    try:
        yield running.start()
    finally:
        running.stop()


_FIGURES: dict[str, object] = {}


@pytest.fixture(scope="session")
def live_figures() -> dict[str, object]:
    """Figures measured by live tests, printed at the end of the run (README quotes them)."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures measured by the live tests")
        for name, value in _FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
