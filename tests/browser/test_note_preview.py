"""Reading the note before the stream: "Read note" shows the note marked as the engine reads it,
with the same corrections as a session's note; the diagnosis then starts with the corrected
findings as structured symptoms; age and sex from the note fill only empty fields."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DESKTOP, TABLET
from tests.browser.portal import screenshot, session_id_of, stored_result, wait_until_complete
from tests.browser.test_note import NOTE, stored_request

pytestmark = pytest.mark.browser

# How the test corrects "productive cough", however the engine read it (engine 1.7 reads it as only
# possible after "no fever,"; a clinician who saw it marks it present).
FLIPPED = {"present": "absent", "absent": "present", "possible": "present"}


def preview(page: Page) -> Locator:
    return page.get_by_test_id("note-preview")


def preview_finding(page: Page, finding_id: str) -> Locator:
    return preview(page).locator(f'[data-testid="extracted-finding"][data-finding="{finding_id}"]')


def marks_of(scope: Locator) -> list[tuple[str, str]]:
    """Each mark's text (its visible words, without the screen-reader suffix) and certainty."""
    return scope.get_by_test_id("note-mark").evaluate_all(
        """marks => marks.map(mark => [
            mark.firstChild.textContent, mark.dataset.certainty])"""
    )


def read_note(page: Page, note: str) -> None:
    page.get_by_test_id("note-input").fill(note)
    page.get_by_test_id("read-note").click()
    expect(page.locator('[data-role="note-read-status"]')).to_contain_text("The note was read")
    expect(preview(page)).to_be_visible()


def test_a_note_read_and_corrected_before_the_stream_starts_with_the_correction(open_portal):
    page = open_portal()
    expect(preview(page)).to_be_hidden()

    read_note(page, NOTE)

    # The same card as a session's note: the note marked by certainty, the findings listed.
    status = page.locator('[data-role="note-read-status"]')
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text(re.compile(r"The note was read: 3 findings \(\d"))
    expect(status).to_contain_text("Filled in from the note: age 72 years and sex male")
    highlight = preview(page).get_by_test_id("note-highlight")
    expect(highlight.get_by_test_id("note-mark").filter(has_text="chest pain")).to_have_attribute(
        "data-certainty", "absent"
    )
    expect(highlight.get_by_test_id("note-mark").filter(has_text="HR 110")).to_have_attribute(
        "data-certainty", "reading"
    )
    expect(preview_finding(page, "chest_pain")).to_contain_text("Absent")
    readings = preview(page).get_by_test_id("extracted-reading")
    expect(readings.filter(has_text="Heart rate 110 beats/min")).to_contain_text("HR 110")
    expect(preview(page).get_by_test_id("rerun-with-corrections")).to_have_count(0)
    # Age and sex found in the note filled the empty fields.
    expect(page.get_by_test_id("history-age")).to_have_value("72")
    expect(page.get_by_test_id("history-sex-male")).to_be_checked()
    read_marks = marks_of(highlight)

    # Flip one finding: "productive cough", however the engine read it.
    cough = preview_finding(page, "productive_cough")
    read_as = cough.get_attribute("data-certainty")
    assert read_as in FLIPPED
    corrected = FLIPPED[read_as]
    cough.get_by_test_id(f"finding-mark-{corrected}").click()
    expect(cough).to_have_attribute("data-correction", corrected)
    expect(cough.get_by_test_id("finding-undo")).to_be_focused()
    cough_symptom = "Productive cough" if corrected == "present" else "No productive cough"
    summary = preview(page).get_by_test_id("corrections-summary")
    expect(summary).to_contain_text("Starting the diagnosis sends the note as written")
    expect(summary).to_contain_text(cough_symptom)
    screenshot(page, "note-preview-desktop", showing=page.locator(".note-entry"), block="start")

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)

    # The stored request: the note as written, the corrected finding as a structured symptom.
    request = stored_request(page, session_id)
    assert request["note"] == NOTE
    assert (request["history"]["age"], request["history"]["sex"]) == (72, "male")
    assert {"name": cough_symptom} in request["symptoms"]
    assert {"name": "No chest pain"} in request["symptoms"]
    result = stored_result(page, session_id)
    statuses = {
        item["finding"]: (item["status"], item["via"]) for item in result["recognized_findings"]
    }
    assert statuses["productive_cough"] == (corrected, "symptom")
    # The form and its reading are gone; the session's card marks the note exactly alike.
    expect(preview(page)).to_be_hidden()
    expect(preview(page).get_by_test_id("note-mark")).to_have_count(0)
    session_note = page.get_by_test_id("note-view")
    expect(session_note.get_by_test_id("note-mark")).to_have_count(len(read_marks))
    assert marks_of(session_note.get_by_test_id("note-highlight")) == read_marks
    expect(page.get_by_test_id("session-view")).not_to_contain_text("Read note")


def test_what_the_clinician_typed_is_never_overwritten_and_an_edited_note_is_read_again(
    open_portal,
):
    page = open_portal()
    page.get_by_test_id("history-age").fill("70")
    page.get_by_test_id("history-sex-female").check()

    read_note(page, "72-year-old man, denies chest pain, productive cough")

    expect(page.get_by_test_id("history-age")).to_have_value("70")
    expect(page.get_by_test_id("history-sex-female")).to_be_checked()
    expect(page.locator('[data-role="note-read-status"]')).not_to_contain_text("Filled in")
    readings = preview(page).get_by_test_id("extracted-reading")
    expect(readings.filter(has_text="Age 72 years")).to_contain_text("differs from the form")
    expect(readings.filter(has_text="Sex male")).to_contain_text("differs from the form")
    page.set_viewport_size(TABLET)
    expect(preview(page)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size(DESKTOP)

    # A correction, then the note is edited: the correction belongs to the old text.
    preview_finding(page, "chest_pain").get_by_test_id("finding-mark-present").click()
    page.get_by_test_id("note-input").fill("72-year-old man, denies chest pain, dry cough")
    expect(page.locator('[data-role="note-read-status"]')).to_contain_text("has changed")
    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    error = page.locator('[data-error-for="note"]')
    expect(error).to_contain_text("the note changed after you corrected its reading")
    expect(page).not_to_have_url(re.compile(r"/sessions/"))

    # Reading it again starts the corrections afresh, and the diagnosis may start.
    page.get_by_test_id("read-note").click()
    expect(preview_finding(page, "cough")).to_have_count(1)
    expect(preview_finding(page, "productive_cough")).to_have_count(0)
    expect(preview(page).locator("[data-correction]")).to_have_count(0)
    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)
    request: dict[str, Any] = stored_request(page, session_id)
    assert (request["history"]["age"], request["history"]["sex"]) == (70, "female")
    assert request["symptoms"] == []


def test_an_empty_or_overlong_note_is_refused_beside_the_note_before_reading(open_portal):
    page = open_portal()

    page.get_by_test_id("read-note").click()
    error = page.locator('[data-error-for="note"]')
    expect(error).to_have_text("write a note to read")

    page.get_by_test_id("note-input").fill("cough " * 1667)
    page.get_by_test_id("read-note").click()
    expect(error).to_have_text("must be at most 10,000 characters (it has 10,001)")
    expect(preview(page)).to_be_hidden()
