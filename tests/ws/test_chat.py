"""Care-team chat: stored, then delivered once to every participant, the sender included."""

from __future__ import annotations

import signal
import time

import pytest

from clinical.models import ChatMessage
from clinical.streams.groups import LAYER_CALL_SECONDS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outsider(make_user):
    return make_user("olga", team="Ward 9")


@pytest.fixture
def loner(make_user):
    return make_user("lone", team=None)


async def test_a_team_message_reaches_everyone_in_the_team_once(open_socket, clinician, colleague):
    mine = await open_socket(clinician)
    theirs = await open_socket(colleague)

    await mine.send({"type": "chat", "data": {"message": "BP on bed 4?"}, "request_id": "m1"})

    for socket in (mine, theirs):
        frame = await socket.receive()
        assert frame["type"] == "chat"
        assert frame["message"]["text"] == "BP on bed 4?"
        assert frame["message"]["author"] == "Alice"
        assert frame["message"]["timestamp"].endswith("Z")
        assert await socket.silent()
    stored = await ChatMessage.objects.aget()
    assert stored.room.startswith("team:") and stored.author_id == clinician.pk


async def test_a_team_message_does_not_reach_another_team(open_socket, outsider, clinician):
    outsider = await open_socket(outsider)
    mine = await open_socket(clinician)

    await mine.send({"type": "chat", "data": {"message": "private"}})

    assert (await mine.receive())["type"] == "chat"
    assert await outsider.silent()


async def test_a_session_message_reaches_the_owner_and_a_reviewer_following_it(
    open_socket, clinician, reviewer, colleague, diagnosis_request
):
    mine = await open_socket(clinician)
    await mine.send({"type": "diagnosis", "data": diagnosis_request})
    session_id = (await mine.until_terminal())[0]["session_id"]
    review = await open_socket(reviewer)
    await review.send({"type": "resume", "data": {"session_id": session_id, "last_seq": 1000}})
    teammate = await open_socket(colleague)

    await review.send(
        {"type": "chat", "data": {"message": "Agree: CURB-65?", "session_id": session_id}}
    )

    for socket in (review, mine):
        frame = await socket.receive()
        assert frame["session_id"] == session_id
        assert frame["message"]["text"] == "Agree: CURB-65?"
    assert await teammate.silent()


async def test_chat_about_someone_elses_session_is_not_found(
    open_socket, clinician, colleague, diagnosis_request
):
    theirs = await open_socket(colleague)
    await theirs.send({"type": "diagnosis", "data": diagnosis_request})
    session_id = (await theirs.until_terminal())[0]["session_id"]
    mine = await open_socket(clinician)

    await mine.send({"type": "chat", "data": {"message": "hi", "session_id": session_id}})

    assert (await mine.receive())["code"] == "not_found"
    assert not await ChatMessage.objects.aexists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"message": ""},
        {"message": "   "},
        {"message": 5},
        {"message": "x" * 2001},
        {"message": "a\x00b"},
        {"message": "hi", "to": "bob"},
        "hi",
    ],
)
async def test_an_invalid_chat_message_is_refused_and_not_stored(open_socket, clinician, data):
    socket = await open_socket(clinician)

    await socket.send({"type": "chat", "data": data})

    assert (await socket.receive())["code"] == "validation_error"
    assert not await ChatMessage.objects.aexists()


async def test_a_user_in_no_team_must_name_a_session(open_socket, loner):
    loner = await open_socket(loner)

    await loner.send({"type": "chat", "data": {"message": "anyone?"}})

    assert (await loner.receive())["details"].keys() == {"session_id"}


@pytest.fixture
def roleless(make_user):
    return make_user("nora", role=None)


async def test_a_user_without_a_role_may_not_chat(open_socket, roleless):
    socket = await open_socket(roleless)

    await socket.send({"type": "chat", "data": {"message": "hello"}})

    assert (await socket.receive())["code"] == "forbidden"
    assert not await ChatMessage.objects.aexists()


async def test_a_message_sent_while_redis_hangs_is_stored_and_the_sender_told_within_seconds(
    open_socket, clinician, redis_server, settings
):
    """Publishing is bounded: a Redis that does not answer holds the sender's socket up for
    ``LAYER_CALL_SECONDS``, not for ever."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_server.url]},
        }
    }
    mine = await open_socket(clinician)

    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        await mine.send({"type": "chat", "data": {"message": "BP on bed 4?"}})
        frame = await mine.receive(seconds=LAYER_CALL_SECONDS + 3)
        answered_in = time.monotonic() - started
    finally:
        redis_server.process.send_signal(signal.SIGCONT)

    assert frame["type"] == "error" and frame["code"] == "unavailable", frame
    assert answered_in < LAYER_CALL_SECONDS + 1
    assert await ChatMessage.objects.filter(text="BP on bed 4?").aexists()
