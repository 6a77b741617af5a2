"""The portal, the admin and the API's docs work under their Content-Security-Policy
(django-csp; issue 17, item 7): Chromium reports no policy violation (``securitypolicyviolation``)
and no console error while a reviewer signs in, runs a diagnosis stream, prescribes, and opens
the admin's session list, that session's review page and the admin's password change, and the
API docs. The policy allows only the site's own scripts and styles, the portal's import map by
its nonce, and no framing; every page is served with it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, log_in
from tests.browser.portal import prescribe_primary, run_diagnosis

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI} at ${where}`);
});
"""


class Watched:
    """Every CSP violation, console error and page error of one browser context, and the
    policy each document was served with."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(base_url=base_url, viewport=DESKTOP)
        self.problems: list[str] = []
        self.policies: dict[str, str | None] = {}
        self.context.expose_binding(
            "reportViolation", lambda _source, text: self.problems.append(f"CSP: {text}")
        )
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page: Page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text} ({message.location})")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")
        if response.request.resource_type == "document":
            self.policies[response.url] = response.headers.get("content-security-policy")


@pytest.fixture
def watched(browser, portal_server) -> Any:
    watching = Watched(browser, portal_server.http)
    yield watching
    watching.context.close()


def test_the_portal_and_the_admin_run_under_their_policy_with_no_violation(watched):
    page = watched.page
    page.goto("/accounts/login/")
    log_in(page, "reviewer")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "connected")
    session_id = run_diagnosis(page)
    prescribe_primary(page, "78")

    page.goto("/admin/")
    page.get_by_role("link", name="Stream sessions").first.click()
    expect(page.locator("#result_list")).to_be_visible()
    page.goto(f"/admin/clinical/streamsession/{session_id}/change/")
    expect(page.locator("#review-form")).to_be_visible()
    page.goto("/admin/password_change/")
    expect(page.locator("#id_old_password")).to_be_visible()
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert watched.problems == []
    assert watched.policies and all(
        policy and "script-src 'self'" in policy for policy in watched.policies.values()
    ), watched.policies
