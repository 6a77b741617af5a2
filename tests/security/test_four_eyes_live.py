"""Four eyes on a live worker (issue 17, item 4): a reviewer who started a session cannot review
it, over REST or in the admin (its form and its bulk action); another reviewer can. Before: a
reviewer started a diagnosis and posted ``agree`` on it, twice. (The portal's door, its own
cookie on the same endpoint: tests/browser/test_four_eyes.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devtools.cluster import LIVE_PASSWORD, Daphne
from tests.conftest import DIAGNOSIS_REQUEST
from tests.security.live import FormSession, create_users, embedded_worker, manage, request

pytestmark = pytest.mark.live

SESSIONS = "/admin/clinical/streamsession/"


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    with embedded_worker(tmp_path_factory.mktemp("four-eyes"), pages=True) as daphne:
        daphne.tokens = create_users(daphne.env, [("starter", "reviewer"), ("second", "reviewer")])
        manage(
            daphne.env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.filter(username='starter').update(is_staff=True)",
        )
        yield daphne


def finished_diagnosis(worker: Daphne, token: str) -> str:
    status, _, started = request(
        worker, "POST", "/api/sessions/diagnosis/", token, DIAGNOSIS_REQUEST
    )
    assert status == 201, started
    session_id = started["session"]["id"]
    deadline = time.monotonic() + 20
    while request(worker, "GET", f"/api/sessions/{session_id}/", token)[2]["status"] != "completed":
        assert time.monotonic() < deadline, "the diagnosis did not complete"
        time.sleep(0.05)
    return session_id


def reviews_of(worker: Daphne, token: str, session_id: str) -> list[dict]:
    return request(worker, "GET", f"/api/sessions/{session_id}/reviews/", token)[2]


def test_a_reviewer_cannot_review_their_own_session_over_rest_however_often_they_try(worker):
    own = worker.tokens["starter"]
    session_id = finished_diagnosis(worker, own)

    answers = [
        request(worker, "POST", f"/api/sessions/{session_id}/reviews/", own, {"verdict": "agree"})
        for _ in range(2)
    ]

    for status, _, body in answers:
        assert status == 403 and body["code"] == "forbidden"
        assert "You started this session" in body["error"], body
    assert reviews_of(worker, own, session_id) == []


def test_nor_in_the_admin_by_its_form_or_its_bulk_action(worker):
    own = worker.tokens["starter"]
    session_id = finished_diagnosis(worker, own)
    admin = FormSession(worker)
    admin.sign_in("starter", LIVE_PASSWORD, "/admin/login/")

    status, page = admin.submit(
        f"{SESSIONS}{session_id}/change/",
        {"verdict": "agree", "corrected_icd10": "", "comment": ""},
    )
    bulk = {"action": "mark_reviewed_agree", "_selected_action": session_id, "confirmed": "yes"}
    bulk_status, _ = admin.submit(SESSIONS, bulk)

    assert status == 200 and "You started this session" in page
    assert bulk_status == 302
    assert reviews_of(worker, own, session_id) == []


def test_another_reviewer_reviews_it(worker):
    session_id = finished_diagnosis(worker, worker.tokens["starter"])
    other = worker.tokens["second"]

    status, _, body = request(
        worker, "POST", f"/api/sessions/{session_id}/reviews/", other, {"verdict": "agree"}
    )

    assert status == 201, body
    assert [review["reviewer"] for review in reviews_of(worker, other, session_id)] == ["second"]
