"""One user's pathological notes never stall a worker (issue 17, item 1; issue 21), on a live
worker, under ``python -m medstream.serve`` and under ``daphne medstream.asgi:application``.

An attacker sends the slowest notes the adversarial benchmark knows
(:data:`benchmarks.adversarial_notes.HAND_MADE`), back to back, as diagnoses over the socket and
as note previews over REST, while another user's round trips are timed: a diagnosis on their own
socket and ``/healthz``. Before the engine left the event loop and reading became linear, one
``"a-" * 5000`` note held that worker for seconds. And the budget: with ``ENGINE_BUDGET_SECONDS``
tiny, a long note's stream ends with ``stream_failed`` and its reason, the preview answers 503
``engine_over_budget``, and the worker goes on serving.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from benchmarks.adversarial_notes import HAND_MADE
from devtools.cluster import Daphne, live_environment, prepare_database
from tests.conftest import DIAGNOSIS_REQUEST
from tests.security.live import create_users, request, ticket_url

pytestmark = pytest.mark.live

WORST = ["word boundaries a-", "unicode boundaries é-", "word boundaries 1-", "hyphenated words"]
HISTORY = {"age": 40, "sex": "female"}
ATTACK_SECONDS = 8.0
# What the bystander may wait, at most, for a whole diagnosis round trip and for /healthz while
# the attack runs: issue 17.1 asks under 100 ms of an idle machine; this one is shared by other
# work, so the bound is looser, and still far under the seconds one note held the worker before.
MAX_DIAGNOSIS_MS = 750.0
MAX_HEALTHZ_MS = 400.0
# Under what reading the longest notes takes (about 100 ms each, measured on 2026-12-07 once
# reading was linear: 0.15 s, set when they took hundreds, no longer stopped them), far over what
# a structured diagnosis takes (about a millisecond).
TINY_BUDGET_SECONDS = 0.03
USERS = [("attacker", "clinician"), ("bystander", "clinician")]


def _worker(launcher: str, var_dir: Path, **env: str) -> Daphne:
    environment = live_environment(var_dir, NOTE_READS_PER_MINUTE="100000", **env)
    prepare_database(environment)
    worker = Daphne(environment, launcher=launcher).start()
    worker.tokens = create_users(environment, USERS)
    return worker


@pytest.fixture(scope="module", params=["serve", "daphne"])
def worker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    daphne = _worker(request.param, tmp_path_factory.mktemp("adversarial"))
    try:
        yield daphne
    finally:
        daphne.stop()


async def _until_the_end(socket, message: dict) -> tuple[dict, float]:
    """Send ``message``, read to the stream's last frame; the frame and the milliseconds."""
    started = time.perf_counter()
    await socket.send(json.dumps(message))
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 60))
        if frame["type"] in ("complete", "error"):
            return frame, (time.perf_counter() - started) * 1000


async def _attack_on_the_socket(
    worker: Daphne, stop: asyncio.Event, attacking: asyncio.Event
) -> int:
    sent = 0
    async with connect(ticket_url(worker, worker.tokens["attacker"])) as socket:
        while not stop.is_set():
            note = HAND_MADE[WORST[sent % len(WORST)]][:-6] + f"{sent:06d}"
            data = {"note": note, "history": HISTORY}
            waiting = _until_the_end(socket, {"type": "diagnosis", "data": data})
            attacking.set()  # connected, and the next step sends the first worst note
            await waiting
            sent += 1
    return sent


def _attack_on_the_preview(
    worker: Daphne, stop: threading.Event, answers: list[object], attacking: threading.Event
) -> None:
    """Previews back to back; each answer's status (or the error of one that took too long:
    the attacker's own wait, which is no one else's)."""
    token = worker.tokens["attacker"]
    while not stop.is_set():
        attacking.set()
        note = HAND_MADE[WORST[len(answers) % len(WORST)]][:-6] + f"{len(answers):06d}"
        try:
            answers.append(request(worker, "POST", "/api/notes/read/", token, {"note": note})[0])
        except OSError as error:
            answers.append(type(error).__name__)


def _healthz_ms(worker: Daphne) -> float:
    started = time.perf_counter()
    status = request(worker, "GET", "/healthz")[0]
    assert status == 200
    return (time.perf_counter() - started) * 1000


async def _bystander(worker: Daphne) -> tuple[list[float], list[float]]:
    diagnoses, health = [], []
    async with connect(ticket_url(worker, worker.tokens["bystander"])) as socket:
        await _until_the_end(socket, {"type": "diagnosis", "data": DIAGNOSIS_REQUEST})  # warm
        deadline = time.monotonic() + ATTACK_SECONDS
        while time.monotonic() < deadline:
            frame, ms = await _until_the_end(
                socket, {"type": "diagnosis", "data": DIAGNOSIS_REQUEST}
            )
            assert frame["type"] == "complete", frame
            diagnoses.append(ms)
            health.append(await asyncio.to_thread(_healthz_ms, worker))
    return diagnoses, health


async def _under_attack(worker: Daphne) -> tuple[list[float], list[float], int, list[object]]:
    stop, stop_previews = asyncio.Event(), threading.Event()
    on_the_socket, on_the_preview = asyncio.Event(), threading.Event()
    previews: list[object] = []
    previewer = threading.Thread(
        target=_attack_on_the_preview, args=(worker, stop_previews, previews, on_the_preview)
    )
    previewer.start()
    attack = asyncio.create_task(_attack_on_the_socket(worker, stop, on_the_socket))
    try:
        # The bystander starts once both attacks are under way, not after a guessed delay.
        await asyncio.wait_for(on_the_socket.wait(), 30)
        assert await asyncio.to_thread(on_the_preview.wait, 30), "the preview attack never began"
        diagnoses, health = await _bystander(worker)
    finally:
        stop.set()
        stop_previews.set()
        sent = await attack
        await asyncio.to_thread(previewer.join)
    return diagnoses, health, sent, previews


def test_another_users_round_trips_are_served_while_one_user_sends_the_worst_notes(worker):
    diagnoses, health, sent, previews = asyncio.run(_under_attack(worker))

    figures = (
        f"bystander diagnosis max {max(diagnoses):.0f} ms (n={len(diagnoses)}), /healthz max "
        f"{max(health):.0f} ms; attacker {sent} notes on the socket, {len(previews)} previews"
    )
    print(figures)
    assert sent >= 1 and previews, figures
    assert all(answer in (200, 503) or isinstance(answer, str) for answer in previews), previews
    assert max(diagnoses) < MAX_DIAGNOSIS_MS, figures
    assert max(health) < MAX_HEALTHZ_MS, figures


@pytest.fixture(scope="module")
def tiny_budget(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    daphne = _worker(
        "serve", tmp_path_factory.mktemp("budget"), ENGINE_BUDGET_SECONDS=str(TINY_BUDGET_SECONDS)
    )
    try:
        yield daphne
    finally:
        daphne.stop()


async def _stream_of(worker: Daphne, user: str, data: dict) -> dict:
    async with connect(ticket_url(worker, worker.tokens[user])) as socket:
        frame, _ = await _until_the_end(socket, {"type": "diagnosis", "data": data})
        return frame


def test_a_note_past_the_engine_budget_ends_its_stream_with_the_reason_and_the_worker_serves_on(
    tiny_budget,
):
    # With the age and sex given, validation does not read the note; the diagnosis reads it all.
    long_note = HAND_MADE["word and query"]
    frame = asyncio.run(
        _stream_of(tiny_budget, "attacker", {"note": long_note, "history": HISTORY})
    )
    status, _, preview = request(
        tiny_budget, "POST", "/api/notes/read/", tiny_budget.tokens["attacker"], {"note": long_note}
    )
    served = asyncio.run(_stream_of(tiny_budget, "bystander", DIAGNOSIS_REQUEST))

    assert frame["type"] == "error" and frame["code"] == "stream_failed", frame
    assert "took too long" in frame["error"], frame
    session = request(
        tiny_budget, "GET", f"/api/sessions/{frame['session_id']}/", tiny_budget.tokens["attacker"]
    )[2]
    assert session["status"] == "failed" and "budget" in session["failure_reason"], session
    assert status == 503 and preview["code"] == "engine_over_budget", preview
    assert served["type"] == "complete", served
    assert request(tiny_budget, "GET", "/healthz")[0] == 200
