"""API tokens move from DRF's authtoken to django-rest-knox: DRF's tokens are dropped.

DRF kept each token's key in plain text in ``authtoken_token``, and the app that owned that
table is no longer installed, so nothing would ever delete it: this migration does, with the
app's migration records, content types and permissions. Existing tokens stop working; API
clients sign in again at ``POST /api/auth/token/`` for a knox token (README, "Upgrading").
"""

from __future__ import annotations

from django.db import migrations


def forget_the_authtoken_app(apps, schema_editor) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="authtoken"
    ).delete()  # its permissions, and their grants, go with them


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0006_audit_append_only"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunSQL(
            [
                "DROP TABLE IF EXISTS authtoken_token",
                "DELETE FROM django_migrations WHERE app = 'authtoken'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunPython(forget_the_authtoken_app, migrations.RunPython.noop),
    ]
