"""The patient reference in the portal (issue 18): checked where it is typed, shown in a banner on
the session and on every history entry, searchable, and carried by a prescription's case."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from tests.browser.portal import (
    PNEUMONIA,
    fill_diagnosis,
    prescribe_primary,
    run_diagnosis,
    screenshot,
    session_id_of,
    stored_result,
)

BORN_72_YEARS_AGO = date.today().replace(year=date.today().year - 72, day=1).isoformat()
PATIENT = {"system": "nhs_number", "identifier": "943 476 5919", "birth_date": BORN_72_YEARS_AGO}


def test_a_wrong_check_digit_is_refused_where_it_is_typed(open_portal) -> None:
    page = open_portal()
    fill_diagnosis(page, {**PNEUMONIA, "patient": {**PATIENT, "identifier": "943 476 5918"}})
    page.get_by_test_id("start-diagnosis").click()
    error = page.locator('[data-error-for="patient.identifier"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("check digit does not match")
    expect(page).to_have_url(page.url)  # still the form: nothing started
    expect(page.get_by_test_id("session-view")).to_be_hidden()


def test_the_patient_is_on_the_session_the_history_and_its_prescription(open_portal) -> None:
    page = open_portal()
    case = {**PNEUMONIA, "patient": PATIENT, "age": ""}  # the age comes from the birth date
    diagnosis_id = run_diagnosis(page, case)
    banner = page.get_by_test_id("patient-banner")
    expect(banner).to_contain_text("NHS 943 476 5919")
    expect(banner).to_have_attribute("data-anonymous", "false")
    detail = page.request.get(f"/api/sessions/{diagnosis_id}/").json()
    assert detail["request"]["history"]["age"] == 71 or detail["request"]["history"]["age"] == 72
    assert "patient" not in detail["request"]
    assert stored_result(page, diagnosis_id)["primary_diagnosis"]
    entry = page.locator(f'[data-session-id="{diagnosis_id}"]')
    expect(entry.get_by_test_id("history-patient")).to_have_text(
        f"NHS 943 476 5919 · born {date.fromisoformat(BORN_72_YEARS_AGO):%-d %b %Y}"
    )

    prescribe_primary(page, "80")
    prescription_id = session_id_of(page)
    expect(page.get_by_test_id("patient-banner")).to_contain_text("NHS 943 476 5919")
    case_items = page.get_by_test_id("history-case").first.get_by_test_id("session-history-item")
    expect(case_items).to_have_count(2)
    expect(case_items.nth(0)).to_have_attribute("data-session-id", diagnosis_id)
    expect(case_items.nth(1)).to_have_attribute("data-session-id", prescription_id)
    screenshot(page, "patient-banner-desktop")

    other = open_portal()
    run_diagnosis(other, PNEUMONIA)  # anonymous
    expect(other.get_by_test_id("patient-banner")).to_have_text("Anonymous patient")
    search = other.get_by_test_id("history-patient-search")
    search.fill("9434765919")
    search.press("Enter")
    found = other.get_by_test_id("history-patient")
    expect(found.first).to_contain_text("NHS 943 476 5919")
    for index in range(found.count()):
        expect(found.nth(index)).to_contain_text("NHS 943 476 5919")
