"""Prometheus metrics of this worker, served at ``/metrics`` (each worker is its own target)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

open_sockets = Gauge("medstream_open_sockets", "WebSocket connections open on this worker.")
socket_refusals = Counter(
    "medstream_socket_refusals_total", "Sockets refused before accept, by close code.", ["code"]
)
streams_started = Counter(
    "medstream_streams_started_total", "Streams this worker started.", ["kind"]
)
streams_finished = Counter(
    "medstream_streams_finished_total",
    "Streams this worker ran to an end, by final status.",
    ["kind", "status"],
)
streams_taken_over = Counter(
    "medstream_streams_taken_over_total", "Sessions this worker took over from a dead worker."
)
event_delivery_seconds = Histogram(
    "medstream_event_delivery_seconds",
    "From publishing a stored batch to sending its frames on a socket (live frames only).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
layer_errors = Counter(
    "medstream_channel_layer_errors_total", "Channel layer operations that failed.", ["operation"]
)
database_errors = Counter(
    "medstream_database_errors_total", "Client requests answered 'unavailable' (database)."
)


def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
