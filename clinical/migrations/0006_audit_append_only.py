"""The audit log is append-only in the database too (PostgreSQL only).

``AuditEntry.save`` and ``delete`` refuse changes and the admin offers none, but a queryset's
``update()`` or ``delete()``, a management shell or a stray SQL statement would pass them by. On
PostgreSQL a trigger refuses every UPDATE, DELETE and TRUNCATE of the table, except the one
UPDATE the schema itself makes: ``ON DELETE SET NULL`` of the entry's session or actor, which
changes nothing but that reference to NULL (``session_ref`` and ``actor_name`` keep them).

SQLite (the embedded default, and the test database) gets no trigger: Django's test runner
empties tables between tests with DELETE, which such a trigger would refuse.
"""

from __future__ import annotations

from django.db import migrations

INSTALL = [
    """
CREATE OR REPLACE FUNCTION clinical_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (to_jsonb(NEW) - 'session_id' - 'actor_id') = (to_jsonb(OLD) - 'session_id' - 'actor_id')
           AND (NEW.session_id IS NULL OR NEW.session_id = OLD.session_id)
           AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql
""",
    "CREATE TRIGGER clinical_audit_append_only BEFORE UPDATE OR DELETE ON clinical_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION clinical_audit_append_only()",
    "CREATE TRIGGER clinical_audit_no_truncate BEFORE TRUNCATE ON clinical_auditentry "
    "FOR EACH STATEMENT EXECUTE FUNCTION clinical_audit_append_only()",
]
REMOVE = [
    "DROP TRIGGER IF EXISTS clinical_audit_no_truncate ON clinical_auditentry",
    "DROP TRIGGER IF EXISTS clinical_audit_append_only ON clinical_auditentry",
    "DROP FUNCTION IF EXISTS clinical_audit_append_only()",
]


def _run(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor) -> None:
    _run(schema_editor, INSTALL)


def remove(apps, schema_editor) -> None:
    _run(schema_editor, REMOVE)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0005_stored_frames_encoded_once")]

    operations = [migrations.RunPython(install, remove)]
