"""A user's API credentials, revoked together when their password changes or they are deactivated.

API credentials are the user's tokens (django-rest-knox: hashed, expiring) and the one-time
WebSocket tickets minted with them. Both outlived a password change before: whoever held a
token kept the account after its owner changed the password to lock them out. Revocation hangs
on the user model's ``pre_save``, so every door that changes a password or deactivates an
account revokes alike: the portal's and the admin's password change, the admin's user pages, a
management command or shell. A session cookie needs nothing here: Django ends a user's other
sessions itself when the password changes (the session's auth hash), and an inactive user's
cookie authenticates no one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.dispatch import receiver
from knox.models import get_token_model

from clinical.models import WsTicket

# Saves that touch only other fields (the last_login of every sign-in) cannot change these.
_GUARDED_FIELDS = {"password", "is_active"}


def revoke_api_credentials(user: Any) -> None:
    """Delete every API token of ``user`` and every ticket of theirs not yet spent."""
    get_token_model().objects.filter(user=user).delete()
    WsTicket.objects.filter(user=user, used_at__isnull=True).delete()


def _loses_its_credentials(user: Any, update_fields: Any) -> bool:
    """Does this save change the stored password hash, or deactivate the account?

    The hash, not Django's note that ``set_password`` was called, so that a hash written
    directly counts too. A sign-in that re-hashes an unchanged password under a stronger
    hasher (after a Django upgrade) therefore revokes that user's tokens once as well: the
    safe way to be wrong.
    """
    if user.pk is None or (update_fields is not None and not _GUARDED_FIELDS & set(update_fields)):
        return False
    stored = type(user)._default_manager.filter(pk=user.pk).values("password", "is_active").first()
    if stored is None:
        return False
    return stored["password"] != user.password or (stored["is_active"] and not user.is_active)


@receiver(pre_save, sender=get_user_model(), dispatch_uid="clinical.credentials.revoke")
def revoke_on_password_change_or_deactivation(
    sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
) -> None:
    """Revoked before the change is written: should the save then fail, the tokens are gone and
    the password unchanged, the safe way round."""
    if _loses_its_credentials(instance, update_fields):
        revoke_api_credentials(instance)
