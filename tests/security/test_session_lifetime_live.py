"""A signed-in session lasts one clinical shift, on a live worker (issue 17, item 7):
``SESSION_COOKIE_AGE``, 12 hours unless set, from sign-in, not renewed by use. Django's default
was two weeks, so a portal left signed in on a ward's shared computer stayed open for the shifts
after. The cookie says so (``Max-Age``), and the server holds to it whatever the browser keeps:
the same cookie sent after its age is a signed-out request, on a page and on the socket."""

from __future__ import annotations

import asyncio
import http.cookies
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from devtools.cluster import LIVE_PASSWORD, Daphne, wait_until
from tests.security.live import FormSession, embedded_worker

pytestmark = pytest.mark.live

SHORT = 3  # seconds: SESSION_COOKIE_AGE of the second worker
SHIFT = 12 * 60 * 60


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Daphne, Daphne]]:
    """The default lifetime, and SHORT, on one database."""
    with embedded_worker(tmp_path_factory.mktemp("sessions"), pages=True) as default:
        short = Daphne(default.env | {"SESSION_COOKIE_AGE": str(SHORT)}).start()
        try:
            yield default, short
        finally:
            short.stop()


def session_cookie(worker: Daphne) -> http.cookies.Morsel:
    """The ``sessionid`` cookie a sign-in through the portal's form sets."""
    browser = FormSession(worker)
    status, page = browser.submit(
        "/accounts/login/", {"username": "demo", "password": LIVE_PASSWORD}
    )
    assert status == 302, page[:300]
    [header] = [
        value
        for name, value in browser.last_headers
        if name == "Set-Cookie" and value.startswith("sessionid=")
    ]
    return http.cookies.SimpleCookie(header)["sessionid"]


def page_status(worker: Daphne, cookie: str) -> int:
    browser = FormSession(worker)
    return browser.call("/", Cookie=f"sessionid={cookie}")[0]


async def socket_close_code(worker: Daphne, cookie: str) -> int | None:
    headers = {"Cookie": f"sessionid={cookie}", "Origin": worker.http}
    async with connect(f"{worker.ws}/ws/1/", additional_headers=headers) as socket:
        try:
            await asyncio.wait_for(socket.recv(), 1)
        except TimeoutError:
            return None  # open and silent: signed in
        except ConnectionClosed:
            pass
        return socket.close_code


def test_the_session_cookie_lasts_a_shift_by_default(workers):
    default, _ = workers

    cookie = session_cookie(default)

    assert int(cookie["max-age"]) == SHIFT


def test_a_session_cookie_sent_after_its_age_signs_nobody_in(workers):
    _, short = workers
    cookie = session_cookie(short)
    assert int(cookie["max-age"]) == SHORT
    assert page_status(short, cookie.value) == 200

    wait_until(lambda: page_status(short, cookie.value) == 302, SHORT + 10, "the session to end")

    assert asyncio.run(socket_close_code(short, cookie.value)) == 4401
