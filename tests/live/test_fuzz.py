"""Hypothesis against the live consumer: generated frames over a real socket to a real daphne,
on the embedded default (SQLite, in-memory layer) and on PostgreSQL with Redis.

Frames: protocol messages mutated from valid ones (wrong types, missing and extra fields, huge
numbers, long strings, random unicode, deep nesting), JSON text with NaN/Infinity literals and
huge or deeply nested values, binary frames, text frames of invalid UTF-8 and frames over the
size limit. After each frame a probe (an unknown type with a request id) marks the end of its
answers, since a socket handles its messages in order. Checked after every frame:

- every answer is a protocol frame, and none says ``internal_error``, ``unavailable`` or
  ``stream_failed``;
- a frame answered with an error wrote nothing: no session, chat message or audit entry (the
  rows of the fuzzing user are counted in the worker's own database before and after);
- only invalid UTF-8 (1007) and frames over the limit (1009) close the socket;

and after the run: every session a valid frame started ended ``completed`` or ``cancelled`` with
a gapless event log, the socket still answers a valid request, and the worker's log holds no
ERROR line and no traceback.

The normal suite runs the ``fuzz-ci`` profile (a few hundred frames per backend);
``make fuzz`` runs ``fuzz`` (MEDSTREAM_FUZZ_PROFILE=fuzz: 10,000 frames per backend).
"""

from __future__ import annotations

import copy
import json
import os
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as sync_connect

from devtools.cluster import Cluster, Daphne, live_environment, prepare_database, wait_until
from tests.conftest import DIAGNOSIS_REQUEST, PRESCRIPTION_REQUEST
from tests.security.live import create_users, ticket_url

pytestmark = pytest.mark.live

_COMMON = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "print_blob": True,
}
settings.register_profile("fuzz-ci", max_examples=300, **_COMMON)
settings.register_profile("fuzz", max_examples=10_000, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("MEDSTREAM_FUZZ_PROFILE", "fuzz-ci"))

MAX_FRAME_BYTES = 65_536
# Stands for "the n-th session this run started": resolved when the frame is sent, so that the
# strategies do not depend on what the server answered (hypothesis replays them).
KNOWN = "known-session-"
# Limits far above what the fuzzer sends: the limits have their own tests (tests/security).
NO_LIMITS = {
    "WS_MESSAGES_PER_MINUTE": "100000000",
    "STREAM_STARTS_PER_MINUTE": "100000000",
    "API_USER_RATE": "1000000/minute",
    "WS_MAX_FRAME_BYTES": str(MAX_FRAME_BYTES),
}
KNOWN_TYPES = {"accepted", "progress", "stream_chunk", "complete", "error", "chat", "pong"}
NEVER = {"internal_error", "unavailable", "stream_failed"}

# ---- frames ----------------------------------------------------------------------------------

TEMPLATES: dict[str, Any] = {
    "diagnosis": DIAGNOSIS_REQUEST,
    "prescription": PRESCRIPTION_REQUEST,
    "chat": {"message": "bed 4, BP?"},
    "resume": {"session_id": "", "last_seq": -1},
    "cancel": {"session_id": ""},
}

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 2**53 + 1, 300, 20.0, 45.0001]),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=12_000),
    st.sampled_from(["", " ", "cough", "120/80", "\x00", "a\x00b", "\x1b[2J", "\u202e", "e\u0301"]),
    st.sampled_from(["\ud800", "NaN", "\ufeff", "\U0001f600", "\uff21\uff22\uff23", "\u0000cough"]),
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)


def deep(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path to a value inside ``value``, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def replace(root: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = root
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return root


def delete(root: Any, path: tuple) -> Any:
    if not path:
        return root
    parent = root
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return root


@dataclass
class Frame:
    kind: str  # json, text, binary, bad_utf8, oversized
    payload: str | bytes
    message: Any = None

    @property
    def type(self) -> Any:
        return self.message.get("type") if isinstance(self.message, dict) else None

    @property
    def closes_with(self) -> int | None:
        """The close code the rules give this frame: too big first, then invalid UTF-8."""
        size = len(self.payload.encode() if isinstance(self.payload, str) else self.payload)
        if size > MAX_FRAME_BYTES:
            return 1009
        return 1007 if self.kind == "bad_utf8" else None


@st.composite
def protocol_messages(draw: Callable[..., Any]) -> Frame:
    """A message of the protocol, with 0 to 4 mutations anywhere in it."""
    kind = draw(
        st.sampled_from([*TEMPLATES] * 3 + ["", "DIAGNOSIS", "resume ", "__init__", "x" * 50])
    )
    data = copy.deepcopy(TEMPLATES.get(kind, draw(st.sampled_from(list(TEMPLATES.values())))))
    if isinstance(data, dict) and "session_id" in data:
        known = st.integers(0, 1000).map(lambda n: f"{KNOWN}{n}")
        data["session_id"] = draw(st.one_of(known, st.uuids().map(str), json_values))
    message: Any = {"type": kind, "data": data}
    if draw(st.booleans()):
        message["request_id"] = draw(st.one_of(st.text(max_size=110), json_values, leaves))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        path = draw(st.sampled_from(list(paths(message))))
        operation = draw(st.sampled_from(["set", "set", "delete", "extra", "deep"]))
        if operation == "set":
            message = replace(message, path, draw(json_values))
        elif operation == "delete":
            message = delete(message, path)
        elif operation == "extra" and isinstance(message, dict):
            message[draw(st.text(max_size=12))] = draw(json_values)
        elif operation == "deep":
            message = replace(message, path, deep(draw(st.integers(2, 40))))
    return Frame("json", encoded(message, draw(st.booleans())), message)


def encoded(message: Any, ascii_only: bool) -> str:
    """JSON text with non-ASCII escaped, or written as UTF-8 (when it can be: no surrogates)."""
    if not ascii_only:
        text = json.dumps(message, ensure_ascii=False)
        try:
            text.encode()
            return text
        except UnicodeEncodeError:
            pass
    return json.dumps(message)


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def text_frame(text: str) -> Frame:
    """A text frame, with the message it holds when it is still strict JSON."""
    try:
        message = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        message = None
    return Frame("text", text, message)


def _literal(text: str, literal: str, occurrence: int) -> str:
    """``text`` with its n-th number replaced by ``literal`` (NaN, Infinity, 1e999, ...)."""
    numbers = list(re.finditer(r"(?<=[:\[,])\s*-?\d+(\.\d+)?", text))
    if not numbers:
        return text
    match = numbers[occurrence % len(numbers)]
    return text[: match.start()] + literal + text[match.end() :]


@st.composite
def raw_frames(draw: Callable[..., Any]) -> Frame:
    """Frames that are not protocol JSON, or not JSON at all."""
    shape = draw(
        st.sampled_from(
            ["literal", "literal", "nesting", "unicode", "binary", "truncated", "long", "rare"]
        )
    )
    if shape in {"literal", "truncated"}:
        text = draw(protocol_messages()).payload
        if shape == "truncated":
            return text_frame(text[: draw(st.integers(0, max(0, len(text) - 1)))])
        literal = draw(
            st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 400, "-0", "1E400"])
        )
        return text_frame(_literal(text, literal, draw(st.integers(0, 50))))
    if shape == "nesting":
        depth = draw(st.integers(10, 3000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return Frame("text", opener * depth + "1" + closer * depth)
    if shape == "unicode":
        return text_frame(draw(st.text(max_size=200)))
    if shape == "binary":
        return Frame("binary", draw(st.binary(max_size=300)))
    if shape == "long":
        size = draw(st.integers(1_000, MAX_FRAME_BYTES - 100))
        return text_frame(json.dumps({"type": "chat", "data": {"message": "x" * size}}))
    # rare: the two frames that close a socket by rule
    if draw(st.integers(0, 3)) == 0:
        size = draw(st.integers(MAX_FRAME_BYTES + 1, MAX_FRAME_BYTES * 2))
        return Frame("oversized", "y" * size)
    text = draw(protocol_messages()).payload.encode()
    cut = draw(st.integers(0, len(text)))
    return Frame(
        "bad_utf8",
        text[:cut] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"])) + text[cut:],
    )


def frames() -> st.SearchStrategy[Frame]:
    return st.one_of(protocol_messages(), protocol_messages(), raw_frames())


# ---- the worker's database, read directly -----------------------------------------------------

COUNTS = {
    "sessions": "SELECT count(*) FROM clinical_streamsession WHERE owner_id = {uid}",
    "chat": "SELECT count(*) FROM clinical_chatmessage WHERE author_id = {uid}",
    "audit": "SELECT count(*) FROM clinical_auditentry WHERE actor_id = {uid}",
}


class Database:
    """Row counts and sessions of one user, read from the database the worker writes."""

    def __init__(self, query: Callable[[str], list[tuple]], username: str) -> None:
        self.query = query
        self.uid = int(query(f"SELECT id FROM auth_user WHERE username = '{username}'")[0][0])

    def counts(self) -> dict[str, int]:
        return {name: self.query(sql.format(uid=self.uid))[0][0] for name, sql in COUNTS.items()}

    def sessions(self) -> list[tuple]:
        return self.query(
            "SELECT s.id, s.status, s.last_seq, s.failure_reason, "
            "(SELECT count(*) FROM clinical_streamevent e WHERE e.session_id = s.id), "
            "(SELECT max(seq) FROM clinical_streamevent e WHERE e.session_id = s.id) "
            f"FROM clinical_streamsession s WHERE s.owner_id = {self.uid}"
        )


def sqlite_query(path: Path) -> Callable[[str], list[tuple]]:
    def query(sql: str) -> list[tuple]:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as connection:
            return connection.execute(sql).fetchall()

    return query


def postgres_query(cluster: Cluster) -> Callable[[str], list[tuple]]:
    connection = cluster.postgres.connect()

    def query(sql: str) -> list[tuple]:
        return connection.execute(sql).fetchall()

    return query


# ---- the harness -----------------------------------------------------------------------------


class Fuzzer:
    """One user's socket to one worker, fed frames one at a time, checking every answer."""

    def __init__(self, worker: Daphne, token: str, database: Database) -> None:
        self.worker, self.token, self.database = worker, token, database
        self.socket: ClientConnection | None = None
        self.sent = 0
        self.probes = 0
        self.session_ids: list[str] = []
        self.codes: Counter[str] = Counter()
        self.closes: Counter[int] = Counter()
        self.connect()

    def connect(self) -> None:
        url = ticket_url(self.worker, self.token)
        self.socket = sync_connect(
            url, compression=None, max_size=None, open_timeout=10, legacy=True
        )

    def exchange(self, frame: Frame) -> None:
        before = self.database.counts()
        self.sent += 1
        try:
            self._send(frame)
            answers = self._answers_until_probe()
        except ConnectionClosed as closed:
            self._reconnect_after(frame, closed)
            assert self.database.counts() == before, frame
            return
        assert frame.closes_with is None, f"a {frame.kind} frame did not close the socket"
        self._check(frame, answers, before, self.database.counts())

    def _send(self, frame: Frame) -> None:
        if frame.kind == "bad_utf8":
            self.socket.send(frame.payload, text=True)
        else:
            self.socket.send(self._resolved(frame.payload))
        self.probes += 1
        probe = f"probe-{self.probes}"
        self.socket.send(json.dumps({"type": probe, "request_id": probe}))

    def _resolved(self, payload: str | bytes) -> str | bytes:
        """The payload with each KNOWN placeholder replaced by a session this run started."""
        if isinstance(payload, bytes) or KNOWN not in payload or not self.session_ids:
            return payload
        ids = self.session_ids
        return re.sub(f"{KNOWN}(\\d+)", lambda m: ids[int(m[1]) % len(ids)], payload)

    def _answers_until_probe(self) -> list[dict[str, Any]]:
        """Frames up to the probe's answer: the fuzzed frame's answers and stream frames."""
        probe = f"probe-{self.probes}"
        answers = []
        while True:
            frame = json.loads(self.socket.recv(timeout=20))
            if frame.get("request_id") == probe and frame.get("code") == "unknown_type":
                return answers
            self._note(frame)
            answers.append(frame)

    def _note(self, frame: dict[str, Any]) -> None:
        """Check one frame from the server; remember the sessions the fuzzing started."""
        assert isinstance(frame, dict) and frame.get("type") in KNOWN_TYPES, frame
        assert frame.get("code") not in NEVER, frame
        if frame["type"] == "accepted" and frame["session_id"] not in self.session_ids:
            self.session_ids.append(frame["session_id"])

    def _reconnect_after(self, frame: Frame, closed: ConnectionClosed) -> None:
        code = closed.rcvd.code if closed.rcvd else 1006
        assert frame.closes_with == code, f"closed with {code} after a {frame.kind} frame"
        self.closes[code] += 1
        self.connect()

    def _check(
        self, frame: Frame, answers: list[dict], before: dict[str, int], after: dict[str, int]
    ) -> None:
        """A frame answered with an error wrote nothing; one that wrote, wrote what it should."""
        direct = [a for a in answers if a["type"] == "error" and "seq" not in a]
        for answer in direct:
            self.codes[answer["code"]] += 1
        written = {name: after[name] - before[name] for name in after}
        if direct:
            assert written == {"sessions": 0, "chat": 0, "audit": 0}, (frame, direct)
            return
        self.codes["ok"] += 1
        expected = {
            "diagnosis": {"sessions": 1, "chat": 0, "audit": 1},
            "prescription": {"sessions": 1, "chat": 0, "audit": 1},
            "chat": {"sessions": 0, "chat": 1, "audit": 0},
            "resume": {"sessions": 0, "chat": 0, "audit": 1},
            "cancel": {"sessions": 0, "chat": 0, "audit": 1},
        }
        assert written == expected.get(frame.type), (frame, answers, written)

    def finish(self, seconds: float = 60) -> None:
        """Every started session ends (completed or cancelled) with a gapless event log, and
        the socket still answers a valid request."""

        def all_finished() -> bool:
            return all(row[1] != "running" for row in self.database.sessions())

        wait_until(all_finished, seconds, "every fuzzed session to finish")
        for session_id, status, last_seq, reason, events, max_seq in self.database.sessions():
            assert status in {"completed", "cancelled"}, (session_id, status, reason)
            assert events == last_seq + 1 == max_seq + 1, session_id
        self.socket.send(json.dumps({"type": "diagnosis", "data": DIAGNOSIS_REQUEST}))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            frame = json.loads(self.socket.recv(timeout=20))
            self._note(frame)
            if frame["type"] == "complete" and frame["session_id"] not in self.session_ids[:-1]:
                break
        else:
            raise AssertionError("no complete frame for a valid request after fuzzing")
        self.socket.close()


def clean_log(worker: Daphne) -> None:
    """No unhandled error reached the worker's log."""
    for line in worker.log.read_text(errors="replace").splitlines():
        assert '"level":"ERROR"' not in line and '"level":"CRITICAL"' not in line, line
        assert "Traceback" not in line and "Unhandled" not in line, line


def fuzz(fuzzer: Fuzzer, report: dict[str, object], name: str) -> None:
    started = time.monotonic()

    @given(data=st.data())
    @settings(PROFILE)
    def one_frame(data: st.DataObject) -> None:
        fuzzer.exchange(data.draw(frames(), label="frame"))

    one_frame()
    fuzzer.finish()
    seconds = time.monotonic() - started
    assert fuzzer.sent >= PROFILE.max_examples
    report[f"fuzz {name}: frames, seconds"] = (fuzzer.sent, round(seconds, 1))
    report[f"fuzz {name}: answers"] = dict(fuzzer.codes.most_common())
    report[f"fuzz {name}: closes"] = dict(fuzzer.closes)


# ---- the two backends --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    """A worker of its own on the embedded default, with the limits out of the way."""
    env = live_environment(tmp_path_factory.mktemp("fuzz-embedded"), **NO_LIMITS)
    prepare_database(env)
    worker = Daphne(env, name="fuzz-embedded").start()
    yield worker
    worker.stop()


@pytest.fixture(scope="module")
def postgres_worker(cluster: Cluster) -> Iterator[Daphne]:
    """A worker of its own on the live cluster's PostgreSQL and Redis."""
    worker = Daphne(cluster.env | NO_LIMITS, name="fuzz-postgres").start()
    yield worker
    worker.stop()


def test_the_embedded_worker_survives_fuzzing(embedded_worker, live_figures):
    token = create_users(embedded_worker.env, [("fuzzer", "clinician")])["fuzzer"]
    database_file = Path(embedded_worker.env["MEDSTREAM_VAR_DIR"]) / "medstream.sqlite3"
    database = Database(sqlite_query(database_file), "fuzzer")

    fuzz(Fuzzer(embedded_worker, token, database), live_figures, "embedded")

    clean_log(embedded_worker)


def test_a_postgres_worker_survives_fuzzing(cluster, postgres_worker, live_figures):
    token = create_users(postgres_worker.env, [("pg-fuzzer", "clinician")])["pg-fuzzer"]
    database = Database(postgres_query(cluster), "pg-fuzzer")

    fuzz(Fuzzer(postgres_worker, token, database), live_figures, "postgres")

    clean_log(postgres_worker)
