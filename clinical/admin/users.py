"""User accounts in the admin, managed by the admin role without a way to raise itself.

The admin role may add and change users (to give them a role and a care team), but only a
superuser may grant superuser status or permissions one by one, and only a superuser may change
a superuser: otherwise an admin could make itself, or an accomplice, a superuser.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from knox.models import get_token_model

SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")

User = get_user_model()
admin.site.unregister(User)
# API tokens are their owners' alone (POST /api/auth/token/ for a password, the owner lists and
# revokes them): knox's admin would let an admin mint a token for anyone and read it. An admin
# revokes a user's tokens by deactivating the account or setting a new password.
admin.site.unregister(get_token_model())


@admin.register(User)
class RoleSafeUserAdmin(UserAdmin):
    def get_readonly_fields(self, request: Any, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return readonly + SUPERUSER_ONLY_FIELDS

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)
