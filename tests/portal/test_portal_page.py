"""The portal page: the disclaimer, the elements tests and people rely on, and its config."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATE_TESTIDS = [
    "disclaimer",
    "connection-state",
    "user-name",
    "logout",
    "new-diagnosis",
    "refresh-history",
    "session-history",
    "new-heading",
    "diagnosis-form",
    "note-input",
    "note-count",
    "read-note",
    "note-preview",
    "symptom-input",
    "add-symptom",
    "symptom-list",
    "vital-temperature",
    "vital-heart-rate",
    "vital-blood-pressure",
    "vital-respiratory-rate",
    "vital-spo2",
    "vital-oxygen",
    "vital-consciousness",
    "lab-urea",
    "history-age",
    "history-sex-female",
    "history-sex-male",
    "history-pregnant",
    "history-smoker",
    "allergies-input",
    "conditions-input",
    "medications-input",
    "start-diagnosis",
    "start-status",
    "clear-form",
    "session-view",
    "prescription-dialog",
    "prescription-form",
    "rx-diagnosis",
    "rx-weight",
    "rx-egfr",
    "rx-age",
    "rx-sex-female",
    "rx-sex-male",
    "rx-pregnant",
    "rx-allergies-input",
    "rx-medications-input",
    "rx-cancel",
    "start-prescription",
]


def _config(page: str) -> dict:
    found = re.search(r'<script id="portal-config" type="application/json">(.*?)</script>', page)
    assert found, "the page carries its configuration"
    return json.loads(found[1])


def test_the_portal_shows_the_decision_support_disclaimer(browser_as, clinician):
    page = browser_as(clinician).get("/").content.decode()

    assert 'data-testid="disclaimer"' in page
    assert "Not a diagnosis or a prescription" in page


def test_the_portal_carries_every_stable_test_id(browser_as, clinician):
    page = browser_as(clinician).get("/").content.decode()

    missing = [testid for testid in TEMPLATE_TESTIDS if f'data-testid="{testid}"' not in page]

    assert missing == []


def test_the_config_names_the_user_and_their_socket(browser_as, clinician):
    config = _config(browser_as(clinician).get("/").content.decode())

    assert config["user"] == {
        "id": clinician.pk,
        "username": "alice",
        "name": "Alice",
        "reviewer": False,
    }
    assert config["socketPath"] == f"/ws/{clinician.pk}/"
    assert config["sessionId"] is None


def test_a_reviewer_is_marked_as_one(browser_as, reviewer):
    config = _config(browser_as(reviewer).get("/").content.decode())

    assert config["user"]["reviewer"] is True


def test_a_session_address_opens_that_session(browser_as, clinician):
    session_id = uuid.uuid4()

    config = _config(browser_as(clinician).get(f"/sessions/{session_id}/").content.decode())

    assert config["sessionId"] == str(session_id)


def test_the_config_carries_the_request_bounds(browser_as, clinician):
    bounds = _config(browser_as(clinician).get("/").content.decode())["bounds"]

    assert bounds["vitals"]["heart_rate"] == {"min": 20, "max": 300}
    assert bounds["patient_info"]["weight"] == {"min": 0.3, "max": 350}


def test_the_sign_out_form_is_a_csrf_protected_post(browser_as, clinician):
    page = browser_as(clinician).get("/").content.decode()

    form = re.search(r'<form method="post" action="/accounts/logout/".*?</form>', page, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form[0]


def test_the_portal_cannot_be_framed(browser_as, clinician):
    assert browser_as(clinician).get("/")["X-Frame-Options"] == "DENY"


def test_read_note_sits_beside_the_note_and_announces_what_it_read(browser_as, clinician):
    page = browser_as(clinician).get("/").content.decode()

    note = re.search(r'<fieldset class="card note-entry">.*?</fieldset>', page, re.S)
    assert note, "the note's fieldset"
    button = re.search(r'<button[^>]*data-testid="read-note"[^>]*>', note[0])
    assert button and 'type="button"' in button[0], "reading is not submitting the form"
    assert 'aria-controls="note-preview"' in button[0]
    status = re.search(r'<p[^>]*data-role="note-read-status"[^>]*>', note[0])
    assert status and 'aria-live="polite"' in status[0] and 'role="status"' in status[0]
    preview = re.search(r'<section[^>]*data-testid="note-preview"[^>]*>', page)
    assert preview and 'id="note-preview"' in preview[0] and " hidden" in preview[0]


def test_the_page_carries_its_csrf_token_for_reading_notes(clinician):
    """Reading a note is a cookie-authenticated POST: Django checks the CSRF token it sends."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinician)
    page = client.get("/").content.decode()

    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token, "the token the note reading POST sends"
    refused = client.post(
        "/api/notes/read/", {"note": "productive cough"}, content_type="application/json"
    )
    assert refused.status_code == 403
    response = client.post(
        "/api/notes/read/",
        {"note": "productive cough"},
        content_type="application/json",
        headers={"X-CSRFToken": token[1]},
    )
    assert response.status_code == 200
