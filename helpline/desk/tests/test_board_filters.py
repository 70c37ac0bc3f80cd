"""The board's filter bar: typeahead look-ups among what the agent may see, the requester filter,
removable chips, and each row's status, waited time and whose turn it is."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)
from helpline.core import clock
from helpline.core.models import SiteSettings
from helpline.tickets import services
from helpline.tickets.models import EntryKind, StatusCategory, Tag
from helpline.tickets.tests.factories import EntryFactory, TicketFactory

BOARD = reverse("desk:board")


@pytest.fixture
def private_cache(settings):
    # The sidebar's counts in a cache of this test's own, outside the database.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


def lookup(client, kind: str, text: str = "") -> str:
    response = client.get(reverse("desk:lookup", args=[kind]), {"q": text})
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    return response.content.decode()


def rows(html: str) -> int:
    return html.count("<tr data-hl-row")


# --- look-ups -------------------------------------------------------------------------------


def test_organisation_lookup_matches_every_word_typed(client, dispatcher, support, org_a, org_b):
    for org in (org_a, org_b):
        TicketFactory(department=support, requester=UserFactory(organisation=org))
    client.force_login(dispatcher)

    assert "Acme" in lookup(client, "organisation", "acm") and "Globex" not in lookup(
        client, "organisation", "acm"
    )
    assert "Globex" in lookup(client, "organisation", "globex.test")  # by domain too
    assert "Nothing matches." in lookup(client, "organisation", "acme globex")
    found = lookup(client, "organisation")  # nothing typed: the first ones, by name
    assert found.index("Acme") < found.index("Globex")


def test_lookups_answer_ten_at_most(client, supervisor):
    for i in range(15):
        UserFactory(first_name=f"Kim {i:02d}")
    client.force_login(supervisor)
    assert lookup(client, "requester", "kim").count('role="option"') == 10


def test_responsible_lookup_offers_me_and_nobody_first(client, dispatcher, support):
    colleague = StaffFactory(first_name="Mona")
    MembershipFactory(user=colleague, department=support)
    client.force_login(dispatcher)

    found = lookup(client, "responsible")
    assert found.index('data-value="me"') < found.index('data-value="none"')
    assert found.index('data-value="none"') < found.index("Mona")
    assert f'data-value="{dispatcher.pk}"' not in found  # "Me" already is
    assert 'data-value="me"' not in lookup(client, "responsible", "mona")


def test_external_provider_looks_up_only_the_requesters_of_their_work(
    client, external, requester_a, requester_b, vendor_department
):
    TicketFactory(requester=requester_a, department=vendor_department, assignee=external)
    client.force_login(external)
    assert "Alice" in lookup(client, "requester", "ali")
    assert "Bob" not in lookup(client, "requester", "bob")


def test_an_unknown_lookup_is_not_found(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("desk:lookup", args=["password"])).status_code == 404


def test_requesters_and_anonymous_get_no_lookup(client, requester_a):
    url = reverse("desk:lookup", args=["organisation"])
    assert client.get(url).status_code == 302
    client.force_login(requester_a)
    assert client.get(url).status_code == 404


# --- filters and chips ----------------------------------------------------------------------


@pytest.fixture
def two_requesters(support, requester_a, requester_b):
    return (
        TicketFactory(department=support, requester=requester_a, subject="VPN drops"),
        TicketFactory(department=support, requester=requester_b, subject="Printer jams"),
    )


def test_requester_filter_shows_their_requests_with_a_chip(
    client, dispatcher, two_requesters, requester_a
):
    client.force_login(dispatcher)
    html = client.get(BOARD, {"view": "open", "requester": str(requester_a.pk)}).content.decode()

    assert "VPN drops" in html and "Printer jams" not in html
    # The field shows the name, the form carries the id, a chip removes it.
    assert f'name="requester" value="{requester_a.pk}"' in html
    assert 'value="Alice' in html
    assert 'data-hl-chip-clear="requester"' in html
    assert f'href="{BOARD}?view=open" data-hl-chip-clear="requester"' in html


def test_a_chip_link_keeps_the_other_filters(client, dispatcher, two_requesters, org_a):
    client.force_login(dispatcher)
    html = client.get(
        BOARD, {"view": "open", "organisation": str(org_a.pk), "priority": "2", "after": "x"}
    ).content.decode()
    assert f'href="{BOARD}?view=open&amp;priority=2" data-hl-chip-clear="organisation"' in html
    assert (
        f'href="{BOARD}?view=open&amp;organisation={org_a.pk}" data-hl-chip-clear="priority"'
        in html
    )
    assert 'data-hl-chip-clear="*"' in html  # and one to clear them all


def test_filters_apply_without_an_apply_button(client, dispatcher):
    client.force_login(dispatcher)
    html = client.get(BOARD).content.decode()
    assert 'hx-get="/desk/"' in html and "data-hl-autosubmit" in html
    # Only a browser without JavaScript is offered a button to apply them.
    assert re.findall(r"<noscript>.*?</noscript>|>Apply<", html, re.S) == [
        '<noscript><button class="btn btn-sm btn-outline-primary" type="submit">Apply</button>'
        "</noscript>"
    ]


def test_the_list_fragment_carries_the_chips(client, dispatcher, two_requesters, requester_b):
    client.force_login(dispatcher)
    response = client.get(
        BOARD, {"view": "open", "requester": str(requester_b.pk)}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-list"')
    assert 'data-hl-chip-clear="requester"' in html and "Bob" in html
    assert response["HX-Push-Url"] == f"{BOARD}?view=open&requester={requester_b.pk}"


@pytest.mark.parametrize("count", [1, 20])
def test_typeahead_filters_cost_one_query_each_whatever_the_rows(
    client, private_cache, django_assert_num_queries, dispatcher, support, requester_a, count
):
    tag = Tag.objects.create(name="vip")
    for _ in range(count):
        TicketFactory(department=support, requester=requester_a, assignee=dispatcher).tags.add(tag)
    SiteSettings.current()
    client.force_login(dispatcher)
    params = {
        "view": "open",
        "organisation": str(requester_a.organisation_id),
        "requester": str(requester_a.pk),
        "tag": str(tag.pk),
        "responsible": "me",
    }
    # The board's 11 (test_board_pages, saved views included) and the names of the
    # organisation, requester and tag chosen (the responsible person comes from the colleagues
    # already loaded): 14; and who is away (the header's status, reference data): 15.
    with django_assert_num_queries(15):
        html = client.get(BOARD, params).content.decode()
    assert rows(html) == count


# --- what a row says ------------------------------------------------------------------------


def test_pending_and_on_hold_look_different_and_say_so(client, dispatcher, support):
    TicketFactory(department=support, category=StatusCategory.PENDING)
    TicketFactory(department=support, category=StatusCategory.ON_HOLD)
    client.force_login(dispatcher)
    html = client.get(BOARD, {"view": "pending"}).content.decode()
    assert "hl-status-pending" in html and "bi-hourglass-split" in html
    assert "hl-status-on_hold" in html and "bi-pause-circle" in html


def test_requester_replied_marks_the_desks_turn(client, dispatcher, support, requester_a):
    ticket = TicketFactory(
        department=support, requester=requester_a, category=StatusCategory.PENDING
    )
    EntryFactory(ticket=ticket, kind=EntryKind.REPLY, author=dispatcher)
    EntryFactory(ticket=ticket, kind=EntryKind.REPLY, author=requester_a)
    # An internal note after the requester's reply does not answer them.
    EntryFactory(ticket=ticket, kind=EntryKind.NOTE, author=dispatcher)
    client.force_login(dispatcher)

    html = client.get(BOARD, {"view": "open"}).content.decode()
    assert f'id="ticket-row-{ticket.pk}" class="hl-turn"' in html
    assert "Requester replied" in html

    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Fixed it.")
    html = client.get(BOARD, {"view": "open"}).content.decode()
    assert "Requester replied" not in html and "hl-turn" not in html


def test_a_new_request_is_not_marked_as_a_reply(client, dispatcher, support, requester_a):
    ticket = TicketFactory(department=support, requester=requester_a)
    EntryFactory(ticket=ticket, kind=EntryKind.REPLY, author=requester_a)
    client.force_login(dispatcher)
    assert "Requester replied" not in client.get(BOARD).content.decode()


def test_a_row_shows_how_long_the_request_has_waited(client, dispatcher, support):
    now = clock.now()
    TicketFactory(
        department=support,
        last_public_activity_at=now - timedelta(hours=5),
        last_activity_at=now - timedelta(minutes=3),
    )
    client.force_login(dispatcher)
    html = client.get(BOARD).content.decode()
    assert 'title="Waiting since' in html and ">5 h</time>" in html
    assert 'title="Last activity' in html and "3 min</time>" in html


def test_staff_roles_count_as_the_desk(db):
    # The marker compares with the requester role only: every staff role answers for the desk.
    assert Role.REQUESTER not in Role.STAFF


@pytest.mark.parametrize("kind", ["organisation", "requester", "tag", "responsible"])
def test_a_lookup_is_one_query_whatever_it_finds(
    client, private_cache, django_assert_num_queries, supervisor, kind
):
    for i in range(12):
        UserFactory(first_name=f"Ann {i}")
        Tag.objects.create(name=f"ann-{i}")
        StaffFactory(first_name=f"Ann staff {i}")
        OrganisationFactory(name=f"Ann {i} AS")
    SiteSettings.current()
    client.force_login(supervisor)
    # 1 session, 2 user, 3 the site settings (sign-in rules), 4 the matches (a supervisor's
    # access needs no query).
    with django_assert_num_queries(4):
        html = lookup(client, kind, "ann")
    assert html.count('role="option"') == 10
