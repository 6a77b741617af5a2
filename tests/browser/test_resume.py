"""Connection care: a socket cut mid-stream is replaced by a fresh one that resumes from the last
seq the page saw, and the screen ends with every item exactly once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.portal import (
    PNEUMONIA,
    fill_diagnosis,
    session_id_of,
    stored_result,
    wait_until_complete,
)

pytestmark = pytest.mark.browser

# The connection states the indicator went through, in order.
WATCH_STATES = """
window.__states = [];
const indicator = document.querySelector('[data-testid="connection-state"]');
new MutationObserver(() => window.__states.push(indicator.dataset.state))
  .observe(indicator, {attributes: true, attributeFilter: ["data-state"]});
"""


def stats(page: Page) -> dict:
    return page.evaluate("window.__medstream.stats()")


def last_stored_seq(page: Page, session_id: str) -> int:
    return page.request.get(f"/api/sessions/{session_id}/").json()["last_seq"]


def differential_seqs(page: Page) -> list[int]:
    items = page.get_by_test_id("differential-item")
    return [int(seq) for seq in items.evaluate_all("nodes => nodes.map(n => n.dataset.seq)")]


def test_a_socket_cut_mid_stream_resumes_with_every_item_once(open_portal):
    page = open_portal()
    fill_diagnosis(page, PNEUMONIA)
    page.evaluate(WATCH_STATES)
    # Cut the socket as soon as the first differential item (seq 8) is on screen: the
    # server has already sent the rest on that socket, and the page never reads it.
    page.evaluate("window.__medstream.dropSocket({afterSeq: 8})")

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)

    result = stored_result(page, session_id)
    seqs = differential_seqs(page)
    assert len(seqs) == len(result["differential"])
    assert len(set(seqs)) == len(seqs)
    names = page.get_by_test_id("differential-item").evaluate_all(
        "nodes => nodes.map(n => n.dataset.diagnosis)"
    )
    assert names == [item["diagnosis"] for item in result["differential"]]
    assert stats(page)["drops"] == 1
    assert stats(page)["connects"] == 2
    states = page.evaluate("window.__states")
    assert states.index("offline") < len(states) - 1 - states[::-1].index("connected")
    expect(page.get_by_test_id("urgency-banner")).to_have_count(1)


def test_a_replay_of_everything_adds_nothing(open_portal):
    page = open_portal()
    fill_diagnosis(page, PNEUMONIA)
    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)
    before = differential_seqs(page)
    last_seq = last_stored_seq(page, session_id)

    page.evaluate("id => window.__medstream.replay(id)", session_id)

    page.wait_for_function("n => window.__medstream.stats().duplicates >= n", arg=last_seq + 1)
    assert differential_seqs(page) == before
    expect(page.get_by_test_id("primary-diagnosis")).to_have_count(1)
    expect(page.get_by_test_id("urgency-banner")).to_have_count(1)


def test_a_dropped_socket_shows_connection_lost_and_reconnects(open_portal):
    page = open_portal()
    indicator = page.get_by_test_id("connection-state")

    page.evaluate("window.__medstream.dropSocket()")

    expect(indicator).to_have_attribute("data-state", "offline")
    expect(indicator).to_contain_text("Connection lost")
    expect(indicator).to_have_attribute("data-state", "connected")


def test_a_request_whose_answer_was_lost_is_found_and_shown(open_portal):
    page = open_portal()
    fill_diagnosis(page, PNEUMONIA)
    # The request reaches the server, but the socket is gone before its `accepted` is read:
    # the page finds the stream it started by its request id and replays it.
    page.evaluate("window.__medstream.dropSocket({afterSend: true})")

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)

    result = stored_result(page, session_id)
    seqs = differential_seqs(page)
    assert len(seqs) == len(set(seqs)) == len(result["differential"])
    assert stats(page)["connects"] == 2
