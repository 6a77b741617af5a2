"""The admin's review UI at 1280x800 (issue 18, item 11): the review form sits beside the
session's summary in the first screen of a session's page, the timeline below it, folded; the
session list fits the window, the longest diagnoses of the knowledge base written out in full
and the review column on screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP
from tests.browser.portal import run_diagnosis, screenshot
from tests.live.conftest import manage

pytestmark = pytest.mark.browser

SESSIONS = "/admin/clinical/streamsession/"

# Finished sessions of the demo clinician's with the knowledge base's longest condition names,
# NHS patients (the longest patient label), and the longest review state ("Needs follow-up
# (reviewer)"), and a cancelled prescription for a local patient (the longest kind), made in the
# server's own database by its own manage.py.
SEED_LIST = """
from datetime import date
from django.contrib.auth import get_user_model
from django.utils import timezone
from clinical.models import Review, StreamSession
from clinical.reviews import known_conditions

users = get_user_model().objects
demo, reviewer = users.get(username="demo"), users.get(username="reviewer")
longest = sorted(known_conditions(), key=lambda condition: -len(condition.name))[:8]
for index, condition in enumerate(longest):
    session = StreamSession.objects.create(
        owner=demo,
        kind="diagnosis",
        status="completed",
        request={"history": {"age": 71, "sex": "male"}},
        result={"primary_diagnosis": condition.name, "icd10": condition.icd10},
        engine_version="1.0.0+kb.test",
        patient_identifier="9434765919",
        patient_identifier_system="nhs_number",
        patient_birth_date=date(1953, 4, 2),
        primary_diagnosis=condition.name,
        icd10=condition.icd10,
        urgency=["self_care", "emergency"][index % 2],
        finished_at=timezone.now(),
    )
    if index % 2:
        Review.objects.create(session=session, reviewer=reviewer, verdict="needs_follow_up")
StreamSession.objects.create(
    owner=demo,
    kind="prescription",
    status="cancelled",
    request={"diagnosis": "Acute coronary syndrome"},
    engine_version="1.0.0+kb.test",
    patient_identifier="MRN-0012345678",
    patient_identifier_system="local",
    patient_birth_date=date(1947, 11, 30),
    finished_at=timezone.now(),
)
"""

# Every element of the list that is wider than the window, runs past its right edge, or has
# text cut (an ellipsis, or content wider than its box where overflow hides or scrolls it).
CUT_OR_OFF_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const name = (node) => `${node.tagName.toLowerCase()}.${node.className} "${node.textContent
    .trim().slice(0, 40)}"`;
  if (document.documentElement.scrollWidth > width) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  }
  for (const node of document.querySelectorAll("#changelist *")) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || getComputedStyle(node).visibility === "hidden") continue;
    const style = getComputedStyle(node);
    if (box.width > width) problems.push(`wider than the window: ${name(node)}`);
    if (box.right > width + 0.5) problems.push(`past the right edge: ${name(node)}`);
    if (style.textOverflow === "ellipsis" && node.scrollWidth > node.clientWidth) {
      problems.push(`cut by an ellipsis: ${name(node)}`);
    }
    if (style.overflowX !== "visible" && node.scrollWidth > node.clientWidth + 1) {
      problems.push(`content cut or scrolled: ${name(node)}`);
    }
  }
  return problems;
}"""


@pytest.fixture
def open_admin(
    browser: Browser, signed_in: Callable[[str], dict[str, Any]], portal_server: Any
) -> Iterator[Callable[[str], Page]]:
    """Open an admin page as the demo reviewer at 1280x800; fails on any script error."""
    contexts, errors = [], []

    def open_(path: str) -> Page:
        context = browser.new_context(
            base_url=portal_server.http, viewport=DESKTOP, storage_state=signed_in("reviewer")
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == []


def within_first_screen(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"], (selector, box)
    return box


def test_the_review_form_is_on_the_first_screen_beside_the_summary(open_portal, open_admin):
    session_id = run_diagnosis(open_portal("demo"))

    page = open_admin(f"{SESSIONS}{session_id}/change/")

    summary = within_first_screen(page, "#summary")
    form = within_first_screen(page, "#review-form")
    assert form["x"] >= summary["x"] + summary["width"], "the form sits beside the summary"
    within_first_screen(page, "#review-form input[type=submit]")
    expect(page.locator("#review-form")).to_contain_text("Community-acquired pneumonia")
    screenshot(page, "admin-session-desktop")

    timeline = page.locator("#timeline details")
    expect(timeline.locator("tbody tr").first).to_be_hidden()
    timeline.locator("summary").click()
    expect(timeline.locator("tbody tr").first).to_be_visible()
    assert timeline.locator("tbody tr").count() > 10


def test_a_review_saved_from_the_first_screen_shows_at_the_top(open_portal, open_admin):
    session_id = run_diagnosis(open_portal("demo"))
    page = open_admin(f"{SESSIONS}{session_id}/change/")

    page.get_by_label("Agree", exact=True).check()
    page.get_by_label("Comment").fill("Sound reasoning; CURB-65 fits.")
    page.get_by_role("button", name="Save review").click()

    expect(page.locator(".messagelist")).to_contain_text("Your review is saved.")
    expect(page.locator("#summary")).to_contain_text("Agree by Senior Reviewer")
    within_first_screen(page, "#review-form input[type=submit]")


def test_a_review_with_a_missing_reason_shows_its_errors_with_the_form_still_on_screen(
    open_portal, open_admin
):
    session_id = run_diagnosis(open_portal("demo"))
    page = open_admin(f"{SESSIONS}{session_id}/change/")

    page.get_by_label("Disagree", exact=True).check()
    page.get_by_role("button", name="Save review").click()

    expect(page.locator("#review-form .errorlist").first).to_be_visible()
    within_first_screen(page, "#review-form .errorlist")
    within_first_screen(page, "#review-form input[type=submit]")
    screenshot(page, "admin-review-errors-desktop")


def test_a_reviewer_s_own_session_says_why_there_is_no_form_on_the_first_screen(
    open_portal, open_admin
):
    session_id = run_diagnosis(open_portal("reviewer"))

    page = open_admin(f"{SESSIONS}{session_id}/change/")

    expect(page.get_by_test_id("four-eyes")).to_contain_text("You started this session")
    within_first_screen(page, '[data-testid="four-eyes"]')
    expect(page.get_by_role("button", name="Save review")).to_have_count(0)


def test_the_session_list_fits_1280_px_with_nothing_cut(portal_server, open_admin):
    manage(portal_server.env, "shell", "-c", SEED_LIST)

    page = open_admin(SESSIONS)

    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    screenshot(page, "admin-session-list-desktop")
    assert page.evaluate(CUT_OR_OFF_SCREEN) == []
    longest = page.locator("#result_list td.field-diagnosis").filter(
        has_text="Benign prostatic hyperplasia with lower urinary tract symptoms (N40)"
    )
    expect(longest).to_be_visible()
    review = page.locator("#result_list td.field-review_state").filter(
        has_text="Needs follow-up (reviewer)"
    )
    expect(review.first).to_be_in_viewport(ratio=1)
