"""Time entries and the timer: totals, history, the event log, who may change what, the panel."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.desk.timeline import event_line
from helpline.tickets.models import Entry, EntryKind
from helpline.tickets.tests.factories import TicketFactory
from helpline.timelog import services
from helpline.timelog.forms import parse_duration
from helpline.timelog.models import ActivityType, RunningTimer, TimeEntry
from helpline.timelog.selectors import ticket_minutes_total, ticket_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(support, requester_a):
    return TicketFactory(department=support, requester=requester_a)


@pytest.fixture
def support_supervisor(support):
    user = StaffFactory(email="sam@desk.test", first_name="Sam", role=Role.SUPERVISOR)
    MembershipFactory(user=user, department=support)
    return user


def test_logged_time_adds_up_and_is_in_history_and_event_log(ticket, dispatcher):
    # Given an activity type that is billable by default
    support_call = ActivityType.objects.create(name="Phone call", billable_default=True)
    # When Dana logs two entries
    first = services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=30)
    services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=45, activity=support_call)
    # Then the request's total is their sum and the billable part the call
    time = ticket_time(dispatcher, ticket)
    assert (time.total, time.billable, time.total_text) == (75, 45, "1:15")
    history = Entry.objects.filter(ticket=ticket, kind=EntryKind.EVENT, field="time")
    assert [h.data for h in history.order_by("id")][0] == {
        "old": None,
        "new": {"id": first.pk, "minutes": 30},
    }
    line = event_line(history.first(), ticket)
    assert "logged 0:30 h of work" in str(line.text)
    assert Event.objects.filter(action="time_entry.created", object_id=str(first.pk)).exists()


def test_minutes_are_checked(ticket, dispatcher):
    with pytest.raises(ValidationFailed):
        services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=0)
    with pytest.raises(ValidationFailed):
        services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=25 * 60)


def test_only_people_who_can_open_the_request_log_time(ticket, billing_agent):
    with pytest.raises(PermissionDenied):
        services.time_entry_add(ticket=ticket, actor=billing_agent, minutes=10)


def test_only_the_author_or_a_supervisor_of_the_department_changes_an_entry(
    ticket, dispatcher, support, supervisor, admin_user, support_supervisor
):
    colleague = StaffFactory(email="colin@desk.test", first_name="Colin")
    MembershipFactory(user=colleague, department=support)
    entry = services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=20)
    # A colleague in the same department and a supervisor of other departments may not.
    for outsider in (colleague, supervisor):
        with pytest.raises(PermissionDenied):
            services.time_entry_change(entry=entry, actor=outsider, minutes=5)
        with pytest.raises(PermissionDenied):
            services.time_entry_delete(entry=entry, actor=outsider)
    # The author, Support's supervisor and an administrator may.
    services.time_entry_change(entry=entry, actor=dispatcher, minutes=25)
    services.time_entry_change(entry=entry, actor=support_supervisor, minutes=35)
    services.time_entry_change(entry=entry, actor=admin_user, comment="checked")
    entry.refresh_from_db()
    assert (entry.minutes, entry.comment) == (35, "checked")
    changes = Entry.objects.filter(ticket=ticket, field="time").order_by("id")
    assert [c.data["new"]["minutes"] for c in changes] == [20, 25, 35, 35]
    services.time_entry_delete(entry=entry, actor=support_supervisor)
    assert not TimeEntry.objects.exists()
    last = Entry.objects.filter(ticket=ticket, field="time").latest("id")
    assert last.data == {"old": {"id": entry.pk, "minutes": 35}, "new": None}
    assert "removed 0:35 h" in str(event_line(last, ticket).text)
    assert Event.objects.filter(action="time_entry.deleted").count() == 1


def test_the_timer_survives_reloads_and_logs_what_it_ran(client, ticket, dispatcher):
    client.force_login(dispatcher)
    start = timezone.now()
    panel = reverse("timelog:ticket_time", args=[ticket.pk])
    with time_machine.travel(start, tick=False):
        response = client.post(
            reverse("timelog:timer_start", args=[ticket.pk]), headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        assert b"data-hl-timer-stop" in response.content
    # A reload (a fresh panel, a new request) still shows the running timer.
    with time_machine.travel(start + datetime.timedelta(minutes=20), tick=False):
        again = client.get(panel, headers={"HX-Request": "true"})
        assert b"data-hl-timer-since" in again.content
        assert RunningTimer.objects.filter(ticket=ticket, author=dispatcher).count() == 1
        # Starting again changes nothing.
        services.timer_start(ticket=ticket, actor=dispatcher)
        assert RunningTimer.objects.count() == 1
    with time_machine.travel(start + datetime.timedelta(minutes=42, seconds=10), tick=False):
        stopped = client.post(
            reverse("timelog:timer_stop", args=[ticket.pk]),
            {"comment": "Printer driver"},
            headers={"HX-Request": "true"},
        )
    assert stopped.status_code == 200
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.comment, entry.author) == (43, "Printer driver", dispatcher)
    assert not RunningTimer.objects.exists()
    assert b"0:43" in stopped.content
    assert Event.objects.filter(action="time_timer.started").count() == 1
    assert Event.objects.filter(action="time_timer.stopped").count() == 1


def test_stopping_without_a_timer_is_refused(ticket, dispatcher):
    with pytest.raises(ValidationFailed):
        services.timer_stop(ticket=ticket, actor=dispatcher)


def test_manual_entry_through_the_panel(client, ticket, dispatcher):
    client.force_login(dispatcher)
    response = client.post(
        reverse("timelog:entry_add", args=[ticket.pk]),
        {"duration": "1:30", "date": timezone.localdate().isoformat(), "comment": "On site"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert TimeEntry.objects.get().minutes == 90
    bad = client.post(
        reverse("timelog:entry_add", args=[ticket.pk]),
        {"duration": "soon", "date": timezone.localdate().isoformat()},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422
    assert TimeEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90", 90),
        ("90m", 90),
        ("1:30", 90),
        ("1.5h", 90),
        ("1,5 h", 90),
        ("1h 30m", 90),
        ("x", None),
    ],
)
def test_durations_people_type(text, minutes):
    assert parse_duration(text) == minutes


def test_editing_someone_elses_entry_is_not_found(client, ticket, dispatcher, support):
    colleague = StaffFactory(email="colin@desk.test", first_name="Colin")
    MembershipFactory(user=colleague, department=support)
    entry = services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=20)
    client.force_login(colleague)
    assert client.get(reverse("timelog:entry_edit", args=[entry.pk])).status_code == 404
    assert client.post(reverse("timelog:entry_delete", args=[entry.pk])).status_code == 404
    client.force_login(dispatcher)
    response = client.post(
        reverse("timelog:entry_edit", args=[entry.pk]),
        {"duration": "25", "date": entry.date.isoformat()},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.minutes == 25


def test_panel_query_count(client, ticket, dispatcher, django_assert_num_queries):
    for minutes in (10, 20, 30):
        services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=minutes)
    client.force_login(dispatcher)
    url = reverse("timelog:ticket_time", args=[ticket.pk])
    client.get(url, headers={"HX-Request": "true"})
    # session, user, site settings, reference data generation, the ticket (access checked),
    # entries with authors and types, the running timer, the active activity types — however
    # many entries.
    with django_assert_num_queries(8):
        response = client.get(url, headers={"HX-Request": "true"})
    assert b"1:00" in response.content


def test_total_annotation_keeps_one_query(ticket, dispatcher, support, requester_a):
    other = TicketFactory(department=support, requester=requester_a)
    services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=10)
    services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=15)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline.tickets.models import Ticket

    with CaptureQueriesContext(connection) as queries:
        totals = dict(
            Ticket.objects.annotate(time_total=ticket_minutes_total()).values_list(
                "pk", "time_total"
            )
        )
    assert len(queries) == 1
    assert totals == {ticket.pk: 25, other.pk: 0}


def test_activity_types_are_kept_by_administrators(client, admin_user, dispatcher):
    with pytest.raises(PermissionDenied):
        services.activity_type_save(activity_type=ActivityType(name="Travel"), actor=dispatcher)
    client.force_login(admin_user)
    response = client.post(
        reverse("timelog:activity_type_new"), {"name": "Travel", "order": 1, "is_active": "on"}
    )
    assert response.status_code == 302
    assert ActivityType.objects.filter(name="Travel").exists()
    assert Event.objects.filter(action="activity_type.created").exists()
    clash = client.post(reverse("timelog:activity_type_new"), {"name": "travel", "order": 1})
    assert clash.status_code == 200
    assert ActivityType.objects.count() == 1
    assert client.get(reverse("timelog:activity_types")).status_code == 200
