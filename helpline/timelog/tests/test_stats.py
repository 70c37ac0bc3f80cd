"""Activity statistics against a small desk whose figures are known; who sees whose; the CSV
exports and their escaping; query counts."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.tickets import services as tickets
from helpline.tickets.models import StatusCategory, Ticket
from helpline.tickets.tests.factories import TicketFactory, status_of
from helpline.timelog import services
from helpline.timelog.stats import activity_statistics

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, 2, hour, minute, tzinfo=datetime.UTC)


@pytest.fixture
def colleague(support):
    user = StaffFactory(email="colin@desk.test", first_name="Colin")
    MembershipFactory(user=user, department=support)
    return user


@pytest.fixture
def support_supervisor(support):
    user = StaffFactory(email="sam@desk.test", first_name="Sam", role=Role.SUPERVISOR)
    MembershipFactory(user=user, department=support)
    return user


@pytest.fixture
def desk(support, dispatcher, colleague, requester_a):
    """Dana takes two requests and answers them after one and two hours, notes one, resolves
    both, and the first is reopened; Colin takes a third and answers after three hours."""
    with time_machine.travel(at(9), tick=False):
        t1, t2, t3 = (TicketFactory(department=support, requester=requester_a) for _ in "123")
    resolved = status_of(StatusCategory.RESOLVED)

    def step(when, call, **kwargs):
        with time_machine.travel(when, tick=False):
            call(**kwargs)

    step(at(9, 10), tickets.ticket_take, ticket=t1, actor=dispatcher)
    step(at(9, 20), tickets.ticket_take, ticket=t2, actor=dispatcher)
    step(at(9, 30), tickets.ticket_take, ticket=t3, actor=colleague)
    step(at(10), tickets.ticket_reply_add, ticket=t1, actor=dispatcher, body="Try this")
    step(at(10, 30), tickets.ticket_note_add, ticket=t1, actor=dispatcher, body="Driver issue")
    step(at(11), tickets.ticket_reply_add, ticket=t2, actor=dispatcher, body="Done")
    step(at(12), tickets.ticket_reply_add, ticket=t3, actor=colleague, body="Looking")
    step(at(13), tickets.ticket_update, ticket=_fresh(t1), actor=dispatcher, status=resolved)
    step(at(13, 5), tickets.ticket_update, ticket=_fresh(t2), actor=dispatcher, status=resolved)
    step(at(14), tickets.ticket_reopen, ticket=_fresh(t1), actor=requester_a, reason="Still broken")
    with time_machine.travel(at(15), tick=False):
        services.time_entry_add(ticket=t1, actor=dispatcher, minutes=30, date=DAY)
        services.time_entry_add(ticket=t2, actor=dispatcher, minutes=15, date=DAY)
        services.time_entry_add(ticket=t3, actor=colleague, minutes=60, date=DAY)
    return t1, t2, t3


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _figures(row):
    return (
        row.taken,
        row.replies,
        row.notes,
        row.resolved,
        row.reopened,
        row.median_response,
        row.minutes,
    )


def test_figures_per_person_and_department(desk, admin_user, dispatcher, colleague, support):
    stats = activity_statistics(admin_user, start=DAY, end=DAY)
    people = {row.key: row for row in stats.people}
    assert _figures(people[dispatcher.pk]) == (2, 2, 1, 2, 1, 1.5 * 3600, 45)
    assert _figures(people[colleague.pk]) == (1, 1, 0, 0, 0, 3 * 3600, 60)
    departments = {row.key: row for row in stats.departments}
    # The requester's reopening reply is not staff work.
    assert _figures(departments[support.pk]) == (3, 3, 1, 2, 1, 2 * 3600, 105)
    # Another period: nothing.
    other = activity_statistics(admin_user, start=DAY + datetime.timedelta(days=1), end=DAY)
    assert other.start == DAY + datetime.timedelta(days=1)
    empty = activity_statistics(
        admin_user, start=DAY - datetime.timedelta(days=3), end=DAY - datetime.timedelta(days=1)
    )
    assert all(_figures(r) == (0, 0, 0, 0, 0, None, 0) for r in empty.people)


def test_reopened_later_looks_past_the_period_and_stops_at_a_later_resolution(
    desk, admin_user, dispatcher, requester_a, billing
):
    _t1, t2, _t3 = desk
    next_day = DAY + datetime.timedelta(days=1)
    later = datetime.datetime(2026, 11, 3, 9, tzinfo=datetime.UTC)
    # Given t2, resolved on DAY, reopened the next day and resolved again, then transferred
    with time_machine.travel(later, tick=False):
        tickets.ticket_reopen(ticket=_fresh(t2), actor=requester_a, reason="Again")
    with time_machine.travel(later + datetime.timedelta(hours=1), tick=False):
        tickets.ticket_update(
            ticket=_fresh(t2), actor=dispatcher, status=status_of(StatusCategory.RESOLVED)
        )
    with time_machine.travel(later + datetime.timedelta(hours=2), tick=False):
        tickets.ticket_update(ticket=_fresh(t2), actor=admin_user, department=billing)

    def figures(start, end, key, side="people"):
        rows = getattr(activity_statistics(admin_user, start=start, end=end), side)
        return next(r for r in rows if r.key == key)

    # Then DAY's two resolutions were both reopened later (one of them only the next day)
    assert (
        figures(DAY, DAY, dispatcher.pk).resolved,
        figures(DAY, DAY, dispatcher.pk).reopened,
    ) == (2, 2)
    # the next day's resolution was not (nothing reopened it since)
    day_two = figures(next_day, next_day, dispatcher.pk)
    assert (day_two.resolved, day_two.reopened) == (1, 0)
    both = figures(DAY, next_day, dispatcher.pk)
    assert (both.resolved, both.reopened) == (3, 2)
    # and a request's work counts for the department it is in now
    assert (figures(DAY, next_day, billing.pk, "departments").resolved) == 2


def test_who_sees_whose_figures(desk, dispatcher, colleague, supervisor, support_supervisor):
    # An agent: their own row, no departments.
    own = activity_statistics(dispatcher, start=DAY, end=DAY)
    assert [r.key for r in own.people] == [dispatcher.pk]
    assert own.departments == []
    # Support's supervisor: Support's people (and themself), Support and below.
    theirs = activity_statistics(support_supervisor, start=DAY, end=DAY)
    assert {r.key for r in theirs.people} == {dispatcher.pk, colleague.pk, support_supervisor.pk}
    assert {r.name for r in theirs.departments} == {"Support"}
    assert _figures(next(r for r in theirs.people if r.key == dispatcher.pk))[0] == 2
    # A supervisor of no department: only themself.
    alone = activity_statistics(supervisor, start=DAY, end=DAY)
    assert [r.key for r in alone.people] == [supervisor.pk]
    assert alone.departments == []


def test_activity_page_and_its_query_count(client, desk, admin_user, django_assert_max_num_queries):
    client.force_login(admin_user)
    url = reverse("timelog:activity") + f"?start={DAY}&end={DAY}"
    client.get(url)
    # session, user, settings, reference, sidebar views and counts, the statistics (people:
    # entries, medians, minutes; departments: the same; the names), the export's choices.
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    assert b"activity-chart-data" in response.content
    assert b"vendor/chartjs/chart.umd.min.js" in response.content
    # More people and requests do not add queries.
    for n in range(5):
        StaffFactory(email=f"extra{n}@desk.test")
    with django_assert_max_num_queries(20):
        client.get(url)


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_activity_csv(client, desk, dispatcher):
    client.force_login(dispatcher)
    response = client.get(reverse("timelog:activity_export") + f"?start={DAY}&end={DAY}")
    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert rows[1][1:] == [dispatcher.display_name, "2", "2", "1", "2", "1", "1.5", "45"]
    assert len(rows) == 2  # header and Dana: an agent sees only their own figures


def test_time_csv_filters_and_escapes_formulas(
    client, desk, dispatcher, colleague, support_supervisor
):
    t1, _t2, t3 = desk
    services.time_entry_add(
        ticket=t1, actor=dispatcher, minutes=5, date=DAY, comment='=HYPERLINK("http://x")'
    )
    client.force_login(dispatcher)
    mine = _rows(client.get(reverse("timelog:time_export") + f"?start={DAY}&end={DAY}"))
    assert len(mine) == 1 + 3  # header, Dana's three entries; never Colin's
    assert {row[1] for row in mine[1:]} == {dispatcher.display_name}
    formula = [row for row in mine[1:] if "HYPERLINK" in row[-1]][0]
    assert formula[-1] == '\'=HYPERLINK("http://x")'
    # A supervisor of Support sees both, and narrows by person.
    client.force_login(support_supervisor)
    both = _rows(client.get(reverse("timelog:time_export") + f"?start={DAY}&end={DAY}"))
    assert len(both) == 1 + 4
    colin = _rows(
        client.get(reverse("timelog:time_export") + f"?start={DAY}&end={DAY}&person={colleague.pk}")
    )
    assert [row[9] for row in colin[1:]] == ["60"]
    assert colin[1][3] == f"#{t3.pk}"
