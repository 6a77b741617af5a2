"""Four eyes in the portal (issue 17, item 4): the portal has no review form of its own, so its
door to reviews is the REST endpoint with the page's session cookie and CSRF token, as any of
its modules would call it. A reviewer who started a diagnosis in the portal is refused there
with a clear reason; nothing is stored. (REST and the admin on a live worker:
tests/security/test_four_eyes_live.py.)"""

from __future__ import annotations

import pytest

from tests.browser.portal import run_diagnosis

pytestmark = pytest.mark.browser

REVIEW_FROM_THE_PAGE = """async ([sessionId, body]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(`/api/sessions/${sessionId}/reviews/`, {
    method: body ? "POST" : "GET",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
    body: body ? JSON.stringify(body) : undefined,
  });
  return {status: response.status, body: await response.json()};
}"""


def test_a_reviewer_cannot_review_a_session_they_started_in_the_portal(open_portal):
    page = open_portal("reviewer")
    session_id = run_diagnosis(page)

    posted = page.evaluate(REVIEW_FROM_THE_PAGE, [session_id, {"verdict": "agree"}])
    stored = page.evaluate(REVIEW_FROM_THE_PAGE, [session_id, None])

    assert posted["status"] == 403, posted
    assert posted["body"]["code"] == "forbidden"
    assert "You started this session" in posted["body"]["error"]
    assert stored == {"status": 200, "body": []}
