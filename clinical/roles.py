"""The three roles as groups with their permissions (README, "Architecture")."""

from __future__ import annotations

from typing import Any

# Starting a stream (a diagnosis, a prescription, reading a note for one) is adding a session:
# the one permission every door that starts one checks (socket, REST, note preview).
START_STREAMS = "clinical.add_streamsession"

CLINICIAN = [
    START_STREAMS,
    "clinical.view_streamsession",
    "clinical.add_chatmessage",
]
REVIEWER = [
    *CLINICIAN,
    "clinical.review_streamsession",
    "clinical.view_chatmessage",
    "clinical.view_streamevent",
]
ADMIN = [
    *REVIEWER,
    "clinical.add_careteam",
    "clinical.change_careteam",
    "clinical.view_careteam",
    "auth.add_user",
    "auth.change_user",
    "auth.view_user",
]
ROLES = {"clinician": CLINICIAN, "reviewer": REVIEWER, "admin": ADMIN}


def ensure_roles(group_model: Any, permission_model: Any) -> None:
    """Create the groups and give them their permissions; safe to run again.

    Takes the models as arguments so a migration can pass its historical ones.
    """
    for role, names in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
