"""The session list: filters, search, and a page of 100 in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinical.models import Review, StreamSession
from clinical.reviews import record_review
from clinical.streams.start import create_stream
from tests.admin.conftest import SESSIONS

pytestmark = pytest.mark.django_db

# Measured: 9 (session, user, 2 permission lookups, the clinician filter's choices, 2 counts,
# the page itself, the engine-version filter's choices), whatever the number of rows.
MAX_QUERIES_PER_PAGE = 10


def listed(client, query: str = "") -> set[str]:
    response = client.get(f"{SESSIONS}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    return set(re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', html))


@pytest.fixture
def mixed(senior, clinician, make_user, diagnosis_session, prescription_session, diagnosis_request):
    """Alice's reviewed diagnosis and unreviewed prescription, and Bob's running diagnosis."""
    bob = make_user("bob", team=None)
    bob.first_name, bob.last_name = "Robert", "Jones"
    bob.save()
    running = create_stream(bob, "diagnosis", diagnosis_request, None)
    record_review(
        diagnosis_session, senior, verdict="needs_follow_up", comment="CXR", channel="admin"
    )
    return {
        "diagnosis": str(diagnosis_session.pk),
        "prescription": str(prescription_session.pk),
        "running": str(running.pk),
        "bob": bob,
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"diagnosis", "prescription", "running"}),
        ("kind__exact=prescription", {"prescription"}),
        ("status__exact=running", {"running"}),
        ("urgency=urgent", {"diagnosis"}),
        ("review=no", {"prescription", "running"}),
        ("review=yes", {"diagnosis"}),
        ("review=needs_follow_up", {"diagnosis"}),
        ("review=agree", set()),
    ],
)
def test_filters(reviewer_client, mixed, query, expected):
    assert listed(reviewer_client, query) == {mixed[name] for name in expected}


def test_the_clinician_filter(reviewer_client, mixed):
    assert listed(reviewer_client, f"owner__id__exact={mixed['bob'].pk}") == {mixed["running"]}


def test_the_created_date_filter(reviewer_client, mixed):
    StreamSession.objects.filter(pk=mixed["running"]).update(
        created_at=timezone.now() - timedelta(days=40)
    )

    week_ago = urlencode({"created_at__gte": (timezone.now() - timedelta(days=7)).isoformat()})

    assert listed(reviewer_client, week_ago) == {mixed["diagnosis"], mixed["prescription"]}


def test_the_engine_version_filter(reviewer_client, mixed):
    StreamSession.objects.filter(pk=mixed["running"]).update(engine_version="0.9.0+kb.old")

    assert listed(reviewer_client, "engine_version=0.9.0%2Bkb.old") == {mixed["running"]}


@pytest.mark.parametrize(
    "term, expected",
    [
        ("pneumonia", {"diagnosis"}),
        ("I24", {"prescription"}),
        ("alice", {"diagnosis", "prescription"}),
        ("Jones", {"running"}),
    ],
)
def test_search(reviewer_client, mixed, term, expected):
    assert listed(reviewer_client, f"q={term}") == {mixed[name] for name in expected}


def test_search_by_session_id(reviewer_client, mixed):
    assert listed(reviewer_client, f"q={mixed['prescription']}") == {mixed["prescription"]}


def test_each_row_shows_its_review_state(reviewer_client, mixed):
    html = reviewer_client.get(SESSIONS).content.decode()

    assert "Needs follow-up (rose)" in html


def make_sessions(owners, count: int) -> None:
    """``count`` finished sessions spread over ``owners``, every other one reviewed."""
    now = timezone.now()
    sessions = StreamSession.objects.bulk_create(
        StreamSession(
            owner=owners[index % len(owners)],
            kind="diagnosis",
            status="completed",
            request={"history": {"age": 50, "sex": "female"}},
            result={"primary_diagnosis": "Migraine"},
            engine_version="1.0.0+kb.test",
            primary_diagnosis="Migraine",
            icd10="G43.9",
            urgency="routine",
            finished_at=now,
        )
        for index in range(count)
    )
    reviewers = [owner for owner in owners if owner.has_perm("clinical.review_streamsession")]
    Review.objects.bulk_create(
        Review(session=session, reviewer=reviewers[0], verdict="agree") for session in sessions[::2]
    )


def queries_for_a_page(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(SESSIONS).status_code == 200
    return len(captured.captured_queries)


def test_a_page_of_100_sessions_takes_a_fixed_handful_of_queries(
    reviewer_client, senior, make_user, django_assert_max_num_queries
):
    owners = [senior, *(make_user(f"clinician{n}") for n in range(5))]
    make_sessions(owners, 10)
    queries_for_ten = queries_for_a_page(reviewer_client)
    make_sessions(owners, 140)

    with django_assert_max_num_queries(MAX_QUERIES_PER_PAGE):
        response = reviewer_client.get(SESSIONS)

    assert response.content.decode().count('name="_selected_action"') == 100
    assert queries_for_a_page(reviewer_client) == queries_for_ten


def test_a_row_shows_the_diagnosis_with_its_code_and_wraps_only_between_parts(
    reviewer_client, mixed
):
    html = reviewer_client.get(SESSIONS).content.decode()

    assert "Community-acquired pneumonia (J18.9)" in html
    assert '<span class="nowrap">Diagnosis,</span> <span class="nowrap">completed</span>' in html
    assert '<span class="nowrap">Prescription,</span> <span class="nowrap">completed</span>' in html
    assert re.search(r'<span class="nowrap">[0-9a-f]{8}</span> <span class="nowrap">\d{4}-', html)
