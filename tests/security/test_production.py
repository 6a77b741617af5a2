"""Production settings: DEBUG is off unless asked for, and ``manage.py check --deploy`` is clean
with the documented production environment (README, "Threat model": production settings),
each in a fresh process that reads nothing but that environment."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The web workers' environment of docker-compose.yml, served over TLS behind the proxy.
PRODUCTION = {
    "DATABASE_URL": "postgres://medstream:not-used-here@postgres:5432/medstream",
    "REDIS_URL": "redis://redis:6379/0",
    "ALLOWED_HOSTS": "medstream.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://medstream.example.org",
    "HTTPS": "1",
}


def run(code_or_args: list[str], env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "MEDSTREAM_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path: Path) -> None:
    show = ["-c", "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG)"]  # fmt: skip
    env = {"DJANGO_SETTINGS_MODULE": "medstream.settings"}

    assert run(show, env, tmp_path).stdout.strip() == "False"
    assert run(show, env | {"DEBUG": "1"}, tmp_path).stdout.strip() == "True"


def test_check_deploy_is_clean_with_the_production_environment(tmp_path: Path) -> None:
    env = PRODUCTION | {"SECRET_KEY": secrets.token_urlsafe(64)}

    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.parametrize(
    ("change", "warning"),
    [({"HTTPS": "0"}, "security.W008"), ({"DEBUG": "1"}, "security.W018")],
)
def test_check_deploy_fails_when_production_is_weakened(
    tmp_path: Path, change: dict[str, str], warning: str
) -> None:
    env = PRODUCTION | {"SECRET_KEY": secrets.token_urlsafe(64)} | change

    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)

    assert done.returncode != 0 and warning in done.stderr + done.stdout


def test_the_retired_socket_origin_list_stops_the_process_naming_the_one_that_replaced_it(
    tmp_path: Path,
) -> None:
    env = {"DJANGO_SETTINGS_MODULE": "medstream.settings", "WS_ALLOWED_ORIGINS": "http://x"}

    done = run(["-c", "import django; django.setup()"], env, tmp_path)

    assert done.returncode != 0
    assert "WS_ALLOWED_ORIGINS is no longer read" in done.stderr
    assert "CSRF_TRUSTED_ORIGINS" in done.stderr
