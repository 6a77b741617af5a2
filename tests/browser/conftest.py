"""Headless Chromium (the distribution's package) driving the portal on a live daphne.

The server is the project's own (``tests.live``): a fresh ``var/`` with a migrated SQLite
database and the demo users, DEBUG off, static files collected into ``STATIC_ROOT`` first so
whitenoise serves them with the manifest's hashed names, exactly as in production.

``portal_cluster`` is the multi-worker topology instead (``devtools.cluster``): two daphne
workers sharing PostgreSQL and the Redis channel layer, static files collected into the
cluster's var dir before the first worker starts; ``open_on`` opens a page on either worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.live.conftest import (  # noqa: F401  (shared_temp: the fixture, used below)
    LIVE_PASSWORD,
    Cluster,
    Daphne,
    live_environment,
    manage,
    prepare_database,
    shared_temp,
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


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package-scoped: Playwright's synchronous API runs an event loop in the main thread while
    it is open, and the asyncio tests of other packages cannot run beside it."""
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


def login_states(browser: Browser, base_url: str) -> Callable[[str], dict[str, Any]]:
    """The cookies of one real login per user on the server at ``base_url``, made once."""
    states: dict[str, dict[str, Any]] = {}

    def state(username: str) -> dict[str, Any]:
        if username not in states:
            context = browser.new_context(base_url=base_url)
            page = context.new_page()
            page.goto("/accounts/login/")
            log_in(page, username)
            page.wait_for_url(f"{base_url}/")
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return state


class Pages:
    """Signed-in portal pages, each in its own browser context; records every script error."""

    def __init__(self, browser: Browser, signed_in: Callable[[str], dict[str, Any]]) -> None:
        self.browser = browser
        self.signed_in = signed_in
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def open(self, base_url: str, username: str, path: str, viewport: dict | None) -> Page:
        context = self.browser.new_context(
            base_url=base_url,
            viewport=viewport or DESKTOP,
            storage_state=self.signed_in(username),
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{username}: {error}"))
        page.goto(path)
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "connected")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert self.errors == []


@pytest.fixture(scope="package")
def signed_in(browser: Browser, portal_server: Daphne) -> Callable[[str], dict[str, Any]]:
    """The cookies of one real login per user, reused by every test's fresh context."""
    return login_states(browser, portal_server.http)


@pytest.fixture
def open_portal(
    browser: Browser, portal_server: Daphne, signed_in: Callable[[str], dict[str, Any]]
) -> Iterator[Callable[..., Page]]:
    """Open the portal as ``username`` in a new context, connected; fails on any script error."""
    pages = Pages(browser, signed_in)

    def open_(username: str = "demo", path: str = "/", viewport: dict | None = None) -> Page:
        return pages.open(portal_server.http, username, path, viewport)

    yield open_
    pages.close()


@pytest.fixture
def anonymous_page(browser: Browser, portal_server: Daphne) -> Iterator[Page]:
    context = browser.new_context(base_url=portal_server.http, viewport=DESKTOP)
    yield context.new_page()
    context.close()


@dataclass
class PortalCluster(Cluster):
    """A cluster whose workers serve the portal: collectstatic runs into the cluster's var dir
    (``STATIC_ROOT``, shared by its workers) before the first worker starts."""

    collected: bool = False

    def add_worker(self, name: str) -> Daphne:
        if not self.collected:
            manage(self.env, "collectstatic", "--noinput")
            self.collected = True
        return super().add_worker(name)


@pytest.fixture(scope="session")
def portal_cluster(shared_temp: Path) -> Iterator[PortalCluster]:  # noqa: F811
    """Two daphne workers with real Redis and PostgreSQL, under a folder PostgreSQL's own user
    can enter when the tests run as root (``shared_temp``)."""
    running = PortalCluster(shared_temp / "portal-cluster", workers=2)
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture(scope="package")
def cluster_signed_in(
    browser: Browser, portal_cluster: PortalCluster
) -> Callable[[str], dict[str, Any]]:
    """One login per user, made on worker 1: the session lives in the shared database and the
    cookie is the same host's on either worker's port."""
    return login_states(browser, portal_cluster.daphnes[0].http)


@pytest.fixture
def open_on(
    browser: Browser,
    portal_cluster: PortalCluster,
    cluster_signed_in: Callable[[str], dict[str, Any]],
) -> Iterator[Callable[..., Page]]:
    """Open the portal on worker ``worker`` (1 or 2) of the cluster as ``username``."""
    pages = Pages(browser, cluster_signed_in)

    def open_(worker: int, username: str = "demo", path: str = "/") -> Page:
        return pages.open(portal_cluster.daphnes[worker - 1].http, username, path, None)

    yield open_
    pages.close()
