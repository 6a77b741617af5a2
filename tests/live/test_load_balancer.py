"""The load balancer `make cluster` and docker-compose put in front of the workers: nginx from
the distribution, round robin over two daphne workers, WebSocket upgrade, /metrics kept private.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from devtools.cluster import LIVE_PASSWORD, Cluster, Nginx, json_post, wait_until
from tests.live.test_cluster import assert_exactly_once, ready, start_message, until_terminal

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def balancer(cluster: Cluster, shared_temp: Path) -> Iterator[Nginx]:
    """nginx over both workers, once each is running and ready: an earlier test may have
    stopped one, or restarted Redis under it (a worker's first layer call after that fails
    and reconnects, and /readyz is where that happens first)."""
    for daphne in cluster.daphnes:
        if daphne.process.poll() is not None:
            daphne.start()
        wait_until(lambda daphne=daphne: ready(daphne)[0] == 200, 30, f"{daphne.name} ready")
    upstreams = [f"127.0.0.1:{daphne.port}" for daphne in cluster.daphnes]
    nginx = Nginx(shared_temp / "nginx", upstreams).start()
    yield nginx
    nginx.stop()


def through(balancer: Nginx, path: str) -> str:
    return f"http://127.0.0.1:{balancer.port}{path}"


def ticket_url(balancer: Nginx, username: str = "demo") -> str:
    body = {"username": username, "password": LIVE_PASSWORD}
    token = json_post(through(balancer, "/api/auth/token/"), body, "")["token"]
    return json_post(through(balancer, "/api/ws-tickets/"), None, token)["url"]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def test_a_stream_runs_through_nginx_and_reaches_the_users_other_socket(balancer):
    first_url, second_url = ticket_url(balancer), ticket_url(balancer)
    # The ticket's URL is built from the Host the client used: the balancer, not a worker.
    assert first_url.startswith(f"ws://127.0.0.1:{balancer.port}/ws/")

    async with connect(first_url) as here, connect(second_url) as there:
        await here.send(start_message())
        sent = await until_terminal(here)
        seen = await until_terminal(there)

    assert_exactly_once(sent)
    assert sent[-1]["type"] == "complete"
    assert seen == sent


def test_health_goes_through_and_metrics_stay_private(balancer):
    assert status_of(through(balancer, "/healthz")) == 200
    with urllib.request.urlopen(through(balancer, "/readyz"), timeout=10) as response:
        assert json.loads(response.read())["status"] == "ready"
    assert status_of(through(balancer, "/metrics")) == 404
