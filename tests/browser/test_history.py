"""Past sessions are listed and reopen by replaying their stored events, from the list or from
their own address."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TABLET
from tests.browser.portal import run_diagnosis, screenshot, stored_result, wait_until_complete

pytestmark = pytest.mark.browser


def test_a_past_session_reopens_from_the_history_by_replay(open_portal):
    first = open_portal()
    session_id = run_diagnosis(first)
    result = stored_result(first, session_id)

    page = open_portal(viewport=TABLET)
    item = page.locator(f'[data-testid="session-history-item"][data-session-id="{session_id}"]')
    expect(item).to_contain_text(result["primary_diagnosis"])
    item.click()

    wait_until_complete(page)
    expect(page).to_have_url(f"{page.url.split('/sessions/')[0]}/sessions/{session_id}/")
    expect(item).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("differential-item")).to_have_count(len(result["differential"]))
    expect(page.get_by_test_id("urgency-banner")).to_have_attribute(
        "data-urgency", result["urgency"]
    )
    expect(page.get_by_test_id("request-summary")).to_contain_text("penicillin")
    screenshot(page, "history-replay-tablet")


def test_a_session_address_opens_it_directly(open_portal):
    first = open_portal()
    session_id = run_diagnosis(first)

    page = open_portal(path=f"/sessions/{session_id}/")

    wait_until_complete(page)
    expect(page.get_by_test_id("primary-diagnosis")).to_be_visible()
    page.get_by_test_id("new-diagnosis").click()
    expect(page.get_by_test_id("diagnosis-form")).to_be_visible()
    page.go_back()
    expect(page.get_by_test_id("primary-diagnosis")).to_be_visible()


def test_an_unknown_session_address_says_it_is_not_found(open_portal):
    page = open_portal(path=f"/sessions/{uuid.uuid4()}/")

    expect(page.get_by_test_id("stream-error")).to_contain_text("Not found")
    expect(page.get_by_test_id("session-status")).to_have_attribute("data-status", "not_found")
