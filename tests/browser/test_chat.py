"""Care-team chat on a session between a clinician and a reviewer in two browser contexts:
each message shows once for both, with its author and time, and comes back as history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.portal import (
    expect_chat_once,
    run_diagnosis,
    screenshot,
    send_chat,
    wait_until_complete,
)

pytestmark = pytest.mark.browser


def test_a_clinician_and_a_reviewer_chat_about_a_session(open_portal):
    clinician = open_portal("demo")
    session_id = run_diagnosis(clinician)
    reviewer = open_portal("reviewer")
    reviewer.locator(
        f'[data-testid="session-history-item"][data-session-id="{session_id}"]'
    ).click()
    wait_until_complete(reviewer)

    send_chat(clinician, "Please check the CURB-65 before I prescribe.")
    expect_chat_once(clinician, "Please check the CURB-65", "Demo Clinician")
    expect_chat_once(reviewer, "Please check the CURB-65", "Demo Clinician")
    reviewer.get_by_test_id("chat-input").fill("Agreed: urea 8.1 makes it 2.")
    reviewer.get_by_test_id("chat-input").press("Enter")

    expect_chat_once(reviewer, "Agreed: urea 8.1", "Senior Reviewer")
    expect_chat_once(clinician, "Agreed: urea 8.1", "Senior Reviewer")
    expect(clinician.get_by_test_id("chat-input")).to_have_value("")
    screenshot(reviewer, "chat-reviewer-desktop", showing=reviewer.get_by_test_id("chat-panel"))

    later = open_portal("demo", path=f"/sessions/{session_id}/")
    expect(later.get_by_test_id("chat-message")).to_have_count(2)
    expect_chat_once(later, "Please check the CURB-65", "Demo Clinician")
