"""A diagnosis streams into the page stage by stage: progress to 100%, the differential item by
item, the scores, the urgency banner and the primary diagnosis."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TABLET
from tests.browser.portal import (
    PNEUMONIA,
    fill_diagnosis,
    screenshot,
    session_id_of,
    stored_result,
    wait_until_complete,
)

pytestmark = pytest.mark.browser

# Records every progress value and the number of differential items shown at that moment.
WATCH_PROGRESS = """
window.__seen = [];
new MutationObserver(() => {
  const bar = document.querySelector('[data-testid="progress-bar"]');
  if (!bar) return;
  const entry = [Number(bar.dataset.progress),
                 document.querySelectorAll('[data-testid="differential-item"]').length];
  const last = window.__seen[window.__seen.length - 1];
  if (!last || last[0] !== entry[0] || last[1] !== entry[1]) window.__seen.push(entry);
}).observe(document.body, {subtree: true, childList: true, attributes: true});
"""


def test_a_symptom_is_picked_from_the_knowledge_base_with_the_keyboard(open_portal):
    page = open_portal()
    box = page.get_by_test_id("symptom-input")

    box.press_sequentially("dysp")
    expect(page.get_by_role("option", name="Shortness of breath")).to_be_visible()
    box.press("ArrowDown")
    box.press("Enter")

    expect(page.get_by_test_id("symptom-row")).to_have_count(1)
    expect(page.get_by_test_id("symptom-row")).to_contain_text("Shortness of breath")
    expect(box).to_be_focused()


def test_a_diagnosis_streams_to_completion(open_portal):
    page = open_portal()
    fill_diagnosis(page, PNEUMONIA)
    screenshot(page, "new-diagnosis-desktop")
    page.evaluate(WATCH_PROGRESS)

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)

    result = stored_result(page, session_id)
    items = page.get_by_test_id("differential-item")
    expect(items).to_have_count(len(result["differential"]))
    expect(items.first).to_contain_text(result["primary_diagnosis"])
    expect(page.get_by_test_id("urgency-banner")).to_have_attribute("data-urgency", "urgent")
    expect(page.get_by_test_id("primary-diagnosis")).to_contain_text(result["primary_diagnosis"])
    expect(page.get_by_test_id("recommended-test").first).to_be_visible()
    expect(page.get_by_test_id("red-flag").first).to_be_visible()
    expect(page.get_by_test_id("news2-band")).to_contain_text("Medium clinical risk")
    expect(page.get_by_test_id("score-news2")).to_have_attribute("data-band", "medium")
    expect(page.get_by_test_id("score-curb65")).to_be_visible()
    expect(page.get_by_test_id("result-disclaimer")).to_contain_text("decision support")
    seen = page.evaluate("window.__seen")
    assert list(dict.fromkeys(progress for progress, _ in seen)) == [0, 10, 30, 50, 70, 90, 100]
    shown_while_ranking = [count for progress, count in seen if progress == 70]
    assert shown_while_ranking == list(range(len(result["differential"]) + 1))
    screenshot(page, "diagnosis-desktop")


def test_the_stream_reads_well_at_tablet_width(open_portal):
    page = open_portal(viewport=TABLET)
    fill_diagnosis(page, PNEUMONIA)
    screenshot(page, "new-diagnosis-tablet")

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    wait_until_complete(page)

    expect(page.get_by_test_id("urgency-banner")).to_be_in_viewport()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "diagnosis-tablet")


def test_a_started_diagnosis_leaves_an_empty_form_for_the_next_patient(open_portal):
    page = open_portal()
    fill_diagnosis(page, PNEUMONIA)
    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    wait_until_complete(page)

    page.get_by_test_id("new-diagnosis").click()

    expect(page.get_by_test_id("new-heading")).to_be_focused()
    expect(page.get_by_test_id("symptom-row")).to_have_count(0)
    expect(page.get_by_test_id("history-age")).to_have_value("")
    expect(page.get_by_test_id("allergies-chips").get_by_test_id("chip")).to_have_count(0)
