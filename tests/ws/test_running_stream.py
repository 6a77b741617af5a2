"""A stream that is really running: its socket drops, or it is cancelled, between two stages.

This engine's stream takes well under a millisecond, so "while it runs" is made exact with a
:class:`StageGate`: with ``STREAM_BATCH_MS=0`` every stage is a write of its own, and the gate
holds the run just before it stores the batch that opens one stage, as if the database were
slow at that moment (the in-process cousin of the live tests' ``EventGate``). Everything before
that stage is stored and sent; nothing after it is, until the gate opens.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from clinical.models import StreamEvent, StreamSession
from clinical.streams import runner
from clinical.streams.worker import worker

pytestmark = pytest.mark.django_db(transaction=True)

HELD_STAGE = "history_review"


class StageGate:
    """Holds a run before it stores the batch that opens ``stage``, until :meth:`open`."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.held_seq = -1
        self._reached = asyncio.Event()
        self._opened = asyncio.Event()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        store_batch = runner._append

        async def gated(session_id: Any, kind: str, frames: list, **kwargs: Any) -> None:
            first = frames[0] if frames else {}
            if first.get("type") == "progress" and first.get("stage") == self.stage:
                self.held_seq = first["seq"]
                self._reached.set()
                await self._opened.wait()
            return await store_batch(session_id, kind, frames, **kwargs)

        monkeypatch.setattr(runner, "_append", gated)

    async def reached(self) -> int:
        """Wait until the run is held; returns how many frames it stored and sent before."""
        await asyncio.wait_for(self._reached.wait(), 10)
        return self.held_seq

    def open(self) -> None:
        self._opened.set()


@pytest.fixture
async def gate(settings: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StageGate]:
    settings.STREAM_BATCH_MS = 0
    stage_gate = StageGate(HELD_STAGE)
    stage_gate.install(monkeypatch)
    yield stage_gate
    stage_gate.open()


async def stored(session_id: str) -> list[dict[str, Any]]:
    rows = StreamEvent.objects.filter(session_id=session_id).order_by("seq")
    return [row.payload async for row in rows]


async def test_a_running_stream_whose_socket_drops_goes_on_and_completes_in_the_store(
    gate, open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request})
    sent_before = await gate.reached()
    received = [await socket.receive() for _ in range(sent_before)]
    session_id = received[0]["session_id"]

    await socket.close()
    assert worker.runs_here(uuid.UUID(session_id))  # the socket is gone; its stream is not
    running = await StreamSession.objects.aget(id=session_id)
    assert running.status == "running" and running.last_seq == sent_before - 1
    gate.open()
    await worker.wait(session_id)

    session = await StreamSession.objects.aget(id=session_id)
    frames = await stored(session_id)
    assert session.status == "completed"
    assert frames[:sent_before] == received
    assert [frame["seq"] for frame in frames] == list(range(len(frames)))
    assert frames[-1]["type"] == "complete" and len(frames) > sent_before + 1


async def test_cancelling_a_running_stream_ends_it_with_the_cancelled_error(
    gate, open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request, "request_id": "start-1"})
    sent_before = await gate.reached()
    received = [await socket.receive() for _ in range(sent_before)]
    session_id = received[0]["session_id"]

    await socket.send({"type": "cancel", "data": {"session_id": session_id}, "request_id": "c-1"})
    # A socket's messages are handled in order: this reply comes after the cancel's, if any.
    await socket.send({"type": "probe", "request_id": "after-cancel"})
    reply = await socket.receive()
    asked = await StreamSession.objects.aget(id=session_id)
    gate.open()
    rest = await socket.until_terminal()

    assert reply["code"] == "unknown_type" and reply["request_id"] == "after-cancel"
    assert asked.status == "running" and asked.cancel_requested
    last = rest[-1]
    assert last["type"] == "error" and last["code"] == "cancelled"
    assert last["seq"] == sent_before and last["session_id"] == session_id
    assert last["request_id"] == "start-1"  # the stream's request_id, not the cancel's
    session = await StreamSession.objects.aget(id=session_id)
    assert session.status == "cancelled" and session.failure_reason == "cancelled by user"
    assert await stored(session_id) == received + rest
    assert await socket.silent()


async def test_a_resume_replays_frames_with_the_request_id_of_the_message_that_started_them(
    gate, open_socket, clinician, diagnosis_request
):
    socket = await open_socket(clinician)
    await socket.send({"type": "diagnosis", "data": diagnosis_request, "request_id": "start-2"})
    sent_before = await gate.reached()
    session_id = (await socket.receive())["session_id"]
    await socket.close()

    again = await open_socket(clinician)
    resume = {"session_id": session_id, "last_seq": -1}
    await again.send({"type": "resume", "data": resume, "request_id": "resume-2"})
    replayed = [await again.receive() for _ in range(sent_before)]
    gate.open()
    frames = replayed + await again.until_terminal()

    assert [frame["seq"] for frame in frames] == list(range(len(frames)))
    assert frames[-1]["type"] == "complete"
    assert {frame["request_id"] for frame in frames} == {"start-2"}
