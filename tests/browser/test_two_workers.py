"""The portal on two daphne workers sharing PostgreSQL and the Redis channel layer: care-team
chat between a clinician on worker 1 and a reviewer on worker 2, and a stream started on worker
1 reaching the same user's other tab on worker 2 while it runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.portal import (
    PNEUMONIA,
    expect_chat_once,
    fill_diagnosis,
    run_diagnosis,
    send_chat,
    session_id_of,
    stored_result,
    wait_until_complete,
)

pytestmark = pytest.mark.browser

HOLDS_FINISHED = """id => window.__medstream.sessions().some(s => s.id === id && s.finished)"""


def test_a_clinician_and_a_reviewer_on_two_workers_chat(open_on, portal_cluster):
    worker_1, worker_2 = (daphne.http for daphne in portal_cluster.daphnes)
    clinician = open_on(1, "demo")
    session_id = run_diagnosis(clinician)
    reviewer = open_on(2, "reviewer", path=f"/sessions/{session_id}/")
    wait_until_complete(reviewer)
    assert clinician.url.startswith(worker_1) and reviewer.url.startswith(worker_2)

    send_chat(clinician, "Worker one here: is CURB-65 2 enough to admit?")
    expect_chat_once(clinician, "Worker one here", "Demo Clinician")
    expect_chat_once(reviewer, "Worker one here", "Demo Clinician")
    send_chat(reviewer, "Worker two: yes, with SpO2 93% on air.")
    expect_chat_once(reviewer, "Worker two", "Senior Reviewer")
    expect_chat_once(clinician, "Worker two", "Senior Reviewer")

    # Opened later, on the other worker from the clinician's: the history, each message once.
    later = open_on(2, "demo", path=f"/sessions/{session_id}/")
    expect(later.get_by_test_id("chat-message")).to_have_count(2)
    expect_chat_once(later, "Worker one here", "Demo Clinician")
    expect_chat_once(later, "Worker two", "Senior Reviewer")


def test_a_stream_started_on_worker_1_reaches_the_users_tab_on_worker_2(open_on):
    started_here = open_on(1, "demo")
    other_tab = open_on(2, "demo")

    fill_diagnosis(started_here, PNEUMONIA)
    started_here.get_by_test_id("patient-system-anonymous").check()
    started_here.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(started_here)

    # The other tab is not taken away from what it shows: the stream arrives in the background,
    # every frame of it over the other tab's own socket, and its history lists it.
    item = other_tab.locator(
        f'[data-testid="session-history-item"][data-session-id="{session_id}"]'
    )
    expect(item).to_be_visible()
    other_tab.wait_for_function(HOLDS_FINISHED, arg=session_id)
    expect(item).to_have_attribute("data-status", "completed")
    expect(other_tab.get_by_test_id("new-heading")).to_be_visible()
    wait_until_complete(started_here)

    item.click()
    wait_until_complete(other_tab)
    result = stored_result(other_tab, session_id)
    expect(other_tab.get_by_test_id("differential-item")).to_have_count(len(result["differential"]))
    expect(other_tab.get_by_test_id("primary-diagnosis")).to_contain_text(
        result["primary_diagnosis"]
    )
    seqs = other_tab.get_by_test_id("differential-item").evaluate_all(
        "items => items.map(item => item.dataset.seq)"
    )
    assert len(seqs) == len(set(seqs))
