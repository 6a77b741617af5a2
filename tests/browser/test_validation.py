"""Impossible values are refused beside their field, by the page before sending and by the
server (whose `validation_error` details name the field) when the page's checks are skipped."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.portal import PNEUMONIA, fill_diagnosis, run_diagnosis, screenshot

pytestmark = pytest.mark.browser


def test_the_page_refuses_an_impossible_vital_sign_beside_its_field(open_portal):
    page = open_portal()
    fill_diagnosis(page, PNEUMONIA)
    page.get_by_test_id("vital-heart-rate").fill("400")
    page.get_by_test_id("vital-blood-pressure").fill("80/120")

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()

    heart_rate = page.locator('[data-error-for="vitals.heart_rate"]')
    expect(heart_rate).to_have_text("must be between 20 and 300 beats/min")
    expect(page.locator('[data-error-for="vitals.blood_pressure"]')).to_contain_text(
        "diastolic must be lower than systolic"
    )
    expect(page.get_by_test_id("vital-heart-rate")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("vital-heart-rate")).to_be_focused()
    assert page.get_by_test_id("session-view").is_hidden()
    screenshot(page, "validation-desktop", showing=page.get_by_test_id("vital-heart-rate"))


def test_a_required_field_left_empty_is_named(open_portal):
    page = open_portal()
    page.get_by_test_id("symptom-input").fill("cough")

    page.get_by_test_id("patient-system-anonymous").check()
    page.get_by_test_id("start-diagnosis").click()

    expect(page.locator('[data-error-for="history.age"]')).to_have_text(
        "this field is required, or give the date of birth"
    )
    expect(page.locator('[data-error-for="history.sex"]')).to_have_text("choose female or male")


def test_the_servers_answer_lands_beside_its_field(open_portal):
    page = open_portal()
    request = {
        "symptoms": ["cough"],
        "vitals": {"heart_rate": 400, "temperature": 50},
        "history": {"age": 40, "sex": "male"},
    }

    page.evaluate("request => window.__medstream.sendDiagnosis(request)", request)

    expect(page.locator('[data-error-for="vitals.heart_rate"]')).to_contain_text("300")
    expect(page.locator('[data-error-for="vitals.temperature"]')).to_contain_text("45")
    expect(page.get_by_test_id("start-diagnosis")).to_be_enabled()


def test_an_unknown_symptom_is_reported_back(open_portal):
    page = open_portal()
    case = dict(PNEUMONIA, symptoms=["cough", "fever", "glorbic tremble"])

    run_diagnosis(page, case)

    expect(page.get_by_test_id("unrecognized-symptoms")).to_contain_text("glorbic tremble")
