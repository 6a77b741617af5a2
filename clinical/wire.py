"""Protocol v1's one JSON codec, one timestamp format and one error-frame builder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson


class EncodedFrame(dict):
    """A frame together with the JSON text it was encoded to once, for storing and sending.

    ``FrameEncoder`` hands the text to the database as it is, so a frame is encoded once per
    stream, not once to send and again to store.
    """

    __slots__ = ("text",)

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(frame)
        self.text = encode(frame)


class FrameEncoder(json.JSONEncoder):
    """The JSON encoder of stored frames: orjson, and no encoding at all for an EncodedFrame."""

    def encode(self, o: Any) -> str:
        return o.text if isinstance(o, EncodedFrame) else encode(o)


class InvalidJson(ValueError):
    """A frame that is not a JSON text (binary, malformed, NaN/Infinity, nested too deep)."""


def encode(frame: Any) -> str:
    """Compact JSON text; ``datetime`` and ``UUID`` values come out as ISO text and hex strings."""
    return orjson.dumps(frame).decode()


def decode(text: str | bytes) -> Any:
    """Parse one client frame. orjson refuses NaN/Infinity and nesting over 1024 levels."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InvalidJson(str(error)) from None


def timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as every frame carries."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_frame(
    code: str,
    error: str,
    *,
    details: dict[str, Any] | None = None,
    session_id: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> dict[str, Any]:
    """``{type: "error", error, code, ...}``: ``error`` is for people, ``code`` for programs."""
    frame: dict[str, Any] = {"type": "error", "error": error, "code": code}
    if details is not None:
        frame["details"] = details
    if session_id is not None:
        frame["session_id"] = session_id
    if request_id is not None:
        frame["request_id"] = request_id
    if retry_after is not None:
        frame["retry_after"] = retry_after
    frame["timestamp"] = timestamp()
    return frame


def pong_frame(request_id: str | None = None) -> dict[str, Any]:
    """``{type: "pong", request_id?, timestamp}``: the answer to a client's ``ping``."""
    frame: dict[str, Any] = {"type": "pong"}
    if request_id is not None:
        frame["request_id"] = request_id
    frame["timestamp"] = timestamp()
    return frame
