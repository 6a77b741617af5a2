"""docker-compose.yml and the load balancer's configuration, checked without a Docker engine.

Docker cannot run on the machines this suite runs on, so the compose file is parsed and its
topology asserted, and the nginx configuration is checked by nginx itself (``nginx -t``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from devtools.cluster import nginx_site

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
NGINX = (ROOT / "docker" / "nginx.conf").read_text()
WEB = [name for name in SERVICES if name.startswith("web")]


def test_the_topology_has_redis_postgres_a_migration_two_workers_and_a_load_balancer():
    assert {"redis", "postgres", "migrate", "nginx"} <= set(SERVICES)
    assert len(WEB) >= 2


@pytest.mark.parametrize("name", ["redis", "postgres", "nginx", *WEB])
def test_every_long_running_service_has_a_health_check(name):
    assert SERVICES[name]["healthcheck"]["test"]


def test_workers_start_after_the_migration_and_healthy_services():
    for name in WEB:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["postgres"]["condition"] == "service_healthy"


def test_workers_use_redis_and_postgres_and_have_distinct_ids():
    ids = set()
    for name in WEB:
        env = SERVICES[name]["environment"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["DEBUG"] == "0"
        ids.add(env["WORKER_ID"])
    assert len(ids) == len(WEB)


def test_workers_get_time_to_drain_on_stop():
    for name in WEB:
        seconds = int(SERVICES[name]["stop_grace_period"].rstrip("s"))
        assert seconds > 10  # DRAIN_GRACE_SECONDS defaults to 10


def test_the_database_keeps_its_data_in_a_volume():
    assert "postgres-data" in COMPOSE["volumes"]
    assert any(v.startswith("postgres-data:") for v in SERVICES["postgres"]["volumes"])


def test_the_migration_runs_once():
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["migrate"]["command"][-2:] == ["migrate", "--noinput"]


def test_the_load_balancer_upgrades_websockets_and_sends_to_every_worker():
    ws_block = re.search(r"location /ws/ \{(.*?)\}", NGINX, re.S)[1]
    assert "proxy_http_version 1.1;" in ws_block
    assert "proxy_set_header Upgrade $http_upgrade;" in ws_block
    assert "proxy_set_header Connection $connection_upgrade;" in ws_block
    for name in WEB:
        assert f"server {name}:8000" in NGINX


def test_metrics_are_not_exposed_through_the_load_balancer():
    assert "location = /metrics { return 404; }" in NGINX


def test_make_cluster_and_compose_route_alike():
    """The site `make cluster` renders has the same location blocks as docker/nginx.conf."""
    rendered = nginx_site("127.0.0.1:8080", ["web1:8000", "web2:8000"])

    def locations(text: str) -> list[str]:
        blocks = re.findall(r"location [^{]+\{[^}]*\}", text)
        return [" ".join(block.split()) for block in blocks]

    assert locations(rendered) == locations(NGINX)


def test_the_image_serves_with_the_draining_server_behind_the_proxy():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"medstream.serve"' in dockerfile and '"--proxy-headers"' in dockerfile
    assert "USER medstream" in dockerfile


def test_nginx_accepts_the_configuration(tmp_path):
    config = NGINX.replace("web1:8000", "127.0.0.1:18001").replace("web2:8000", "127.0.0.1:18002")
    config = config.replace("listen 80;", "listen 127.0.0.1:18080;")
    config = config.replace(
        "events {", f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{", 1
    )
    (tmp_path / "nginx.conf").write_text(config)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr
