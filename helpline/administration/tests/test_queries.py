"""Exact query counts of the administrators' pages, with 1 and with 20 rows.

Every page starts with the same four: the session, the signed-in user, the reference
generation and the site settings (context processor; reference data, remembered by a process and
read again on its first request after a change, as in each of these). The rest is named per
page.
"""

import pytest
from django.urls import reverse

from helpline.accounts.tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)
from helpline.audit.tests.factories import EventFactory
from helpline.core.models import SiteSettings
from helpline.tickets.models import Topic
from helpline.tickets.tests.factories import TicketFactory

BASE = 4  # session, user, the reference generation, site settings

pytestmark = pytest.mark.parametrize("rows", [1, 20])


@pytest.fixture(autouse=True)
def _settings_row(db):
    # The settings row is created on first use; an installation has it from then on.
    SiteSettings.current()


def get(client, url, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_department_tree(client, admin_user, rows, django_assert_num_queries):
    parent = None
    for n in range(rows):
        department = DepartmentFactory(parent=parent if n % 3 else None)
        MembershipFactory(department=department)
        parent = department
    client.force_login(admin_user)
    # + departments with their member counts (the tree is ordered in Python)
    response = get(client, reverse("manage:departments"), django_assert_num_queries, BASE + 1)
    assert len(response.context["departments"]) == rows


def test_department_page(client, admin_user, rows, django_assert_num_queries):
    department = DepartmentFactory()
    for _n in range(rows):
        MembershipFactory(department=department)
        DepartmentFactory()
    client.force_login(admin_user)
    # + the department, + the tree for the parent select, + the department again (fresh, for
    # the members panel), + its members with their users, + staff who could join
    get(
        client,
        reverse("manage:department", args=[department.pk]),
        django_assert_num_queries,
        BASE + 5,
    )


def test_staff_list(client, admin_user, rows, django_assert_num_queries):
    for _n in range(rows - 1):  # the administrator is one of the rows
        MembershipFactory(user=StaffFactory())
    client.force_login(admin_user)
    # + COUNT for the pages, + the staff page, + their memberships with departments
    response = get(client, reverse("manage:staff"), django_assert_num_queries, BASE + 3)
    assert len(response.context["people"]) == rows


def test_staff_page(client, admin_user, rows, django_assert_num_queries):
    person = StaffFactory()
    for _n in range(rows):
        MembershipFactory(user=person)
    client.force_login(admin_user)
    # + the person, + their memberships, + the department tree, + their authenticators
    get(client, reverse("manage:staff_edit", args=[person.pk]), django_assert_num_queries, BASE + 4)


def test_event_log(client, admin_user, rows, django_assert_num_queries):
    for _n in range(rows):
        EventFactory(actor=StaffFactory())
    client.force_login(admin_user)
    # + staff for the person filter, + one page of events joined with their actors
    response = get(client, reverse("manage:events"), django_assert_num_queries, BASE + 2)
    # the admin's own sign-in is logged too
    assert len(response.context["result"].events) == rows + 1


def test_event_log_filtered_and_paged(client, admin_user, rows, django_assert_num_queries):
    for _n in range(rows):
        EventFactory(actor=admin_user)
    client.force_login(admin_user)
    first = client.get(reverse("manage:events"), {"actor": admin_user.pk})
    cursor = first.context["result"].events[0]
    from helpline.audit.selectors import event_cursor

    # + staff for the select, + the chosen person (validation), + the page of events; the site
    # settings remembered from the first page (one fewer than BASE)
    get(
        client,
        reverse("manage:events")
        + f"?actor={admin_user.pk}&action=ticket.&older={event_cursor(cursor)}",
        django_assert_num_queries,
        BASE - 1 + 3,
    )


def test_organisations(client, admin_user, rows, django_assert_num_queries):
    for _n in range(rows):
        organisation = OrganisationFactory()
        TicketFactory(requester=UserFactory(organisation=organisation))
    client.force_login(admin_user)
    # + COUNT for the pages, + organisations with member and request counts (subqueries)
    response = get(client, reverse("manage:organisations"), django_assert_num_queries, BASE + 2)
    assert len(response.context["organisations"]) == rows


def test_requesters(client, admin_user, rows, django_assert_num_queries):
    for _n in range(rows):
        TicketFactory(requester=UserFactory(organisation=OrganisationFactory()))
    client.force_login(admin_user)
    # + one keyset page with organisations and request counts (no COUNT of the table)
    response = get(client, reverse("manage:requesters"), django_assert_num_queries, BASE + 1)
    assert len(response.context["result"].requesters) == rows


def test_statuses(client, admin_user, rows, django_assert_num_queries):
    from helpline.tickets.models import Status

    for n in range(rows):
        Status.objects.create(name=f"Extra {n}", category="open")
    client.force_login(admin_user)
    # + statuses marked in use
    get(client, reverse("manage:statuses"), django_assert_num_queries, BASE + 1)


def test_topics(client, admin_user, rows, django_assert_num_queries):
    for n in range(rows):
        Topic.objects.create(name=f"Topic {n}", department=DepartmentFactory())
    client.force_login(admin_user)
    # + topics with their departments
    get(client, reverse("manage:topics"), django_assert_num_queries, BASE + 1)


def test_overview(client, admin_user, rows, django_assert_num_queries):
    for _n in range(rows):
        TicketFactory()
    client.force_login(admin_user)
    # + staff by role, + departments, + requesters, + organisations, + open requests
    get(client, reverse("manage:index"), django_assert_num_queries, BASE + 5)
