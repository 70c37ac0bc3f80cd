"""Reference data kept in memory is dropped everywhere as soon as it changes.

Statuses, departments, rights and staff lists are kept per process (`helpline.core.reference`)
under a generation token in the shared cache. A change through the services renews the token:
the next request, in this process or any other, reads the data afresh.
"""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.accounts import services as accounts
from helpline.accounts.access import access_for
from helpline.accounts.models import User
from helpline.administration import services as administration
from helpline.core import reference
from helpline.tickets import services
from helpline.tickets.models import Channel, Status, StatusCategory


def _ticket(requester, department):
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject="Scanner offline",
        body="The scanner on floor 2 is offline.",
        channel=Channel.PORTAL,
        department=department,
    )


def _fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # a new request's user: nothing memoised on it


def test_a_value_is_read_once_per_generation(db):
    calls = []

    def load():
        calls.append(1)
        return [len(calls)]

    assert reference.remembered("test:value", load) == [1]
    assert reference.remembered("test:value", load) == [1]
    reference.changed()
    assert reference.remembered("test:value", load) == [2]
    assert len(calls) == 2


def test_another_process_changing_the_data_renews_it_here(db):
    calls = []
    reference.remembered("test:value", lambda: calls.append(1) or "old")
    # Another process saved a status: it put a new token in the shared cache.
    cache.set(reference.GENERATION_KEY, "another-process", reference.GENERATION_SECONDS)

    assert reference.remembered("test:value", lambda: calls.append(1) or "new") == "new"


def _assignee_options(html: str) -> str:
    return html.split('id="fields-assignee"')[1].split("</select>")[0]


def test_a_renamed_status_shows_on_the_next_page(
    client, dispatcher, admin_user, requester_a, support
):
    ticket = _ticket(requester_a, support)
    client.force_login(dispatcher)
    assert "Waiting for parts" not in client.get(reverse("desk:ticket", args=[ticket.pk])).text

    status = Status.objects.get(category=StatusCategory.NEW, is_default=True)
    status.name = "Waiting for parts"
    administration.status_save(status=status, actor=admin_user)

    assert "Waiting for parts" in client.get(reverse("desk:ticket", args=[ticket.pk])).text


def test_a_right_taken_away_applies_to_the_next_request(dispatcher, support, admin_user):
    assert access_for(_fresh(dispatcher)).can("view", support.pk)

    accounts.membership_set(user=dispatcher, department=support, rights=None, actor=admin_user)

    assert not access_for(_fresh(dispatcher)).can("view", support.pk)


def test_staff_lists_follow_a_new_member(client, dispatcher, requester_a, billing, admin_user):
    ticket = _ticket(requester_a, billing)
    client.force_login(admin_user)
    page = reverse("desk:ticket", args=[ticket.pk])
    assert (
        "Dana" not in client.get(page).text.split('id="fields-assignee"')[1].split("</select>")[0]
    )

    accounts.membership_set(
        user=dispatcher, department=billing, rights={"can_view": True}, actor=admin_user
    )

    assert dispatcher.display_name in _assignee_options(client.get(page).text)


def test_a_requester_registering_keeps_the_generation(db):
    before = reference.generation()
    accounts.requester_register(email="new.person@example.test", name="New Person")
    reference.forget()
    assert reference.generation() == before


def test_warm_reference_data_costs_no_queries(dispatcher, support):
    access_for(_fresh(dispatcher))
    with CaptureQueriesContext(connection) as queries:
        access_for(_fresh(dispatcher))
    # The user row, and the token from the database cache; no memberships, no department tree.
    assert not any("accounts_departmentmembership" in q["sql"] for q in queries.captured_queries)
    assert not any("accounts_department" in q["sql"] for q in queries.captured_queries)
