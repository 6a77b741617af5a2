"""The admin role manages users without being able to make anyone a superuser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def change_url(user: Any) -> str:
    return f"/admin/auth/user/{user.pk}/change/"


@pytest.fixture
def admin_role(staff: Any) -> Any:
    return staff("ada", "admin")


@pytest.fixture
def admin_client(admin_role: Any) -> Client:
    client = Client()
    client.force_login(admin_role)
    return client


def change_form(user: Any, **changes: Any) -> dict[str, Any]:
    """The change form's fields as the page posts them, with ``changes``."""
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "groups": [group.pk for group in user.groups.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    return form | changes


def test_the_admin_role_is_not_offered_superuser_status_or_single_permissions(
    admin_client, admin_role
):
    html = admin_client.get(change_url(admin_role)).content.decode()

    assert 'name="groups"' in html
    assert 'name="is_superuser"' not in html and 'name="user_permissions"' not in html


def test_posting_superuser_status_anyway_changes_nothing(admin_client, admin_role):
    form = change_form(admin_role, first_name="Ada L", is_superuser="on")

    response = admin_client.post(change_url(admin_role), form)

    assert response.status_code == 302, response.content.decode()[-2000:]
    admin_role.refresh_from_db()
    assert admin_role.first_name == "Ada L"
    assert not admin_role.is_superuser
    assert not admin_role.user_permissions.exists()


def test_the_admin_role_cannot_change_a_superuser(admin_client):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 20)

    # Shown read-only (the role may view users), and a change is refused.
    page = admin_client.get(change_url(root))
    assert page.status_code == 200 and 'name="is_staff"' not in page.content.decode()
    assert admin_client.post(change_url(root), change_form(root, is_staff="")).status_code == 403
    root.refresh_from_db()
    assert root.is_staff and root.is_superuser


def test_a_superuser_still_grants_superuser_status(admin_role):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "x" * 20))

    html = client.get(change_url(admin_role)).content.decode()

    assert 'name="is_superuser"' in html
