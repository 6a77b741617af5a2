"""The upgrade from DRF's authtoken (plain-text keys) to knox: migration 0007 drops DRF's tokens
with their table, migration records, content type and permissions, in a database migrated by
the previous release (the table made here as DRF's own migrations made it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from devtools.cluster import live_environment, manage

DRF_TOKEN_TABLE = """
CREATE TABLE "authtoken_token" (
    "key" varchar(40) NOT NULL PRIMARY KEY,
    "created" datetime NOT NULL,
    "user_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED
)
"""


def test_migrating_drops_drf_tokens_and_every_trace_of_their_app(tmp_path: Path) -> None:
    env = live_environment(tmp_path)
    manage(env, "migrate", "clinical", "0006", "--noinput")
    database = tmp_path / "medstream.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO auth_user (password, is_superuser, username, first_name, "
                           "last_name, email, is_staff, is_active, date_joined) VALUES "
                           "('', 0, 'old', '', '', '', 0, 1, '2026-01-01')")  # fmt: skip
        connection.execute(DRF_TOKEN_TABLE)
        connection.execute("INSERT INTO authtoken_token VALUES ('plain-text-key', '2026-01-01', 1)")
        connection.execute("INSERT INTO django_migrations (app, name, applied) "
                           "VALUES ('authtoken', '0001_initial', '2026-01-01')")  # fmt: skip
        connection.execute("INSERT INTO django_content_type (app_label, model) "
                           "VALUES ('authtoken', 'token')")  # fmt: skip

    manage(env, "migrate", "--noinput")

    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        records = connection.execute(
            "SELECT count(*) FROM django_migrations WHERE app = 'authtoken'"
        ).fetchone()
        types = connection.execute(
            "SELECT count(*) FROM django_content_type WHERE app_label = 'authtoken'"
        ).fetchone()
        dump = "\n".join(connection.iterdump())
    assert "authtoken_token" not in tables and "knox_authtoken" in tables
    assert records == (0,) and types == (0,)
    assert "plain-text-key" not in dump
