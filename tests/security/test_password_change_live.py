"""Guessing the old password at the password-change forms, on a live worker (issue 17, item 5).

Whoever holds a stolen session cookie can ask the portal's ``/accounts/password_change/`` or the
admin's to check old passwords: 25 wrong ones were answered, then the right one accepted, and the
cookie had become the password. Both forms now spend the sign-in forms' ``LOGIN_RATE`` budget
(per client address, one budget over every door that takes a password): the sign-in itself
spends one, the next 19 guesses are answered, the rest, and then the right old password, are
refused with 429 unchecked, and the password stays what it was (the owner's API token, which a
change would revoke, still works)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.cluster import LIVE_PASSWORD, Daphne, live_environment, manage, prepare_database
from tests.security.live import FormSession, create_users, request

pytestmark = pytest.mark.live

LOGIN_LIMIT = 20  # LOGIN_RATE's default, 20/minute
GUESSES = 25
NEW_PASSWORD = "taken over by whoever stole the cookie 3"
DOORS = {
    "portal": ("demo", "/accounts/login/", "/accounts/password_change/"),
    "admin": ("reviewer", "/admin/login/", "/admin/password_change/"),
}


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = live_environment(tmp_path_factory.mktemp("password-change"), LOGIN_RATE="20/minute")
    prepare_database(env)
    manage(env, "collectstatic", "--noinput")
    return env


@pytest.fixture
def worker(environment: dict[str, str]) -> Iterator[Daphne]:
    """A fresh worker for each door: the embedded default counts LOGIN_RATE in its memory."""
    daphne = Daphne(environment).start()
    yield daphne
    daphne.stop()


@pytest.mark.parametrize("door", DOORS)
def test_guessing_the_old_password_runs_out_of_the_login_budget_and_the_right_one_is_refused(
    door, worker, environment
):
    username, sign_in_path, change_path = DOORS[door]
    token = create_users(environment, [(username, None)])[username]
    thief = FormSession(worker)
    thief.sign_in(username, LIVE_PASSWORD, sign_in_path)

    def change(old: str) -> tuple[int, str]:
        fields = {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        return thief.submit(change_path, fields)

    statuses = [change(f"guess {n}")[0] for n in range(GUESSES)]
    status, page = change(LIVE_PASSWORD)

    assert statuses == [200] * (LOGIN_LIMIT - 1) + [429] * (GUESSES - LOGIN_LIMIT + 1)
    assert status == 429 and "Too many password attempts" in page
    assert request(worker, "GET", "/api/sessions/", token)[0] == 200  # the password is unchanged
