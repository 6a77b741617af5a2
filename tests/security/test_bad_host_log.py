"""The bad-Host line (medstream.logs.DisallowedHostFilter, configured on Django's
``django.security.DisallowedHost`` logger): requests refused for their Host header, through
Django's own handler, give one WARNING per interval without a traceback, and the next line
counts those dropped in between. (A live worker's log under a flood:
tests/security/test_bad_host_live.py.)"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.test import Client

from medstream.logs import DisallowedHostFilter

pytestmark = pytest.mark.django_db

LOGGER = "django.security.DisallowedHost"


@pytest.fixture
def short_interval(monkeypatch: pytest.MonkeyPatch) -> float:
    """The configured filter (once per logging set-up the test process ran), with its state
    fresh and a 0.3 s interval instead of a minute."""
    configured = [
        f for f in logging.getLogger(LOGGER).filters if isinstance(f, DisallowedHostFilter)
    ]
    assert configured
    for instance in configured:
        monkeypatch.setattr(instance, "interval", 0.3)
        monkeypatch.setattr(instance, "_next_line", 0.0)
        monkeypatch.setattr(instance, "_dropped", 0)
    return 0.3


def refused(count: int) -> None:
    for n in range(count):
        assert Client(headers={"Host": f"bad-{n}.example"}).get("/healthz").status_code == 400


def test_one_warning_per_interval_without_a_traceback_then_the_count(short_interval, caplog: Any):
    caplog.set_level(logging.WARNING, logger=LOGGER)

    refused(5)
    time.sleep(short_interval)  # the interval passing is the point, not a stand-in
    refused(1)

    records = [record for record in caplog.records if record.name == LOGGER]
    assert [record.levelname for record in records] == ["WARNING", "WARNING"]
    assert all(record.exc_info is None for record in records)
    assert "bad-0.example" in records[0].getMessage()
    assert records[1].getMessage().endswith("(4 more refused since the last such line)")
