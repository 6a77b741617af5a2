"""Every portal page needs a signed-in user; a visitor is sent to the login page and back."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", f"/sessions/{uuid.uuid4()}/"])
def test_a_signed_out_visit_redirects_to_the_login_page(path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_the_portal_only_answers_get(browser_as, clinician):
    response = browser_as(clinician).post("/")

    assert response.status_code == 405


def test_an_unknown_portal_path_is_not_found(browser_as, clinician):
    assert browser_as(clinician).get("/sessions/not-a-uuid/").status_code == 404
