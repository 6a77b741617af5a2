"""An honest connection state: the page stops saying "Connected" within 5 s of its network going
away, whether or not the browser reports it (the heartbeat: ``ping`` and ``pong``), reconnects
as soon as the network returns, and refuses a start it cannot send, saying so at once.

Chromium's ``set_offline`` does not close a socket that is already open: it stays OPEN and
silently carries nothing either way, like a network that died upstream. So the page is told by
the browser's ``offline`` event, and the heartbeat alone is tested with those events ignored
(and, as a second real means, with the server's process stopped, so that it answers nothing).
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.portal import PNEUMONIA, fill_diagnosis, run_diagnosis, screenshot

pytestmark = pytest.mark.browser

# The bound the indicator must keep: no longer "Connected" 5 s after the network went.
NOTICE_SECONDS = 5
NOT_CONNECTED = ["offline", "reconnecting"]


def stats(page: Page) -> dict:
    return page.evaluate("window.__medstream.stats()")


def seconds_until_not_connected(page: Page) -> float:
    """From now until the indicator stops saying connected, timed in the page itself."""
    return page.evaluate(
        """bound => new Promise((resolve, reject) => {
          const indicator = document.querySelector('[data-testid="connection-state"]');
          const started = performance.now();
          const check = () => {
            if (indicator.dataset.state !== "connected")
              resolve((performance.now() - started) / 1000);
            else if (performance.now() - started > bound * 1000)
              reject(new Error(`still connected after ${bound} s`));
            else setTimeout(check, 20);
          };
          check();
        })""",
        NOTICE_SECONDS + 5,
    )


def own_session_count(page: Page) -> int:
    return page.request.get("/api/sessions/").json()["count"]


def test_going_offline_shows_at_once_and_coming_back_reconnects(open_portal):
    page = open_portal()
    indicator = page.get_by_test_id("connection-state")

    page.context.set_offline(True)
    waited = seconds_until_not_connected(page)

    assert waited < 1  # the `offline` event, not the heartbeat
    expect(indicator).to_have_attribute("data-state", "offline")
    expect(indicator).to_contain_text("Offline: no network")
    screenshot(page, "connection-lost-desktop")
    time.sleep(2)  # still offline, and still saying so (tries go on, quietly)
    expect(indicator).to_have_attribute("data-state", "offline")

    page.context.set_offline(False)
    # `online` reconnects at once, not after the backoff.
    expect(indicator).to_have_attribute("data-state", "connected", timeout=3_000)
    assert stats(page)["offline"] == 1


def test_the_heartbeat_notices_a_dead_network_the_browser_does_not_report(open_portal):
    page = open_portal()
    indicator = page.get_by_test_id("connection-state")
    page.evaluate("window.__medstream.ignoreNetworkEvents()")
    time.sleep(2)  # a ping or two answered first: the socket was demonstrably alive

    page.context.set_offline(True)
    waited = seconds_until_not_connected(page)

    assert waited < NOTICE_SECONDS, waited
    assert stats(page)["silent"] == 1
    assert stats(page)["offline"] == 0
    expect(indicator).to_contain_text("Connection lost")

    page.context.set_offline(False)
    expect(indicator).to_have_attribute("data-state", "connected", timeout=20_000)
    run_diagnosis(page)


def test_the_heartbeat_notices_a_server_that_stops_answering(open_portal, portal_server):
    page = open_portal()
    indicator = page.get_by_test_id("connection-state")
    time.sleep(2)

    os.kill(portal_server.process.pid, signal.SIGSTOP)
    try:
        waited = seconds_until_not_connected(page)
    finally:
        os.kill(portal_server.process.pid, signal.SIGCONT)

    assert waited < NOTICE_SECONDS, waited
    assert stats(page)["silent"] == 1
    expect(indicator).to_have_attribute("data-state", "connected", timeout=20_000)


def test_a_start_while_offline_is_refused_at_once_beside_the_button(open_portal):
    page = open_portal()
    indicator = page.get_by_test_id("connection-state")
    before = own_session_count(page)
    fill_diagnosis(page, PNEUMONIA)
    page.get_by_test_id("patient-system-anonymous").check()
    page.context.set_offline(True)
    expect(indicator).to_have_attribute("data-state", "offline")

    start = page.get_by_test_id("start-diagnosis")
    start.click()

    status = page.get_by_test_id("start-status")
    expect(status).to_be_visible(timeout=500)
    expect(status).to_contain_text("Not connected to the server: your request was not sent")
    expect(status).to_contain_text("will not be sent automatically")
    expect(start).to_have_text("Start diagnosis")
    expect(start).to_be_enabled()
    assert "/sessions/" not in page.url
    screenshot(page, "connection-offline-start-desktop", showing=start)

    page.context.set_offline(False)
    expect(indicator).to_have_attribute("data-state", "connected", timeout=3_000)
    # Refused, not queued: nothing was sent when the network came back.
    time.sleep(1)
    assert own_session_count(page) == before
    assert "/sessions/" not in page.url

    start.click()  # the form kept everything entered
    expect(status).to_be_hidden()
    expect(page.get_by_test_id("session-status")).to_have_attribute(
        "data-status", "completed", timeout=15_000
    )
    assert own_session_count(page) == before + 1
