"""A prescription for a diagnosis, prefilled from its session: for a penicillin-allergic patient
no penicillin is offered and each excluded drug says why; interactions are alerted by severity."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.portal import (
    PANIC,
    prescribe_primary,
    run_diagnosis,
    screenshot,
    wait_until_complete,
)

pytestmark = pytest.mark.browser


def penicillins(page: Page) -> set[str]:
    """The names of every drug the knowledge base puts in the penicillin allergy group."""
    drugs = page.request.get("/api/kb/drugs/?limit=200").json()
    return {drug["name"] for drug in drugs if "penicillins" in drug["allergy_groups"]}


def test_a_penicillin_allergic_patient_is_offered_no_penicillin(open_portal):
    page = open_portal()
    run_diagnosis(page)

    page.get_by_test_id("primary-diagnosis").get_by_test_id("prescribe-button").click()
    expect(page.get_by_test_id("rx-diagnosis")).to_contain_text("Community-acquired pneumonia")
    expect(page.get_by_test_id("rx-age")).to_have_value("72")
    expect(page.get_by_test_id("rx-sex-male")).to_be_checked()
    expect(page.get_by_test_id("rx-allergies-chips")).to_contain_text("penicillin")
    page.get_by_test_id("rx-weight").fill("78")
    page.get_by_test_id("rx-egfr").fill("85")
    screenshot(page, "prescription-dialog-desktop")
    page.get_by_test_id("start-prescription").click()
    wait_until_complete(page)

    medications = page.get_by_test_id("medication-item")
    expect(medications.first).to_be_visible()
    offered = {name.strip() for name in page.locator(".med-name").all_inner_texts()}
    assert offered and not offered & penicillins(page)
    expect(page.get_by_test_id("medication-dose").first).not_to_be_empty()
    excluded = page.get_by_test_id("excluded-item").filter(has_text="Amoxicillin")
    expect(excluded).to_have_count(1)
    expect(excluded.get_by_test_id("excluded-reason")).to_contain_text("penicillin allergy")
    expect(page.get_by_test_id("allergy-result")).to_contain_text("Penicillins")
    expect(page.get_by_test_id("monitoring-item").first).to_be_visible()
    expect(page.get_by_test_id("follow-up-text")).not_to_be_empty()
    expect(page.get_by_test_id("result-disclaimer")).to_contain_text("decision support")
    screenshot(page, "prescription-desktop")


def test_an_interaction_is_alerted_with_its_severity(open_portal):
    page = open_portal()
    run_diagnosis(page, PANIC)

    prescribe_primary(page, "64")

    alert = page.get_by_test_id("interaction-alert")
    expect(alert).to_have_count(1)
    expect(alert).to_have_attribute("data-severity", "major")
    expect(alert).to_contain_text("Major interaction")
    expect(alert).to_contain_text("Tramadol")
    screenshot(page, "prescription-interaction-desktop", showing=alert)


def test_escape_closes_the_prescription_dialog(open_portal):
    page = open_portal()
    run_diagnosis(page)
    button = page.get_by_test_id("differential-item").nth(1).get_by_test_id("prescribe-button")

    button.click()
    expect(page.get_by_test_id("rx-weight")).to_be_focused()
    page.keyboard.press("Escape")

    expect(page.get_by_test_id("prescription-dialog")).to_be_hidden()
    expect(button).to_be_focused()


def test_allergies_and_medications_written_only_in_the_note_are_prefilled(open_portal):
    page = open_portal()
    note = (
        "68 year old man, productive cough and fever for 4 days, breathless, RR 24, SpO2 92% on "
        "air, temp 38.7. Allergic to penicillin (rash). Takes warfarin."
    )
    page.get_by_test_id("note-input").fill(note)
    page.get_by_test_id("history-age").fill("68")
    page.get_by_test_id("history-sex-male").check()
    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()
    wait_until_complete(page)
    summary = page.get_by_test_id("request-summary")
    expect(summary).to_contain_text("None in the form: what the note says is read below")

    page.get_by_test_id("primary-diagnosis").get_by_test_id("prescribe-button").click()

    expect(page.get_by_test_id("rx-allergies-chips")).to_contain_text("penicillin")
    expect(page.get_by_test_id("rx-medications-chips")).to_contain_text("Warfarin")
    page.get_by_test_id("rx-weight").fill("80")
    page.get_by_test_id("start-prescription").click()
    wait_until_complete(page)
    excluded = page.get_by_test_id("excluded-item").filter(has_text="Amoxicillin")
    expect(excluded.get_by_test_id("excluded-reason")).to_contain_text("penicillin allergy")
