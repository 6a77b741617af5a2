"""The session page a reviewer reads: request and result laid out, timeline, chat, audit."""

from __future__ import annotations

import re

import pytest

from clinical.models import AuditEntry, StreamEvent
from clinical.streams.chat import post_chat
from clinical.streams.start import create_stream
from tests.admin.conftest import session_url
from tests.api.completed import complete_session

pytestmark = pytest.mark.django_db


def page(client, session) -> str:
    response = client.get(session_url(session))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, name: str) -> str:
    match = re.search(rf'<section class="module[^"]*" id="{name}">(.*?)</section>', html, re.S)
    assert match, f"no {name} section"
    return match.group(1)


def squeezed(html: str) -> str:
    """The text of ``html`` with its tags and runs of whitespace gone."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_request_is_laid_out_with_units(reviewer_client, diagnosis_session):
    request = squeezed(section(page(reviewer_client, diagnosis_session), "request"))

    assert "fever moderate 3 days" in request
    assert "Temperature 38.6 °C" in request and "Blood pressure 118/72 mmHg" in request
    assert "SpO2 93 %" in request and "Consciousness (ACVPU) alert" in request
    assert "Age 72 years" in request and "Allergies penicillin" in request
    assert "Urea 8.1 mmol/L" in request


def test_the_result_shows_the_differential_scores_and_urgency(reviewer_client, diagnosis_session):
    html = page(reviewer_client, diagnosis_session)
    result = squeezed(section(html, "result"))

    assert "Community-acquired pneumonia (J18.9), confidence 88%" in result
    assert "Urgency: urgent" in result
    assert "1 Community-acquired pneumonia J18.9 88% Community-acquired pneumonia: 88%." in result
    assert "2 Acute exacerbation of COPD J44.1 11%" in result
    assert "National Early Warning Score 2 (NEWS2): 6" in result
    assert "CURB-65: 2" in result and "Risk: intermediate" in result
    assert "Not scored (no value given): Air or oxygen?" in result
    assert '"primary_diagnosis"' not in html and "{&quot;" not in html


def test_a_prescription_shows_medications_exclusions_and_interactions(
    reviewer_client, prescription_session
):
    result = squeezed(section(page(reviewer_client, prescription_session), "result"))
    request = squeezed(section(page(reviewer_client, prescription_session), "request"))

    assert "Aspirin 300 mg oral" in result
    assert "Aspirin + Warfarin major Additive antiplatelet" in result
    assert "Allergy groups: Penicillins" in result
    assert "Weight 82 kg" in request and "Current medications warfarin" in request


def test_the_timeline_lists_every_event_in_seq_order(reviewer_client, diagnosis_session):
    timeline = section(page(reviewer_client, diagnosis_session), "timeline")
    seqs = [int(seq) for seq in re.findall(r"<tr><td>(\d+)</td>", timeline)]

    assert seqs == list(range(StreamEvent.objects.filter(session=diagnosis_session).count()))
    text = squeezed(timeline)
    assert "Accepted (diagnosis)" in text
    assert "Community-acquired pneumonia (J18.9) 88%" in text
    assert "Result stored" in text


def test_the_chat_and_the_audit_trail_are_shown(
    reviewer_client, clinician, senior, diagnosis_session
):
    post_chat(
        clinician, {"message": "Please check the CURB-65", "session_id": str(diagnosis_session.id)}
    )

    html = page(reviewer_client, diagnosis_session)

    assert "Please check the CURB-65" in squeezed(section(html, "chat"))
    audit = squeezed(section(html, "audit"))
    assert "alice Started" in audit and "rose Viewed Admin" in audit


def test_opening_the_page_is_audited_as_viewed(reviewer_client, senior, diagnosis_session):
    page(reviewer_client, diagnosis_session)

    entry = AuditEntry.objects.get(action="viewed")
    assert (entry.actor, entry.channel, entry.session_id) == (senior, "admin", diagnosis_session.id)


def test_a_running_session_has_no_result_and_no_review_form(
    reviewer_client, clinician, diagnosis_request
):
    running = create_stream(clinician, "diagnosis", diagnosis_request, None)

    html = page(reviewer_client, running)

    assert "No result: the session is running." in html
    assert "it can be reviewed once it has finished" in html
    assert 'name="verdict"' not in html


def test_an_unknown_session_redirects_to_the_list_with_a_message(reviewer_client):
    response = reviewer_client.get(
        "/admin/clinical/streamsession/00000000-0000-0000-0000-000000000000/change/", follow=True
    )

    assert response.redirect_chain[-1][0] == "/admin/"
    assert b"doesn\xe2\x80\x99t exist" in response.content


def test_a_symptom_s_status_is_shown_beside_its_name(reviewer_client, clinician, diagnosis_request):
    diagnosis_request["symptoms"] = [
        {"name": "Fever", "status": "unknown"},
        {"name": "Cough", "status": "absent"},
        {"name": "Chest pain", "status": "present", "severity": "severe"},
        "Headache",
    ]
    session = complete_session(clinician, "diagnosis", diagnosis_request)

    request = squeezed(section(page(reviewer_client, session), "request"))

    assert "Fever set aside" in request
    assert "Cough absent" in request
    assert "Chest pain present severe" in request
    assert "Headache" in request


def test_the_review_form_comes_before_the_record_and_the_timeline_is_folded(
    reviewer_client, diagnosis_session
):
    html = page(reviewer_client, diagnosis_session)

    order = [html.index(f'id="{name}"') for name in ("summary", "review-form", "request")]
    assert order == sorted(order)
    assert "Community-acquired pneumonia</strong> (J18.9)" in section(html, "review-form")
    assert "<details>" in section(html, "timeline") and "<details open" not in html
