"""A clinical note: sent as `data.note`, shown back with what the engine read marked by its spans
(present, denied, uncertain told apart without colour), everything else it read listed, "nothing
could be extracted" when that is the result, and corrections that re-run the diagnosis with
structured symptoms which win over the note."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import TABLET
from tests.browser.portal import (
    screenshot,
    session_id_of,
    stored_result,
    wait_until_complete,
)

pytestmark = pytest.mark.browser

NOTE = (
    "denies chest pain, no fever, productive cough for 3 days, HR 110, SpO2 93% on air, "
    "72-year-old man"
)
NOT_ENGLISH = "Больной жалуется на кашель и температуру уже три дня."


def start_with_note(page: Page, note: str, age: str = "72", sex: str = "male") -> str:
    page.get_by_test_id("note-input").fill(note)
    page.get_by_test_id("history-age").fill(age)
    page.get_by_test_id(f"history-sex-{sex}").check()
    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)
    return session_id


def stored_request(page: Page, session_id: str) -> dict[str, Any]:
    response = page.request.get(f"/api/sessions/{session_id}/")
    assert response.ok, response.text()
    return response.json()["request"]


def finding(page: Page, finding_id: str) -> Locator:
    return page.locator(f'[data-testid="extracted-finding"][data-finding="{finding_id}"]')


def mark(page: Page, text: str) -> Locator:
    return page.get_by_test_id("note-highlight").get_by_test_id("note-mark").filter(has_text=text)


def test_a_note_is_shown_with_its_findings_marked_by_certainty(open_portal):
    page = open_portal()
    expect(page.get_by_test_id("note-count")).to_have_text("0 / 10,000 characters")
    page.get_by_test_id("note-input").fill(NOTE)
    expect(page.get_by_test_id("note-count")).to_have_text(f"{len(NOTE)} / 10,000 characters")

    session_id = start_with_note(page, NOTE)

    result = stored_result(page, session_id)
    extracted = result["extracted"]
    # Each finding the engine read is marked where the note says it, with its certainty.
    read = extracted["findings"] + extracted["negated"] + extracted["uncertain"]
    assert {item["id"] for item in read} >= {"chest_pain", "fever", "productive_cough"}
    for item in read:
        expect(mark(page, item["text"]).first).to_have_attribute(
            "data-certainty", item["certainty"]
        )
        expect(finding(page, item["id"])).to_have_attribute("data-certainty", item["certainty"])
    # "denies chest pain" and "no fever" are denied: struck through and said in words.
    for text in ("chest pain", "fever"):
        expect(mark(page, text).first).to_have_attribute("data-certainty", "absent")
        expect(mark(page, text).first).to_have_css("text-decoration-line", "line-through")
        expect(mark(page, text).first).to_contain_text("(absent")
    expect(finding(page, "chest_pain")).to_contain_text("Absent")
    # Vital signs, age and sex are read too, and listed with the words they came from.
    readings = page.get_by_test_id("extracted-reading")
    expect(readings.filter(has_text="Heart rate 110 beats/min")).to_contain_text("HR 110")
    expect(readings.filter(has_text="SpO₂ 93%")).to_contain_text("used")
    expect(readings.filter(has_text="Age 72 years")).to_contain_text("72-year-old")
    expect(readings.filter(has_text="Sex male")).to_contain_text("man")
    expect(page.get_by_test_id("note-legend")).to_contain_text("Denied or absent")
    expect(page.get_by_test_id("request-summary")).to_contain_text("denies chest pain")
    # ... beside the differential the note produced.
    expect(page.get_by_test_id("differential-item")).to_have_count(len(result["differential"]))
    expect(page.get_by_test_id("nothing-extracted")).to_have_count(0)
    note_view = page.get_by_test_id("note-view")
    screenshot(page, "note-desktop", showing=note_view, block="start")

    # A reviewer sees the same marks, and cannot re-run someone else's session.
    reviewer = open_portal("reviewer", path=f"/sessions/{session_id}/")
    wait_until_complete(reviewer)
    marks = page.get_by_test_id("note-mark")
    expect(reviewer.get_by_test_id("note-mark")).to_have_count(marks.count())
    expect(reviewer.get_by_test_id("extracted-finding")).to_have_count(len(read))
    expect(reviewer.get_by_test_id("rerun-with-corrections")).to_have_count(0)
    expect(reviewer.get_by_test_id("finding-remove")).to_have_count(0)

    page.set_viewport_size(TABLET)
    expect(note_view).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "note-tablet", showing=note_view, block="start")


def test_corrections_re_run_with_structured_symptoms_that_win_over_the_note(open_portal):
    page = open_portal()
    first = start_with_note(page, NOTE)

    # "productive cough" is what the clinician saw: mark it present; drop "fever".
    cough = finding(page, "productive_cough")
    if cough.get_attribute("data-certainty") != "present":
        cough.get_by_test_id("finding-mark-present").click()
    else:
        cough.get_by_test_id("finding-mark-absent").click()
    expect(cough).to_have_attribute("data-correction", "present")
    expect(cough.get_by_test_id("finding-undo")).to_be_focused()
    finding(page, "fever").get_by_test_id("finding-remove").click()
    expect(finding(page, "fever")).to_have_attribute("data-correction", "removed")
    # A missing finding, picked from the knowledge base with the keyboard.
    box = page.get_by_test_id("add-finding-input")
    box.press_sequentially("shortness")
    expect(page.get_by_role("option").first).to_contain_text("Shortness of breath")
    box.press("ArrowDown")
    box.press("Enter")
    added = page.locator('[data-testid="extracted-finding"][data-certainty="added"]')
    expect(added).to_contain_text("Shortness of breath")
    expect(page.get_by_test_id("corrections-summary")).to_contain_text(
        "No chest pain; Fever (38.0 C or more), set aside; Productive cough; Shortness of breath"
    )
    expect(finding(page, "fever")).to_contain_text("whatever the note says")
    screenshot(
        page, "note-corrections-desktop", showing=page.get_by_test_id("note-view"), block="start"
    )

    page.get_by_test_id("rerun-with-corrections").click()
    expect(page).not_to_have_url(re.compile(first))
    second = session_id_of(page)
    assert second != first
    wait_until_complete(page)

    request = stored_request(page, second)
    assert request["note"] == NOTE
    assert request["symptoms"] == [
        {"name": "No chest pain"},
        {"name": "Fever (38.0 C or more)", "status": "unknown"},
        {"name": "Productive cough"},
        {"name": "Shortness of breath"},
    ]
    assert request["history"] == stored_request(page, first)["history"]
    result = stored_result(page, second)
    statuses = {item["finding"]: item["status"] for item in result["recognized_findings"]}
    assert statuses["productive_cough"] == "present"
    assert statuses["chest_pain"] == "absent"
    assert statuses["shortness_of_breath"] == "present"
    assert "fever" not in statuses, "a removed finding is set aside, not read from the note again"
    # The new session says what it corrects, and its note shows the form's symptoms winning.
    expect(page.get_by_test_id("session-view")).to_contain_text("Re-run with corrections of")
    expect(finding(page, "productive_cough")).to_contain_text("The form's symptom")


def test_an_empty_note_without_symptoms_is_refused_beside_the_note(open_portal):
    page = open_portal()
    page.get_by_test_id("note-input").fill("   \n  ")
    page.get_by_test_id("history-age").fill("40")
    page.get_by_test_id("history-sex-female").check()

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()

    error = page.locator('[data-error-for="note"]')
    expect(error).to_have_text("write a note, or add at least one symptom below")
    expect(page.get_by_test_id("note-input")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("note-input")).to_be_focused()
    assert page.get_by_test_id("session-view").is_hidden()

    # Too long: counted, refused by the page, and by the server when the page's check is skipped.
    page.get_by_test_id("note-input").fill("cough " * 1667)
    expect(page.get_by_test_id("note-count")).to_contain_text("10,001 / 10,000 characters")
    expect(page.get_by_test_id("note-count")).to_contain_text("too many")
    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    expect(error).to_have_text("must be at most 10,000 characters (it has 10,001)")
    request = {"note": "x" * 10_001, "history": {"age": 40, "sex": "female"}}
    page.evaluate("request => window.__medstream.sendDiagnosis(request)", request)
    expect(error).to_contain_text("10000")


def test_a_note_in_another_language_says_nothing_could_be_extracted(open_portal):
    page = open_portal()

    start_with_note(page, NOT_ENGLISH, age="60", sex="female")

    notice = page.get_by_test_id("nothing-extracted")
    expect(notice).to_contain_text("Nothing could be extracted")
    expect(notice).to_contain_text("does not look like English")
    expect(page.get_by_test_id("note-highlight")).to_have_text(NOT_ENGLISH)
    expect(page.get_by_test_id("note-mark")).to_have_count(0)
    expect(page.get_by_test_id("extracted-finding")).to_have_count(0)


def test_words_nothing_read_are_marked_not_understood_in_the_note(open_portal):
    page = open_portal()
    note = "32 yo F. Runny nose and sneezing for 2 days. Her legs have gone all wobbly."

    session_id = start_with_note(page, note, age="32", sex="female")

    unread = stored_result(page, session_id)["extracted"]["unread"]
    assert [item["text"] for item in unread] == ["legs", "wobbly"]
    for item in unread:
        expect(mark(page, item["text"]).first).to_have_attribute("data-certainty", "unread")
        expect(mark(page, item["text"]).first).to_contain_text("(not understood")
    expect(page.get_by_test_id("note-legend")).to_contain_text("Not understood")
    listed = page.get_by_test_id("extracted-reading").filter(has_text="not understood")
    expect(listed).to_have_count(2)
    # Self-care is not advised on a note not read whole, and the banner says why.
    expect(page.get_by_test_id("urgency-banner")).to_contain_text("not understood")
    screenshot(page, "note-unread", showing=page.get_by_test_id("note-view"), block="start")
