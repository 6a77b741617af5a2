"""JSON log lines that carry ids (session, user, worker), never clinical payloads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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
    "close_code",
    "reason",
    "sockets",
}


# Stands in for a request path while a message is formatted, then goes with its ": ".
_PATH = "\x00path\x00"


def _request_paths(record: logging.LogRecord) -> set[str]:
    """The path of the request a record carries (Django's ``extra={"request": ...}``), as sent
    and as Django's log_response escapes it."""
    request = getattr(record, "request", None)
    paths = set()
    for name in ("path", "path_info"):
        value = getattr(request, name, None)
        if isinstance(value, str) and value:
            paths |= {value, value.encode("unicode_escape").decode("ascii")}
    return paths


def _is_path(value: Any, paths: set[str]) -> bool:
    return isinstance(value, str) and value in paths


def _without_paths(record: logging.LogRecord, paths: set[str]) -> str:
    args: Any = record.args
    if isinstance(args, Mapping):
        args = {k: _PATH if k == "path" or _is_path(v, paths) else v for k, v in args.items()}
    elif args:
        args = tuple(_PATH if _is_path(a, paths) else a for a in args)
    try:
        text = str(record.msg) % args if args else str(record.msg)
    except (TypeError, ValueError, KeyError):
        text = str(record.msg)
    text = text.replace(f": {_PATH}", "").replace(f" {_PATH}", "").replace(_PATH, "")
    # A reason that quotes the path itself ("/" alone would take every slash with it).
    for path in sorted(paths, key=len, reverse=True):
        if len(path) > 1:
            text = text.replace(path, "")
    return text


def _message(record: logging.LogRecord) -> str:
    """The line's text. Django's request logs (``django.request``, ``django.security.*`` such as
    the CSRF refusal, ``django.server``) keep their reason and status and lose the path, where
    a client could have put anything (``Forbidden (Permission denied): /admin/<any text>/``)."""
    status = getattr(record, "status_code", None)
    paths = _request_paths(record)
    if record.name == "django.server" and record.args:
        # runserver's access line, '"GET /path HTTP/1.1" 404 179': its method only.
        text = str(record.args[0]).split(" ", 1)[0]
    elif paths or record.name == "django.channels.server":  # daphne's runserver: %(path)s
        text = _without_paths(record, paths)
    else:
        text = record.getMessage()
    return text if status is None else f"{text} (HTTP {status})"


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


class DisallowedHostFilter(logging.Filter):
    """Django logs every request whose Host is not one of ALLOWED_HOSTS at ERROR, with the
    exception's traceback: a scanner, or a proxy sending the wrong Host, buried every other line
    under one per request. On ``django.security.DisallowedHost`` this lets one line through per
    ``interval`` seconds, at WARNING and without the traceback (the reason names the host), and
    that line says how many were dropped since the one before. One count for the worker, not one
    per host, so a flood of made-up hosts costs no memory."""

    interval = 60.0

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._next_line = 0.0
        self._dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            now = time.monotonic()
            if now < self._next_line:
                self._dropped += 1
                return False
            dropped, self._dropped, self._next_line = self._dropped, 0, now + self.interval
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        if dropped:
            record.msg = f"{record.getMessage()} ({dropped} more refused since the last such line)"
            record.args = ()
        return True
