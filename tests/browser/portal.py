"""What a clinician does on the portal, as steps the browser tests share."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS

PNEUMONIA: dict[str, Any] = {
    "symptoms": ["cough", "fever", "shortness of breath", "green phlegm"],
    "vitals": {
        "temperature": "38.6",
        "heart-rate": "104",
        "blood-pressure": "118/72",
        "respiratory-rate": "24",
        "spo2": "93",
    },
    "oxygen": "false",
    "consciousness": "alert",
    "urea": "8.1",
    "age": "72",
    "sex": "male",
    "smoker": "true",
    "allergies": ["penicillin"],
    "medications": [],
}

PANIC: dict[str, Any] = {
    "symptoms": ["palpitations", "chest tightness", "shortness of breath", "tingling fingers"],
    "vitals": {"heart-rate": "110", "respiratory-rate": "22", "spo2": "99"},
    "oxygen": "false",
    "consciousness": "alert",
    "age": "28",
    "sex": "female",
    "pregnant": "false",
    "allergies": [],
    "medications": ["tramadol"],
}


def add_items(page: Page, testid: str, names: list[str]) -> None:
    box = page.get_by_test_id(testid)
    for name in names:
        box.fill(name)
        box.press("Enter")


def fill_patient(page: Page, patient: dict[str, str] | None) -> None:
    """The patient reference: ``{system, identifier, birth_date}``, or None for anonymous."""
    if patient is None:
        page.get_by_test_id("patient-system-anonymous").check()
        return
    page.get_by_test_id(f"patient-system-{patient['system']}").check()
    page.get_by_test_id("patient-identifier").fill(patient["identifier"])
    page.get_by_test_id("patient-birth-date").fill(patient["birth_date"])


def fill_diagnosis(page: Page, case: dict[str, Any]) -> None:
    fill_patient(page, case.get("patient"))
    add_items(page, "symptom-input", case["symptoms"])
    for name, value in case["vitals"].items():
        page.get_by_test_id(f"vital-{name}").fill(value)
    page.get_by_test_id("vital-oxygen").select_option(case["oxygen"])
    page.get_by_test_id("vital-consciousness").select_option(case["consciousness"])
    if "urea" in case:
        page.get_by_test_id("lab-urea").fill(case["urea"])
    if case.get("age"):
        page.get_by_test_id("history-age").fill(case["age"])
    page.get_by_test_id(f"history-sex-{case['sex']}").check()
    for field in ("smoker", "pregnant"):
        if field in case:
            page.get_by_test_id(f"history-{field}").select_option(case[field])
    add_items(page, "allergies-input", case["allergies"])
    add_items(page, "medications-input", case["medications"])


def session_id_of(page: Page) -> str:
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    return page.url.rstrip("/").rsplit("/", 1)[1]


def wait_until_complete(page: Page) -> None:
    """The shown session completed, and the history lists it as the one open."""
    expect(page.get_by_test_id("progress-bar")).to_have_attribute("data-progress", "100")
    expect(page.get_by_test_id("session-status")).to_have_attribute("data-status", "completed")
    active = page.locator('[data-testid="session-history-item"][aria-current="page"]')
    expect(active).to_have_count(1)


def run_diagnosis(page: Page, case: dict[str, Any] = PNEUMONIA) -> str:
    """Fill the form, start the stream, wait for it to complete; returns the session id."""
    fill_diagnosis(page, case)
    page.get_by_test_id("start-diagnosis").click()
    session_id = session_id_of(page)
    wait_until_complete(page)
    return session_id


def prescribe_primary(page: Page, weight: str) -> None:
    """Prescribe for the primary diagnosis on the page, and wait for the prescription."""
    page.get_by_test_id("primary-diagnosis").get_by_test_id("prescribe-button").click()
    expect(page.get_by_test_id("prescription-dialog")).to_be_visible()
    page.get_by_test_id("rx-weight").fill(weight)
    page.get_by_test_id("start-prescription").click()
    expect(page.get_by_test_id("prescription-dialog")).to_be_hidden()
    expect(page.locator('[data-testid="session-view"] article')).to_have_attribute(
        "data-kind", "prescription"
    )
    wait_until_complete(page)


def stored_result(page: Page, session_id: str) -> dict[str, Any]:
    """The session's result as the REST API stores it (the page's own cookie)."""
    response = page.request.get(f"/api/sessions/{session_id}/")
    assert response.ok, response.text()
    return response.json()["result"]


def screenshot(
    page: Page, name: str, *, showing: Locator | None = None, block: str = "center"
) -> None:
    """A screenshot for people to look at, animations settled: from the top of the page, or
    scrolled so that ``showing`` sits in the middle of the screen (``block="start"``: at the
    top, below the sticky bar)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if showing is None:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        showing.evaluate("(node, block) => node.scrollIntoView({block})", block)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", animations="disabled")


def send_chat(page: Page, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()


def expect_chat_once(page: Page, text: str, author: str) -> None:
    """The message shows exactly once, with its author and a time."""
    message = page.get_by_test_id("chat-message").filter(has_text=text)
    expect(message).to_have_count(1)
    expect(message.get_by_test_id("chat-author")).to_have_text(author)
    expect(message.get_by_test_id("chat-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
