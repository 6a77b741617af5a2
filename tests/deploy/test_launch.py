"""Loading the application adapts any daphne server of the process to the settings, and refuses
an ASGI server that is not daphne, naming the commands that work."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from medstream.launch import refuse_other_servers


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn", "granian"])
def test_another_asgi_server_is_refused_with_the_right_command(server):
    with pytest.raises(ImproperlyConfigured) as refused:
        refuse_other_servers({server: object(), "django": object()})
    assert str(refused.value) == (
        f"medstream is served by daphne, not {server}: start it with "
        "`python -m medstream.serve` or `daphne medstream.asgi:application`"
    )


def test_daphne_and_the_test_runner_are_accepted():
    refuse_other_servers({"daphne.server": object(), "pytest": object()})


# A daphne Server built as the daphne command line builds one, with its defaults, after the
# application has loaded: in a process of its own (daphne installs Twisted's reactor on import).
_BUILT_BY_THE_CLI = """
import json
import daphne.server
from medstream.asgi import application
server = daphne.server.Server(application=application, endpoints=["tcp:port=0:interface=127.0.0.1"])
print(json.dumps({name: getattr(server, name) for name in (
    "ping_interval", "ping_timeout", "websocket_max_message_size", "websocket_max_frame_size",
    "websocket_handshake_timeout", "websocket_connect_timeout", "signal_handlers", "endpoints",
)}))
"""


def test_a_daphne_server_takes_the_settings_whoever_builds_it(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "MEDSTREAM_VAR_DIR": str(tmp_path),
        "WS_HANDSHAKE_SECONDS": "17",
        "WS_MAX_FRAME_BYTES": "4096",
        "WS_PING_INTERVAL_SECONDS": "11",
        "LISTEN_BACKLOG": "333",
        "DJANGO_SETTINGS_MODULE": "medstream.settings",
    }
    run = subprocess.run(
        [sys.executable, "-c", _BUILT_BY_THE_CLI], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == {
        "ping_interval": 11,
        "ping_timeout": 30,
        "websocket_max_message_size": 4096,
        "websocket_max_frame_size": 4096,
        "websocket_handshake_timeout": 17,
        "websocket_connect_timeout": 17,
        "signal_handlers": False,
        "endpoints": ["tcp:port=0:interface=127.0.0.1:backlog=333"],
    }
