"""Invisible formatting characters (Unicode category Cf) in chat text and in a request_id, on a
live worker (issue 17, item 7). A right-to-left override (U+202E) makes a chat line read as
something else on every screen it reaches, in the admin and in exports; a zero-width space
(U+200B) makes two ids that look alike differ. Names already refused them (the engine's rule,
``clinical.engine.requests``); chat and request_id now do too, naming the character, and store
nothing. Before, both were accepted and stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from devtools.cluster import Daphne
from tests.conftest import DIAGNOSIS_REQUEST
from tests.security.live import create_users, embedded_worker, request, ticket_url

pytestmark = pytest.mark.live

OVERRIDE = "Dose confirmed \u202e01 gm\u202c"  # shows as "Dose confirmed mg 10"
ZERO_WIDTH = "ward7-\u200b0042"


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    with embedded_worker(tmp_path_factory.mktemp("invisible")) as daphne:
        daphne.tokens = create_users(daphne.env, [("typist", "clinician")])
        yield daphne


async def first_answer(url: str, message: dict) -> dict:
    async with connect(url) as socket:
        await socket.send(json.dumps(message))
        return json.loads(await asyncio.wait_for(socket.recv(), 10))


def test_chat_text_with_a_right_to_left_override_is_refused_naming_it(worker):
    token = worker.tokens["typist"]

    error = asyncio.run(
        first_answer(ticket_url(worker, token), {"type": "chat", "data": {"message": OVERRIDE}})
    )

    assert error["code"] == "validation_error", error
    assert "U+202E" in error["details"]["message"][0]
    assert request(worker, "GET", "/api/chat/team/", token)[2] == []


def test_a_request_id_with_a_zero_width_space_is_refused_naming_it(worker):
    token = worker.tokens["typist"]
    message = {"type": "diagnosis", "data": DIAGNOSIS_REQUEST, "request_id": ZERO_WIDTH}

    error = asyncio.run(first_answer(ticket_url(worker, token), message))
    over_rest = request(
        worker,
        "POST",
        "/api/sessions/diagnosis/",
        token,
        DIAGNOSIS_REQUEST | {"request_id": ZERO_WIDTH},
    )

    assert error["code"] == "validation_error", error
    assert "U+200B" in error["details"]["request_id"][0]
    assert over_rest[0] == 400 and "U+200B" in over_rest[2]["details"]["request_id"][0]
    assert request(worker, "GET", "/api/sessions/", token)[2]["count"] == 0
