"""The ticket page: what it shows, to whom, and in how many queries."""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from helpline.accounts.access import access_for
from helpline.accounts.models import User
from helpline.accounts.tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
)
from helpline.desk.timeline import staff_for_department
from helpline.tickets import services
from helpline.tickets.models import Attachment, EntryKind, Status, StatusCategory
from helpline.tickets.tests.factories import EntryFactory, TicketFactory, status_of

from .ticket_support import HTMX, pdf, site_settings_row, ticket_fixture, url  # noqa: F401


def test_page_shows_header_thread_and_side(client, dispatcher, ticket, requester_a):
    requester_a.phone = "+47 912 34 567"
    requester_a.save()
    services.ticket_reply_add(
        ticket=ticket, actor=dispatcher, body="Which client version?", files=[]
    )
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Probably the 5.2 update.")
    client.force_login(dispatcher)

    response = client.get(url("ticket", ticket.pk))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        f"#{ticket.pk}",
        "VPN drops every hour",
        "alice@acme.test",
        "+47 912 34 567",
        "Acme",
        "via Portal",
        "Since Monday the VPN disconnects",
        "Which client version?",
        "Internal note — not visible to the requester",
        f"{escape(dispatcher.display_name)} changed status New → Open",
    ):
        assert text in html, text
    assert 'class="hl-entry hl-entry-requester"' in html
    assert 'class="hl-entry hl-entry-staff"' in html
    assert 'class="hl-entry hl-entry-note"' in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_thread_is_in_order_with_attachment_links(client, dispatcher, ticket):
    entry = services.ticket_note_add(
        ticket=ticket,
        actor=dispatcher,
        body="Log attached",
        files=[services.attachment_validate(pdf())],
    )
    client.force_login(dispatcher)

    html = client.get(url("ticket", ticket.pk)).content.decode()

    attachment = entry.attachments.get()
    assert url("attachment", attachment.pk) in html
    assert "report.pdf" in html and "application/pdf" in html
    assert html.index("Since Monday the VPN") < html.index("Log attached")


def test_keyboard_shortcuts_are_wired(client, dispatcher, ticket):
    client.force_login(dispatcher)

    html = client.get(url("ticket", ticket.pk)).content.decode()

    assert 'id="reply-body"' in html and 'data-hl-key="r"' in html
    assert 'id="note-body"' in html and 'data-hl-key="n"' in html
    assert 'data-hl-tab-for="reply-body"' in html and 'data-hl-tab-for="note-body"' in html
    assert 'data-hl-key="a"' in html  # Take
    assert 'data-hl-key="u"' in html  # back to the board


def test_htmx_fragment_is_just_that_fragment(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.get(url("ticket", ticket.pk) + "?part=thread", **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith(f'<section id="ticket-{ticket.pk}-thread"')
    assert "<html" not in html and "hx-swap-oob" not in html
    assert "HX-Request" in response["Vary"]


def test_merged_request_says_where_it_went(client, dispatcher, ticket, requester_a, support):
    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN again",
        body="Same",
        channel="portal",
        department=support,
    )
    services.ticket_merge(source=other, target=ticket, actor=dispatcher)
    client.force_login(dispatcher)

    html = client.get(url("ticket", other.pk)).content.decode()

    assert f"This request was merged into #{ticket.pk}" in html
    assert url("ticket", ticket.pk) in html


def test_trash_banner_offers_restore_and_purge_to_supervisors_only(
    client, dispatcher, supervisor, ticket
):
    services.ticket_delete(ticket=ticket, actor=supervisor)

    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert "In the trash" in html and url("restore", ticket.pk) not in html

    client.force_login(supervisor)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert url("restore", ticket.pk) in html and url("purge", ticket.pk) in html
    assert "data-hl-confirm" in html
    assert 'id="reply-body"' not in html


def test_actions_shown_only_with_the_right(client, external, vendor_department, requester_a):
    # The external provider may reply in their department but not assign or transfer.
    ticket = TicketFactory(department=vendor_department, requester=requester_a)
    client.force_login(external)

    html = client.get(url("ticket", ticket.pk)).content.decode()

    assert 'id="reply-body"' in html
    assert url("take", ticket.pk) not in html
    assert url("delete", ticket.pk) not in html
    assert re.search(r'<select name="department"[^>]* disabled', html)
    assert re.search(r'<select name="status"[^>]*>', html).group(0).count("disabled") == 0


def test_responsible_choices_are_the_staff_who_can_see_the_department(
    dispatcher, specialist, billing_agent, supervisor, admin_user, external, support, software
):
    # Given people with and without rights on Software (a sub-department of Support)
    inactive = StaffFactory(is_active=False)
    MembershipFactory(user=inactive, department=support)
    no_view = StaffFactory()
    MembershipFactory(user=no_view, department=software, can_view=False)

    chosen = set(staff_for_department(software))

    # then the list matches the access rules for everyone
    for user in User.objects.all():
        user._helpline_access = None
        expected = user.is_active and access_for(user).can("view", software.pk)
        assert (user in chosen) == expected, user.email
    assert {dispatcher, specialist, supervisor, admin_user} <= chosen


def _thread(ticket, size: int) -> None:
    """`size` more entries: replies, notes and events by turns, a file on every third."""
    staff = StaffFactory()
    MembershipFactory(user=staff, department=ticket.department)
    kinds = [EntryKind.REPLY, EntryKind.NOTE, EntryKind.EVENT]
    new, opened = status_of(StatusCategory.NEW), status_of(StatusCategory.OPEN)
    for n in range(size):
        kind = kinds[n % 3]
        entry = EntryFactory(
            ticket=ticket,
            kind=kind,
            author=ticket.requester if n % 2 else staff,
            field="status" if kind == EntryKind.EVENT else "",
            data={
                "old": {"id": new.pk, "category": "new"},
                "new": {"id": opened.pk, "category": "open"},
            }
            if kind == EntryKind.EVENT
            else {},
        )
        if n % 3 == 0:
            Attachment.objects.create(
                ticket=ticket,
                entry=entry,
                file=f"attachments/{n}.pdf",
                filename=f"file-{n}.pdf",
                content_type="application/pdf",
                size=1000 + n,
            )
    other = TicketFactory(department=ticket.department, requester=ticket.requester)
    ticket.links.add(other)
    ticket.watchers.add(staff)
    services.ticket_tags_set(ticket=ticket, actor=staff, names=["vpn", "windows"])


@pytest.fixture
def private_cache(settings):
    # An in-memory cache of our own: whatever the desk layout caches (the sidebar's counts) is
    # read without a query after the first request, and nothing leaks between tests.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


# Queries of the ticket page for an agent without global rights, once the layout's cache is warm:
#  1 session, 2 user, 3 the ticket with its assignee, requester (+ organisation), organisation
#  and deleted_by, and whether it has watchers, links, tags and requests merged into it (its
#  status, department and topic from the reference data; the request it was merged into, if it
#  was, one more query), 4 entries + authors, 5 their attachments, 6 watchers, 7 linked tickets
#  + status, 8 tags (each of these three only when there are some: `_thread` adds one of each;
#  so would requests merged into it), 9 the requester's other requests + 10 their
#  organisation's open count (the requester panel), 11 mail not delivered (letters and
#  notifications, one union). The site settings, the agent's memberships and the department
#  tree (access_for), the statuses, the departments and the staff who can view the department
#  are reference data, kept per process (helpline.core.reference; the generation token is read
#  from the cache once per request, here a private one).
AGENT_QUERIES = 11
# Without watchers, links, tags or merged requests (most requests): three queries fewer.
ALONE_QUERIES = AGENT_QUERIES - 3
# Supervisors and administrators see everything: the same queries.
SUPERVISOR_QUERIES = AGENT_QUERIES


def test_lists_beside_the_ticket_are_read_only_when_they_have_rows(
    client, django_assert_num_queries, private_cache, dispatcher, supervisor, ticket
):
    client.force_login(dispatcher)
    client.get(url("ticket", ticket.pk))
    with django_assert_num_queries(ALONE_QUERIES):
        response = client.get(url("ticket", ticket.pk))
    html = response.content.decode()
    assert "Nobody is watching this request." in html and "No linked requests." in html

    # Given a request merged into this one, a watcher, a link and tags: one query for each
    other = TicketFactory(department=ticket.department, requester=ticket.requester)
    merged = TicketFactory(department=ticket.department, requester=ticket.requester)
    services.ticket_merge(source=merged, target=ticket, actor=supervisor)
    _thread(ticket, 0)
    ticket.links.add(other)
    client.get(url("ticket", ticket.pk))
    with django_assert_num_queries(AGENT_QUERIES + 1):
        response = client.get(url("ticket", ticket.pk))
    html = response.content.decode()
    assert f"#{merged.pk} was merged into this request" in html
    assert "vpn" in html and f"#{other.pk}" in html


@pytest.mark.parametrize("size", [1, 20])
def test_query_count_is_constant(
    client, django_assert_num_queries, private_cache, dispatcher, ticket, size
):
    _thread(ticket, size - 1)
    assert ticket.entries.count() >= size
    client.force_login(dispatcher)
    client.get(url("ticket", ticket.pk))

    with django_assert_num_queries(AGENT_QUERIES):
        response = client.get(url("ticket", ticket.pk))

    assert response.status_code == 200
    assert response.content.decode().count('id="entry-') == ticket.entries.count()


@pytest.mark.parametrize("size", [1, 20])
def test_query_count_for_a_supervisor(
    client, django_assert_num_queries, private_cache, supervisor, ticket, size
):
    _thread(ticket, size - 1)
    client.force_login(supervisor)
    client.get(url("ticket", ticket.pk))

    with django_assert_num_queries(SUPERVISOR_QUERIES):
        assert client.get(url("ticket", ticket.pk)).status_code == 200


def test_query_count_does_not_grow_with_departments_and_staff(
    client, private_cache, dispatcher, ticket, support
):
    client.force_login(dispatcher)
    client.get(url("ticket", ticket.pk))
    with CaptureQueriesContext(connection) as before:
        client.get(url("ticket", ticket.pk))
    for n in range(5):
        child = DepartmentFactory(parent=support, name=f"Team {n}")
        MembershipFactory(department=child)
    dispatcher._helpline_access = None
    # The first request after the change reads the department tree afresh (reference data).
    client.get(url("ticket", ticket.pk))

    with CaptureQueriesContext(connection) as after:
        client.get(url("ticket", ticket.pk))

    assert len(after) == len(before)


def test_properties_are_read_only_in_the_trash(client, supervisor, ticket):
    services.ticket_delete(ticket=ticket, actor=supervisor)
    client.force_login(supervisor)

    html = client.get(url("ticket", ticket.pk)).content.decode()

    for name in ("status", "priority", "department", "assignee"):
        assert re.search(rf'<select name="{name}"[^>]* disabled', html), name
    assert "Save changes" not in html


def test_a_handover_reason_is_said_once_and_closed_requests_offer_no_take(
    client, dispatcher, ticket, software
):
    services.ticket_escalate(
        ticket=ticket, actor=dispatcher, department=software, reason="Needs the app team"
    )
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    # department, responsible and line changed together: three lines, one reason
    assert html.count("Needs the app team") == 1
    ticket.refresh_from_db()
    services.ticket_update(ticket=ticket, actor=dispatcher, status=status_of("closed"))
    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert (
        'data-hl-key="a"' not in html
        and "-escalate" not in html.split("hl-ticket-actions")[1][:2000]
    )


def _history_of_gone_things(ticket, dispatcher, size: int) -> None:
    """`size` hand-overs naming departments, people and statuses the page does not load
    otherwise: inactive, outside the department, or deleted."""
    start = ticket.entries.count()
    for n in range(start, start + size):
        old_team = DepartmentFactory(name=f"Old team {n}", is_active=False)
        person = StaffFactory(first_name=f"Former{n}")
        old_status = Status.objects.create(
            name=f"Old status {n}", category=StatusCategory.OPEN, is_active=False, order=100 + n
        )
        for field, old, new in [
            ("department", {"id": old_team.pk}, {"id": ticket.department_id}),
            ("assignee", {"id": person.pk}, {"id": 999_000 + n}),
            ("status", {"id": old_status.pk, "category": "open"}, {"id": 999_000 + n}),
        ]:
            EntryFactory(
                ticket=ticket,
                kind=EntryKind.EVENT,
                author=dispatcher,
                field=field,
                data={"old": old, "new": new},
            )


def test_history_names_cost_the_same_for_1_and_20_entries(
    client, private_cache, dispatcher, ticket, support
):
    counts = []
    for size in (1, 19):
        _history_of_gone_things(ticket, dispatcher, size)
        client.force_login(dispatcher)
        client.get(url("ticket", ticket.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("ticket", ticket.pk))
        counts.append(len(queries))
        html = response.content.decode()
        assert "Old team" in html and "Former" in html and "Old status" in html
        assert "(deleted person)" in html and "(deleted status)" in html

    # One more query each for the statuses, departments and people the page had not loaded.
    assert counts[0] == counts[1] == ALONE_QUERIES + 3


def test_authors_the_page_has_not_read_come_in_one_query(client, private_cache, dispatcher, ticket):
    # Entries by people outside the page's own reading (the requester, the staff who can see
    # the department, watchers): a colleague who has left, and a requester copied in.
    former = StaffFactory(first_name="Fiona", last_name="Former", is_active=False)
    copied = UserFactory(first_name="Carl", last_name="Copied")
    EntryFactory(ticket=ticket, kind=EntryKind.REPLY, author=former, body="From Fiona")
    client.force_login(dispatcher)
    client.get(url("ticket", ticket.pk))
    with CaptureQueriesContext(connection) as one:
        client.get(url("ticket", ticket.pk))
    EntryFactory(ticket=ticket, kind=EntryKind.REPLY, author=copied, body="From Carl")
    EntryFactory(ticket=ticket, kind=EntryKind.NOTE, author=former, body="Fiona again")

    with CaptureQueriesContext(connection) as three:
        response = client.get(url("ticket", ticket.pk))

    html = response.content.decode()
    assert "Fiona Former" in html and "Carl Copied" in html
    assert len(three) == len(one) == ALONE_QUERIES + 1


def test_what_people_wrote_is_shown_as_text_in_the_thread(client, dispatcher, ticket):
    # The thread is built in Python (helpline/desk/thread.py): every value is escaped there.
    mallory = UserFactory(first_name="<b>Mallory</b>", last_name="")
    entry = EntryFactory(
        ticket=ticket, kind=EntryKind.REPLY, author=mallory, body="<script>alert(1)</script>"
    )
    Attachment.objects.create(
        ticket=ticket,
        entry=entry,
        file="attachments/x.pdf",
        filename='"><img src=x onerror=alert(2)>.pdf',
        content_type="application/pdf",
        size=2048,
    )
    services.ticket_update(
        ticket=ticket, actor=dispatcher, priority=4, reason="<i>because</i> & so"
    )
    client.force_login(dispatcher)

    html = client.get(url("ticket", ticket.pk)).content.decode()

    assert "<script>alert(1)" not in html and escape("<script>alert(1)</script>") in html
    assert "<b>Mallory" not in html and escape("<b>Mallory</b>") in html
    assert "<img src=x" not in html and escape('"><img src=x onerror=alert(2)>.pdf') in html
    assert "<i>because</i>" not in html and escape("<i>because</i> & so") in html
    assert "2.0\xa0KB · application/pdf" in html
