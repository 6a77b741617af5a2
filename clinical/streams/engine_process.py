"""The engine's side of an engine process (:mod:`clinical.streams.engine_pool`): no Django here.

A process serves one job at a time from its end of a pipe: ``(job, data)`` in, then each event
the engine produces as ``("event", event)`` the moment it is produced, and one last message:
``("done", None)``, ``("invalid", details)`` for a request the engine refuses, or ``("error",
name)`` for an exception (its type only: the message may quote the request). The process is
started as ``python -m clinical.streams.engine_process FD`` with the pipe's descriptor, and says
``("ready", None)`` once the knowledge base and the note lexicon are loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from clinical import engine

Job = Callable[[Any], Iterator[Any]]


def _validated_diagnosis(data: Any) -> Iterator[Any]:
    yield engine.validate_diagnosis(data).model_dump(mode="json", exclude_none=True)


def _validated_prescription(data: Any) -> Iterator[Any]:
    yield engine.validate_prescription(data).model_dump(mode="json", exclude_none=True)


def _note_preview(data: Any) -> Iterator[Any]:
    yield engine.read_note_for_preview(data)


JOBS: dict[str, Job] = {
    "diagnosis": engine.diagnose,
    "prescription": engine.prescribe,
    "validate_diagnosis": _validated_diagnosis,
    "validate_prescription": _validated_prescription,
    "note_preview": _note_preview,
}


def warm() -> None:
    """Load the knowledge base and the note lexicon (a first diagnosis builds what it needs)."""
    for _ in engine.diagnose({"note": "chest pain", "history": {"age": 40, "sex": "male"}}):
        pass


def serve(connection: Connection) -> None:
    """Say when warm, then run jobs until the pipe closes."""
    warm()
    connection.send(("ready", None))
    while True:
        try:
            job, data = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(_run(job, data, connection))


def _run(job: str, data: Any, connection: Connection) -> tuple[str, Any]:
    try:
        for event in JOBS[job](data):
            connection.send(("event", event))
    except engine.EngineValidationError as error:
        return "invalid", error.details
    except Exception as error:
        return "error", type(error).__name__
    return "done", None


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
