"""Who may use the review UI: holders of the review permission (reviewers and admins).

Staff status only lets a user into the admin; a clinician who is also staff sees none of it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clinical.streams.access import REVIEW_PERMISSION


def is_reviewer(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.has_perm(REVIEW_PERMISSION))


class ReviewerOnly:
    """A ModelAdmin mixin: reviewers view; nobody adds, changes or deletes."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_reviewer(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_reviewer(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
