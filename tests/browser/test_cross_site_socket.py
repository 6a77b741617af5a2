"""Cross-site WebSocket hijacking from the same host on another port (issue 17, item 2).

A page served from ``http://127.0.0.1:<another port>`` is same-site with the portal (a site is
the scheme and host, never the port), so Chromium sends the signed-in clinician's session
cookie with the page's WebSocket handshake to the portal's worker. The socket's Origin rule is
the one Django's CSRF check applies to REST and forms: the served site's own origin (scheme,
host and port) or one of ``CSRF_TRUSTED_ORIGINS``; before, the socket compared only the host
name with ``ALLOWED_HOSTS``, and the attacker's page chatted as the clinician and received the
clinician's streams.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devtools.cluster import Daphne, free_port
from tests.conftest import DIAGNOSIS_REQUEST

pytestmark = pytest.mark.browser

MARK = "posted by a page on another port"

ATTACK = """<!doctype html>
<title>another site on the same host</title>
<script>
const seen = [];
const socket = new WebSocket(%(target)r);
// Settles once the handshake is decided: open, or closed with the refusal's code.
window.decided = new Promise((resolve) => {
  socket.addEventListener("open", () => resolve("open"));
  socket.addEventListener("close", () => resolve("closed"));
});
window.attack = new Promise((resolve) => {
  socket.onopen = () => {
    socket.send(JSON.stringify({type: "chat", data: {message: %(mark)r}}));
  };
  socket.onmessage = (event) => {
    seen.push(JSON.parse(event.data));
    if (seen.some((frame) => frame.type === "complete")) resolve({open: true, seen});
  };
  socket.onclose = (event) => resolve({open: false, code: event.code, seen});
});
</script>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access lines on the test's stderr."""


@pytest.fixture
def attacker_site(tmp_path: Path, portal_server: Daphne) -> Iterator[str]:
    """``http://127.0.0.1:<free port>/`` serving a page that opens the portal's socket."""
    demo_socket = portal_server.ticket_url("demo").split("?", 1)[0]
    (tmp_path / "index.html").write_text(ATTACK % {"target": demo_socket, "mark": MARK})
    handler = partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join()


def test_a_page_on_another_port_cannot_use_the_clinicians_cookie_on_the_socket(
    browser, signed_in, portal_server, attacker_site
):
    context = browser.new_context(storage_state=signed_in("demo"))
    page = context.new_page()
    page.goto(attacker_site)
    page.evaluate("window.decided")
    # A stream of the clinician's, started once the attacker's socket is decided.
    token = portal_server.token("demo")
    portal_server.post("/api/sessions/diagnosis/", DIAGNOSIS_REQUEST, token=token)

    outcome = page.evaluate("window.attack")
    context.close()

    assert outcome == {"open": False, "code": 4403, "seen": []}
    assert all(MARK not in frame["message"]["text"] for frame in team_chat(portal_server, token))


def team_chat(server: Daphne, token: str) -> list[dict]:
    request = urllib.request.Request(
        f"{server.http}/api/chat/team/", headers={"Authorization": f"Token {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
