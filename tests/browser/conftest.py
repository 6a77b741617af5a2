"""Headless Chromium (the distribution's package) driving the portal on a live daphne.

The server is the project's own (``tests.live``): a fresh ``var/`` with a migrated SQLite
database and the demo users, DEBUG off, static files collected into ``STATIC_ROOT`` first so
whitenoise serves them with the manifest's hashed names, exactly as in production.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.live.conftest import (
    LIVE_PASSWORD,
    Daphne,
    live_environment,
    manage,
    prepare_database,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    """One daphne worker serving the portal with collected, hashed static files."""
    env = live_environment(tmp_path_factory.mktemp("browser"))
    prepare_database(env)
    manage(env, "collectstatic", "--noinput")
    server = Daphne(env).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(page: Page, username: str) -> None:
    """Sign in through the login form, as a person would."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(LIVE_PASSWORD)
    page.get_by_test_id("login-submit").click()


@pytest.fixture(scope="session")
def signed_in(browser: Browser, portal_server: Daphne) -> Callable[[str], dict[str, Any]]:
    """The cookies of one real login per user, reused by every test's fresh context."""
    states: dict[str, dict[str, Any]] = {}

    def state(username: str) -> dict[str, Any]:
        if username not in states:
            context = browser.new_context(base_url=portal_server.http)
            page = context.new_page()
            page.goto("/accounts/login/")
            log_in(page, username)
            page.wait_for_url(f"{portal_server.http}/")
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return state


@pytest.fixture
def open_portal(
    browser: Browser, portal_server: Daphne, signed_in: Callable[[str], dict[str, Any]]
) -> Iterator[Callable[..., Page]]:
    """Open the portal as ``username`` in a new context, connected; fails on any script error."""
    contexts = []
    errors: list[str] = []

    def open_(username: str = "demo", path: str = "/", viewport: dict | None = None) -> Page:
        context = browser.new_context(
            base_url=portal_server.http,
            viewport=viewport or DESKTOP,
            storage_state=signed_in(username),
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{username}: {error}"))
        page.goto(path)
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "connected")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == []


@pytest.fixture
def anonymous_page(browser: Browser, portal_server: Daphne) -> Iterator[Page]:
    context = browser.new_context(base_url=portal_server.http, viewport=DESKTOP)
    yield context.new_page()
    context.close()
