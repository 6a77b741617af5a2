"""Create the demo clinician and reviewer that ``make run`` prints, once; print their login."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from clinical.models import CareTeam

DEMO_USERS = {
    "demo": {"role": "clinician", "first_name": "Demo", "last_name": "Clinician", "staff": False},
    "reviewer": {
        "role": "reviewer",
        "first_name": "Senior",
        "last_name": "Reviewer",
        "staff": True,
    },
}


def demo_password() -> str:
    """``DEMO_PASSWORD``, else a password generated once and kept in ``var/demo_password``."""
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    path = Path(settings.VAR_DIR) / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(12))
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create (or reset the password of) the demo clinician and reviewer."

    def handle(self, *args, **options) -> None:
        password = demo_password()
        team, _ = CareTeam.objects.get_or_create(name="Demo clinic")
        for username, spec in DEMO_USERS.items():
            user, _ = get_user_model().objects.get_or_create(
                username=username,
                defaults={"first_name": spec["first_name"], "last_name": spec["last_name"]},
            )
            user.is_staff = spec["staff"]
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=spec["role"]))
            team.members.add(user)
            self.stdout.write(f"{spec['role']:>9}: username {username!r} password {password!r}")
