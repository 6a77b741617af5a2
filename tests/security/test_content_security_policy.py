"""The Content-Security-Policy header (django-csp): every page carries it, it allows no inline
script or style (the portal's import map runs by a nonce made for its response), and nothing may
frame a page. (The portal, its import map included, the admin and the API docs run under it in
Chromium with no violation: tests/browser/test_content_security_policy.py.)"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = ["/accounts/login/", "/", "/admin/", "/api/docs/", "/api/sessions/"]


@pytest.fixture
def signed_in(clinician, plain_static_files) -> Client:
    client = Client()
    client.force_login(clinician)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_a_policy_with_nothing_inline_and_no_framing(signed_in, path):
    policy = signed_in.get(path)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].startswith("'self'")
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
