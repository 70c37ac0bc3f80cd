"""Query counts of the teamwork pages (the presence poll's is in test_presence)."""

import uuid

import pytest
from django.urls import reverse

from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.teamwork.models import AssignmentMode, AssignmentRule, Availability
from helpline.teamwork.services import staff_status_set


@pytest.fixture
def locmem_cache(settings):
    # A private in-memory cache, so the database cache's own queries do not blur the count.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


@pytest.mark.parametrize("colleagues", [1, 20])
def test_status_page_queries(
    client, dispatcher, support, colleagues, locmem_cache, django_assert_num_queries
):
    for n in range(colleagues):
        other = StaffFactory(email=f"c{n}@desk.test")
        MembershipFactory(user=other, department=support)
        staff_status_set(actor=other, state=Availability.AWAY)
    client.force_login(dispatcher)
    client.get(reverse("teamwork:status"))  # warm: reference data, sidebar counts
    # session, user, the reference generation (the site settings are reference data), one's own
    # status row; the sidebar (counts, saved views) and who is away come from the cache and the
    # reference data, however many colleagues
    with django_assert_num_queries(3):
        assert client.get(reverse("teamwork:status")).status_code == 200


@pytest.mark.parametrize("members", [1, 20])
def test_assignment_page_queries(client, admin_user, support, members, django_assert_num_queries):
    for n in range(members):
        MembershipFactory(user=StaffFactory(email=f"m{n}@desk.test"), department=support)
    AssignmentRule.objects.create(department=support, mode=AssignmentMode.LEAST_LOADED)
    client.force_login(admin_user)
    # session, user, the reference generation, site settings (reference data: read on a
    # process's first request after a change, as here), the department, its rule
    with django_assert_num_queries(6):
        response = client.get(reverse("teamwork:assignment", args=[support.pk]))
    assert 'value="least_loaded" checked' in response.content.decode()
