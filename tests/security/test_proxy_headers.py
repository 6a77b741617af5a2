"""Behind the load balancer, the client's address is the one nginx saw, whatever the client
wrote in ``X-Forwarded-For``. nginx sets the header to ``$remote_addr`` (it used to append to
the client's own with ``$proxy_add_x_forwarded_for``, and daphne's ``--proxy-headers`` takes the
first address, so a client chose its own); daphne turns it into ``REMOTE_ADDR``, which the
audit log and every throttle use (DRF's ``NUM_PROXIES = 0``: tests/security/test_client_address.py).

Live: one daphne worker run as the image runs it (``--proxy-headers``) behind the distribution's
nginx with ``make cluster``'s site (the same as docker/nginx.conf, tests/deploy holds the two
together): forged addresses neither escape LOGIN_RATE, at the token endpoint or the sign-in
form, nor reach the audit trail."""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import sqlite3
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.cluster import (
    LIVE_PASSWORD,
    ROOT,
    Daphne,
    Nginx,
    live_environment,
    manage,
    nginx_site,
    prepare_database,
)
from tests.conftest import DIAGNOSIS_REQUEST
from tests.security.live import create_users

NGINX_CONF = (ROOT / "docker" / "nginx.conf").read_text()
SITES = {
    "docker/nginx.conf": NGINX_CONF,
    "make cluster": nginx_site("127.0.0.1:8080", ["web1:8000", "web2:8000"]),
}
LOGIN_LIMIT = 5


def proxied_locations(site: str) -> list[str]:
    blocks = re.findall(r"location [^{]+\{[^}]*\}", site)
    return [block for block in blocks if "proxy_pass" in block]


@pytest.mark.parametrize("name", SITES)
def test_the_proxy_sets_the_forwarded_address_itself_and_never_appends(name):
    site = SITES[name]
    locations = proxied_locations(site)

    assert len(locations) == 2  # /ws/ and /
    for block in locations:
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in block
        assert "proxy_set_header X-Forwarded-Port $remote_port;" in block
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in block
    assert "$proxy_add_x_forwarded_for" not in site
    assert "$http_x_forwarded" not in site


# ---- live: daphne --proxy-headers behind nginx ---------------------------------------------


class Balanced:
    def __init__(self, worker: Daphne, nginx: Nginx, token: str) -> None:
        self.worker, self.nginx, self.token = worker, nginx, token

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.nginx.port}{path}"

    @property
    def database(self) -> Path:
        return Path(self.worker.env["MEDSTREAM_VAR_DIR"]) / "medstream.sqlite3"


@pytest.fixture(scope="module")
def balanced() -> Iterator[Balanced]:
    directory = Path(tempfile.mkdtemp(prefix="medstream-proxy-"))
    directory.chmod(0o755)  # nginx's workers enter it when the tests run as root
    env = live_environment(directory / "var", LOGIN_RATE=f"{LOGIN_LIMIT}/minute")
    prepare_database(env)
    manage(env, "collectstatic", "--noinput")  # pages link the manifest's static names
    token = create_users(env, [("auditor", "clinician")])["auditor"]
    worker = Daphne(env, name="proxied", proxy_headers=True).start()
    nginx = Nginx(directory / "nginx", [f"127.0.0.1:{worker.port}"]).start()
    try:
        yield Balanced(worker, nginx, token)
    finally:
        nginx.stop()
        worker.stop()
        shutil.rmtree(directory, ignore_errors=True)


def call(
    opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None, **headers: str
) -> tuple[int, str]:
    request = urllib.request.Request(url, data, headers, method="POST" if data else "GET")
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def forged(n: int) -> str:
    return f"203.0.113.{n + 1}"


@pytest.mark.live
def test_forged_addresses_through_nginx_share_one_login_budget_over_every_door(balanced):
    """The token endpoint, then the portal's sign-in form (daphne serves it async), each try
    with a new made-up X-Forwarded-For: LOGIN_RATE still counts them as one client's."""
    opener = urllib.request.build_opener()
    token_url = balanced.url("/api/auth/token/")
    statuses = []
    for n in range(LOGIN_LIMIT + 2):
        body = json.dumps({"username": "demo", "password": f"guess {n}"}).encode()
        statuses.append(
            call(
                opener,
                token_url,
                body,
                **{"Content-Type": "application/json", "X-Forwarded-For": forged(n)},
            )[0]
        )

    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login_url = balanced.url("/accounts/login/")
    page = call(browser, login_url)[1]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = {"username": "demo", "password": LIVE_PASSWORD, "csrfmiddlewaretoken": csrf}
    status, page = call(
        browser,
        login_url,
        urllib.parse.urlencode(form).encode(),
        **{"X-Forwarded-For": forged(99), "Referer": login_url},
    )

    assert statuses == [400] * LOGIN_LIMIT + [429] * 2
    assert status == 429 and "Too many password attempts" in page
    # Still signed out: the portal sends the browser back to the sign-in page.
    assert 'data-testid="login-form"' in call(browser, balanced.url("/"))[1]


@pytest.mark.live
def test_the_audit_trail_records_the_address_nginx_saw_not_a_forged_one(balanced):
    body = json.dumps(DIAGNOSIS_REQUEST).encode()
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Token {balanced.token}",
        "X-Forwarded-For": "203.0.113.66, 198.51.100.7",
    }
    status, answer = call(
        urllib.request.build_opener(), balanced.url("/api/sessions/diagnosis/"), body, **headers
    )
    assert status == 201, answer
    session_id = json.loads(answer)["session"]["id"]

    with sqlite3.connect(balanced.database) as connection:
        clients = connection.execute(
            "SELECT client FROM clinical_auditentry WHERE session_ref = ?",
            (session_id.replace("-", ""),),
        ).fetchall()

    assert clients == [("127.0.0.1",)]
