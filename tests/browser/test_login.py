"""Signing in and out of the portal, with the disclaimer always in view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.portal import screenshot

pytestmark = pytest.mark.browser


def test_a_signed_out_visit_goes_to_the_login_page_and_back(anonymous_page, portal_server):
    page = anonymous_page

    page.goto("/")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_test_id("disclaimer")).to_be_visible()
    screenshot(page, "login-desktop")
    log_in(page, "demo")
    expect(page).to_have_url(f"{portal_server.http}/")
    expect(page.get_by_test_id("user-name")).to_have_text("Demo Clinician")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "connected")


def test_a_wrong_password_is_refused_on_the_login_page(anonymous_page):
    page = anonymous_page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("not the password")

    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("login-error")).to_be_visible()


def test_signing_out_ends_the_session(anonymous_page):
    # Its own login: signing out ends that session on the server, which the shared one must
    # outlive.
    page = anonymous_page
    page.goto("/accounts/login/")
    log_in(page, "demo")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "connected")

    page.get_by_test_id("logout").click()

    expect(page.get_by_test_id("signed-out")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
