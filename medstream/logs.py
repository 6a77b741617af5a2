"""JSON log lines that carry ids (session, user, worker), never clinical payloads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson

# Attributes of a LogRecord that are the record's own machinery, not context a caller passed.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Context a caller may attach with ``extra=``; anything else is dropped so that a careless
# ``extra={"request": ...}`` can never put a patient's data into the logs.
ALLOWED_CONTEXT = {
    "session_id",
    "user_id",
    "worker",
    "kind",
    "status",
    "code",
    "seq",
    "events",
    "duration_ms",
    "client",
    "path",
    "close_code",
    "reason",
    "sockets",
}


def _message(record: logging.LogRecord) -> str:
    """The line's text; Django's request log keeps its reason and drops the path, where a
    client could have put anything (``Not Found: /api/sessions/<any text>/``)."""
    if record.name in {"django.request", "django.server"} and record.args:
        status = getattr(record, "status_code", "")
        return f"{record.args[0]} (HTTP {status})"
    return record.getMessage()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        for key, value in vars(record).items():
            if key in ALLOWED_CONTEXT and key not in _RECORD_FIELDS:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class WorkerFilter(logging.Filter):
    """Stamp every line with this worker's id, so lines from N workers can be told apart."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "worker"):
            from django.conf import settings

            record.worker = getattr(settings, "WORKER_ID", "")
        return True
