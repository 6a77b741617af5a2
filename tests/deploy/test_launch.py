"""The application refuses an ASGI server that is not daphne, naming the commands that work."""

from __future__ import annotations

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
