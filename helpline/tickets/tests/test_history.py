"""History as data: what the services store, how it reads after renames and deletions, and the
timestamps reports need (first resolution, reopen count, last public activity)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from helpline.accounts.models import SupportLine
from helpline.accounts.tests.factories import DepartmentFactory, MembershipFactory, StaffFactory
from helpline.audit.models import Event
from helpline.core.models import SiteSettings
from helpline.desk.timeline import ticket_page
from helpline.portal.selectors import public_thread, requester_requests
from helpline.tickets import services
from helpline.tickets.history import change_data, stored
from helpline.tickets.models import (
    Channel,
    EntryKind,
    Priority,
    Status,
    StatusCategory,
    Ticket,
    TicketClass,
)
from helpline.tickets.services._common import default_status


@pytest.fixture(autouse=True)
def site_settings_row(db):
    SiteSettings.current()


@pytest.fixture
def ticket(requester_a, support):
    return services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN drops every hour",
        body="Since Monday the VPN disconnects.",
        channel=Channel.PORTAL,
        department=support,
    )


def events(ticket, field=None):
    qs = ticket.entries.filter(kind=EntryKind.EVENT).order_by("id")
    if field:
        qs = qs.filter(field=field)
    return [(e.field, e.data) for e in qs]


def status(category):
    return default_status(category)


def ref_status(s):
    return {"id": s.pk, "category": s.category}


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def timeline_text(user, ticket) -> list[str]:
    page = ticket_page(user, ticket.pk)
    return [str(e.line.text) for e in page.entries if e.kind == EntryKind.EVENT]


# --- what the services store -----------------------------------------------------------------


def test_field_changes_are_stored_as_ids_codes_and_numbers(
    ticket, dispatcher, specialist, support, software
):
    new = ticket.status
    opened = status(StatusCategory.OPEN)

    services.ticket_update(
        ticket=ticket,
        actor=dispatcher,
        reason="Needs a specialist",
        status=opened,
        ticket_class=TicketClass.CHANGE_REQUEST,
        priority=Priority.CRITICAL,
        department=software,
        assignee=specialist,
        line=SupportLine.SECOND,
    )

    assert dict(events(ticket)) == {
        "department": {"old": {"id": support.pk}, "new": {"id": software.pk}},
        "assignee": {"old": None, "new": {"id": specialist.pk}},
        "line": {"old": 1, "new": 2},
        "ticket_class": {"old": "incident", "new": "change_request"},
        "priority": {"old": 2, "new": 4},
        "status": {"old": ref_status(new), "new": ref_status(opened)},
    }


def test_tags_links_merge_and_trash_are_stored_as_data(
    ticket, dispatcher, supervisor, requester_a, support
):
    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Also the mail",
        body="Mail too.",
        channel=Channel.PORTAL,
        department=support,
    )
    third = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer",
        body="Printer.",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_tags_set(ticket=ticket, actor=dispatcher, names=["VPN", "mail"])
    services.ticket_link(ticket=ticket, other=third, actor=dispatcher)
    services.ticket_unlink(ticket=ticket, other=third, actor=dispatcher)
    services.ticket_delete(ticket=third, actor=supervisor)
    services.ticket_restore(ticket=third, actor=supervisor)
    services.ticket_merge(source=other, target=ticket, actor=dispatcher)

    assert events(ticket) == [
        ("tags", {"old": [], "new": ["mail", "vpn"]}),
        ("link", {"old": None, "new": {"id": third.pk}}),
        ("link", {"old": {"id": third.pk}, "new": None}),
        ("merged", {"old": {"id": other.pk}, "new": {"id": ticket.pk}}),
    ]
    assert events(third) == [
        ("link", {"old": None, "new": {"id": ticket.pk}}),
        ("link", {"old": {"id": ticket.pk}, "new": None}),
        ("deleted", {"old": False, "new": True}),
        ("deleted", {"old": True, "new": False}),
    ]
    closed = status(StatusCategory.CLOSED)
    assert events(other)[-1] == (
        "status",
        {"old": ref_status(status(StatusCategory.NEW)), "new": ref_status(closed)},
    )


def test_the_desk_marks_its_own_entries(dispatcher, support):
    ticket = services.ticket_create(
        actor=dispatcher,
        requester=StaffFactory(),
        subject="x",
        body="y",
        channel=Channel.PHONE,
        department=support,
    )
    services.ticket_update(ticket=ticket, actor=dispatcher, status=status(StatusCategory.RESOLVED))
    SiteSettings.objects.update(auto_close_days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert services.tickets_auto_close() == 1

    by_dana, by_desk = ticket.entries.filter(field="status").order_by("id")
    assert "system" not in by_dana.data and by_desk.data["system"] is True


def test_display_text_is_refused_where_an_object_is_expected():
    with pytest.raises(TypeError):
        change_data("department", "Support", "Billing")
    assert stored("line", SupportLine.THIRD) == 3


def test_the_event_log_carries_ids_and_a_readable_snapshot(ticket, dispatcher, software):
    services.ticket_update(
        ticket=ticket,
        actor=dispatcher,
        department=software,
        priority=Priority.HIGH,
        status=status(StatusCategory.OPEN),
    )
    event = Event.objects.get(action="ticket.updated", object_id=str(ticket.pk))
    opened = status(StatusCategory.OPEN)

    assert event.changes["department"][1] == {"id": software.pk, "name": "Software"}
    assert event.changes["priority"] == [
        {"value": 2, "name": "Normal"},
        {"value": 3, "name": "High"},
    ]
    assert event.changes["status"][1] == {"id": opened.pk, "category": "open", "name": "Open"}


def test_the_event_log_page_shows_the_names(client, admin_user, ticket, dispatcher, software):
    services.ticket_update(ticket=ticket, actor=dispatcher, department=software)
    software.name = "Renamed later"
    software.save()
    client.force_login(admin_user)

    html = client.get(reverse("manage:events") + "?action=ticket.updated").content.decode()

    # The log keeps the name it was written with, not ids or a dict.
    assert ">Software</ins>" in html and "Renamed later" not in html
    assert "&#x27;id&#x27;" not in html and "id: " not in html


# --- names at display time ---------------------------------------------------------------------


def test_renamed_things_read_with_their_current_name(
    ticket, dispatcher, specialist, support, software
):
    # Given a hand-over and a status change in the history
    services.ticket_update(
        ticket=ticket,
        actor=dispatcher,
        department=software,
        assignee=specialist,
        status=status(StatusCategory.OPEN),
    )
    before = timeline_text(dispatcher, ticket)
    # when the department, the person and the status are renamed
    software.name = "Applications"
    software.save()
    specialist.first_name = "Samantha"
    specialist.save()
    custom = status(StatusCategory.OPEN)
    custom.name = "Being worked on"
    custom.save()
    after = timeline_text(dispatcher, ticket)

    # then the same entries read with the new names (history is data; names are looked up now)
    dana, samantha = dispatcher.display_name, specialist.display_name
    assert f"{dana} handed the request over from Support to Software" in before
    assert f"{dana} handed the request over from Support to Applications" in after
    assert f"{dana} made {samantha} responsible" in after and samantha.startswith("Samantha ")
    assert f"{dana} changed status New → Being worked on" in after
    assert len(after) == len(before)


def test_deleted_department_and_person_read_neutrally(ticket, dispatcher, support):
    team = DepartmentFactory(name="Short-lived team", parent=support)
    temp = StaffFactory(first_name="Temp", last_name="Worker")
    MembershipFactory(user=temp, department=team)
    services.ticket_update(ticket=ticket, actor=dispatcher, department=team, assignee=temp)
    services.ticket_update(ticket=ticket, actor=dispatcher, department=support)
    ticket.assignee = None
    ticket.save()
    team.memberships.all().delete()
    team.delete()
    temp.delete()

    lines = timeline_text(dispatcher, ticket)
    with translation.override("nb"):
        lines_nb = timeline_text(dispatcher, ticket)
        gone_nb = translation.gettext("(deleted department)")

    dana = dispatcher.display_name
    assert f"{dana} handed the request over from Support to (deleted department)" in lines
    assert f"{dana} made (deleted person) responsible" in lines
    assert "Temp" not in " ".join(lines)
    assert any(gone_nb in line and "Support" in line for line in lines_nb)


def test_status_name_history_reads_in_the_readers_language(ticket, dispatcher):
    services.ticket_update(ticket=ticket, actor=dispatcher, status=status(StatusCategory.RESOLVED))
    with translation.override("nb"):
        lines = timeline_text(dispatcher, ticket)
    assert any("endret status Ny → Løst" in line for line in lines)


# --- what a requester sees -----------------------------------------------------------------------


def test_the_portal_decides_by_category_not_by_name(ticket, dispatcher):
    # Given statuses whose names say the opposite of their category
    misleading = Status.objects.create(name="Done", category=StatusCategory.ON_HOLD, order=90)
    fake_open = Status.objects.create(name="Open!", category=StatusCategory.RESOLVED, order=91)
    # when staff move the request through them, with a staff-only hop from new to open
    services.ticket_update(ticket=ticket, actor=dispatcher, status=status(StatusCategory.OPEN))
    services.ticket_update(ticket=ticket, actor=dispatcher, status=misleading)
    services.ticket_update(ticket=ticket, actor=dispatcher, status=fake_open)
    # and the names are changed again afterwards
    misleading.name = "Renamed"
    misleading.save()

    with translation.override("en"):
        lines = [
            (i.status_label, i.status_css) for i in public_thread(ticket) if i.kind == "status"
        ]

    # then the requester sees one line per category change they can tell apart, never "Done"
    assert [css for _label, css in lines] == ["progress", "resolved"]
    assert [str(label) for label, _css in lines] == ["In progress", "Solved — please confirm"]


def test_the_portal_status_lines_read_in_norwegian(ticket, dispatcher):
    services.ticket_update(ticket=ticket, actor=dispatcher, status=status(StatusCategory.RESOLVED))
    with translation.override("nb"):
        labels = [str(i.status_label) for i in public_thread(ticket) if i.kind == "status"]
        expected = translation.gettext("Solved — please confirm")
    assert labels == [expected] and expected != "Solved — please confirm"


# --- timestamps -------------------------------------------------------------------------------


def test_a_reopen_keeps_the_first_resolution_and_counts(ticket, dispatcher, requester_a):
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=1)):
        services.ticket_update(
            ticket=ticket, actor=dispatcher, status=status(StatusCategory.RESOLVED)
        )
    first = fresh(ticket).resolved_at
    with time_machine.travel(start + timedelta(hours=2)):
        services.ticket_reopen(ticket=fresh(ticket), actor=requester_a, reason="Still broken")
    reopened = fresh(ticket)
    assert reopened.first_resolved_at == first and reopened.resolved_at is None
    assert reopened.reopen_count == 1
    with time_machine.travel(start + timedelta(hours=3)):
        services.ticket_update(
            ticket=reopened, actor=dispatcher, status=status(StatusCategory.RESOLVED)
        )
    with time_machine.travel(start + timedelta(hours=4)):
        services.ticket_reply_add(ticket=fresh(ticket), actor=requester_a, body="No, still not")

    again = fresh(ticket)
    assert again.first_resolved_at == first
    assert again.reopen_count == 2
    assert again.resolved_at is None


def test_auto_close_counts_from_the_latest_resolution(ticket, dispatcher, requester_a):
    SiteSettings.objects.update(auto_close_days=7)
    start = timezone.now()
    services.ticket_update(ticket=ticket, actor=dispatcher, status=status(StatusCategory.RESOLVED))
    with time_machine.travel(start + timedelta(days=5)):
        services.ticket_reopen(ticket=fresh(ticket), actor=requester_a, reason="Not yet")
        services.ticket_update(
            ticket=fresh(ticket), actor=dispatcher, status=status(StatusCategory.RESOLVED)
        )
    with time_machine.travel(start + timedelta(days=8)):
        assert services.tickets_auto_close() == 0
    with time_machine.travel(start + timedelta(days=13)):
        assert services.tickets_auto_close() == 1
    closed = fresh(ticket)
    assert closed.first_resolved_at < closed.resolved_at < closed.closed_at
    assert closed.reopen_count == 1


def test_only_what_the_requester_sees_moves_the_last_update(
    ticket, dispatcher, supervisor, requester_a, support
):
    start = timezone.now()
    created = fresh(ticket).last_public_activity_at
    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Other",
        body="Other.",
        channel=Channel.PORTAL,
        department=support,
    )
    # Internal work: a note, tags, a link, watching, a staff-only status hop (new → open),
    # a priority change, and the trash.
    with time_machine.travel(start + timedelta(hours=1)):
        services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Internal")
        services.ticket_tags_set(ticket=ticket, actor=dispatcher, names=["vpn"])
        services.ticket_link(ticket=ticket, other=other, actor=dispatcher)
        services.ticket_watch(ticket=ticket, actor=dispatcher, watch=True)
        services.ticket_update(ticket=ticket, actor=dispatcher, status=status(StatusCategory.OPEN))
        services.ticket_update(ticket=fresh(ticket), actor=dispatcher, priority=Priority.HIGH)
        services.ticket_delete(ticket=fresh(ticket), actor=supervisor)
        services.ticket_restore(ticket=fresh(ticket), actor=supervisor)
    internal = fresh(ticket)
    assert internal.last_public_activity_at == created
    assert internal.last_activity_at > created

    with time_machine.travel(start + timedelta(hours=2)):
        services.ticket_reply_add(ticket=internal, actor=dispatcher, body="Try this")
    replied = fresh(ticket).last_public_activity_at
    assert replied > created

    with time_machine.travel(start + timedelta(hours=3)):
        services.ticket_update(
            ticket=fresh(ticket), actor=dispatcher, status=status(StatusCategory.PENDING)
        )
    assert fresh(ticket).last_public_activity_at > replied


def test_the_portal_list_sorts_by_the_last_update(ticket, dispatcher, requester_a, support):
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=1)):
        newer = services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Newer",
            body="Newer.",
            channel=Channel.PORTAL,
            department=support,
        )
    # An internal note on the older request does not bring it to the top ...
    with time_machine.travel(start + timedelta(minutes=2)):
        services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Internal")
    assert [t.pk for t in requester_requests(requester_a, tab="open", cursor=None).rows] == [
        newer.pk,
        ticket.pk,
    ]
    # ... a public reply does.
    with time_machine.travel(start + timedelta(minutes=3)):
        services.ticket_reply_add(ticket=fresh(ticket), actor=dispatcher, body="Hello")
    assert [t.pk for t in requester_requests(requester_a, tab="open", cursor=None).rows] == [
        ticket.pk,
        newer.pk,
    ]
