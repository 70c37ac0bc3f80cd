"""Assignment rules: round-robin and least loaded among present members, applied where a request
enters a department (opening, transfer, escalation), recorded as done by the rule, and safe when
several requests arrive at once."""

import datetime

import pytest
from django.utils import timezone

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import DepartmentFactory, MembershipFactory, StaffFactory
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied
from helpline.core.tests.threads import run_together
from helpline.desk.timeline import event_line
from helpline.teamwork.models import AssignmentMode, AssignmentRule, Availability
from helpline.teamwork.services import assignment_rule_set, staff_status_set
from helpline.tickets import services
from helpline.tickets.history import HistoryNames
from helpline.tickets.models import Channel, Entry, EntryKind, Ticket


def open_request(requester, department, subject="Printer jammed"):
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject=subject,
        body="It blinks red.",
        channel=Channel.PORTAL,
        department=department,
    )


@pytest.fixture
def team(support):
    """Three first-line agents in Support, in id order."""
    agents = []
    for name in ("Ann", "Ben", "Cat"):
        agent = StaffFactory(email=f"{name.lower()}@desk.test", first_name=name, support_line=1)
        MembershipFactory(user=agent, department=support)
        agents.append(agent)
    return agents


def rule(department, mode):
    return AssignmentRule.objects.create(department=department, mode=mode)


def test_manual_departments_leave_requests_unassigned(requester_a, support, team):
    assert open_request(requester_a, support).assignee is None
    rule(support, AssignmentMode.MANUAL)
    assert open_request(requester_a, support).assignee is None


def test_round_robin_takes_turns_and_skips_whoever_is_away(requester_a, support, team):
    ann, ben, cat = team
    rule(support, AssignmentMode.ROUND_ROBIN)
    staff_status_set(actor=ben, state=Availability.AWAY)

    assignees = [open_request(requester_a, support, f"R{n}").assignee for n in range(4)]

    assert assignees == [ann, cat, ann, cat]


def test_an_absence_ends_on_its_date(requester_a, support, team, time_machine):
    ann, ben, cat = team
    rule(support, AssignmentMode.ROUND_ROBIN)
    today = timezone.localdate()
    staff_status_set(actor=ann, state=Availability.OFF, until=today + datetime.timedelta(days=2))
    assert open_request(requester_a, support).assignee == ben

    time_machine.move_to(timezone.now() + datetime.timedelta(days=2, hours=1))
    # Cursor after Ben: Cat, then Ann is back
    assert [open_request(requester_a, support).assignee for _ in range(2)] == [cat, ann]


def test_only_members_with_the_reply_right_and_the_line_are_chosen(requester_a, support, team):
    ann, ben, cat = team
    ben.memberships.update(can_reply=False)
    cat.support_line = 2
    cat.save()
    outsider = StaffFactory(email="ext@partner.test", role=Role.EXTERNAL)
    MembershipFactory(user=outsider, department=support)
    rule(support, AssignmentMode.ROUND_ROBIN)

    assert {open_request(requester_a, support).assignee for _ in range(3)} == {ann}


def test_least_loaded_picks_the_member_with_fewest_open_requests(
    requester_a, support, team, supervisor
):
    ann, ben, cat = team
    for agent, count in ((ann, 2), (ben, 0), (cat, 1)):
        for n in range(count):
            t = open_request(requester_a, support, f"{agent.first_name} {n}")
            services.ticket_update(ticket=t, actor=supervisor, assignee=agent)
    rule(support, AssignmentMode.LEAST_LOADED)

    first = open_request(requester_a, support).assignee
    second = open_request(requester_a, support).assignee

    assert first == ben
    # Ben and Cat now both have one: the tie goes round the circle (after Ben)
    assert second == cat


def test_nobody_present_leaves_the_request_unassigned(requester_a, support, team):
    rule(support, AssignmentMode.ROUND_ROBIN)
    for agent in team:
        staff_status_set(actor=agent, state=Availability.OFF)
    assert open_request(requester_a, support).assignee is None


def test_the_rule_is_recorded_in_history_event_log_and_as_data(requester_a, support, team):
    rule(support, AssignmentMode.ROUND_ROBIN)
    ticket = open_request(requester_a, support)

    entry = Entry.objects.get(ticket=ticket, kind=EntryKind.EVENT, field="assignee")
    assert entry.author is None
    assert entry.data == {
        "old": None,
        "new": {"id": team[0].pk},
        "system": True,
        "rule": "round_robin",
    }
    line = event_line(entry, ticket, HistoryNames.for_entries([entry]))
    assert "round-robin rule made Ann" in str(line.text)
    event = Event.objects.get(action="ticket.assigned_by_rule", object_id=str(ticket.pk))
    assert event.changes["rule"] == "round_robin"


def test_a_transfer_into_a_rule_department_assigns_there(
    requester_a, support, billing, billing_agent, dispatcher
):
    rule(billing, AssignmentMode.ROUND_ROBIN)
    ticket = open_request(requester_a, support)

    services.ticket_transfer(ticket=ticket, actor=dispatcher, department=billing, reason="Invoice")

    assert Ticket.objects.get(pk=ticket.pk).assignee == billing_agent


def test_an_escalation_to_the_next_line_assigns_there(
    requester_a, support, software, specialist, dispatcher
):
    rule(software, AssignmentMode.ROUND_ROBIN)
    ticket = open_request(requester_a, support)
    services.ticket_take(ticket=ticket, actor=dispatcher)

    services.ticket_escalate(ticket=ticket, actor=dispatcher, department=software)

    ticket.refresh_from_db()
    assert ticket.assignee == specialist and ticket.line == 2


def test_a_transfer_with_a_chosen_person_keeps_that_person(
    requester_a, support, billing, billing_agent, dispatcher
):
    other = StaffFactory(email="other@desk.test", support_line=1)
    MembershipFactory(user=other, department=billing)
    rule(billing, AssignmentMode.ROUND_ROBIN)
    ticket = open_request(requester_a, support)
    services.ticket_update(ticket=ticket, actor=dispatcher, department=billing, assignee=other)
    assert Ticket.objects.get(pk=ticket.pk).assignee == other


def test_only_administrators_set_the_rule(support, dispatcher, admin_user):
    with pytest.raises(PermissionDenied):
        assignment_rule_set(actor=dispatcher, department=support, mode=AssignmentMode.LEAST_LOADED)
    assignment_rule_set(actor=admin_user, department=support, mode=AssignmentMode.LEAST_LOADED)
    assert AssignmentRule.objects.get(department=support).mode == AssignmentMode.LEAST_LOADED
    assert Event.objects.filter(action="department.assignment_set").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("mode", [AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED])
def test_requests_arriving_at_once_are_spread_evenly(mode, requester_a, team):
    """Six requests opened at the same moment: the rule row is locked, so no two arrivals see
    the same cursor or the same counts (without the lock, least loaded would give several to
    the same idle agent)."""
    department = team[0].memberships.get().department
    rule(department, mode)

    outcomes = run_together(
        *(lambda n=n: open_request(requester_a, department, f"At once {n}").pk for n in range(6)),
        hold_locks=0.05,
    )

    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    counts = {agent.pk: 0 for agent in team}
    for ticket in Ticket.objects.filter(pk__in=[o.value for o in outcomes]):
        counts[ticket.assignee_id] += 1
    assert sorted(counts.values()) == [2, 2, 2]


def test_department_factory_is_unassigned_without_a_rule(requester_a):
    assert open_request(requester_a, DepartmentFactory(name="Lab")).assignee is None


def test_the_chosen_person_gets_the_assigned_letter(
    requester_a, support, team, smtp_sink, django_capture_on_commit_callbacks
):
    rule(support, AssignmentMode.ROUND_ROBIN)
    with django_capture_on_commit_callbacks(execute=True):
        open_request(requester_a, support, "Screen flickers")
    to_ann = [raw for _from, rcpt, raw in smtp_sink.received if rcpt == [team[0].email]]
    assert len(to_ann) == 1 and b"Assigned to you" in to_ann[0]


def test_by_skills_prefers_members_with_the_requests_tags(requester_a, support, team, supervisor):
    ann, ben, cat = team
    staff_status_set(actor=cat, state=Availability.PRESENT, skills=["VPN ", "printers"])
    AssignmentRule.objects.create(
        department=support, mode=AssignmentMode.ROUND_ROBIN, by_skills=True
    )
    tagged = open_request(requester_a, support, "Tunnel down")
    services.ticket_update(ticket=tagged, actor=supervisor, assignee=None)
    services.ticket_tags_set(ticket=tagged, actor=supervisor, names=["vpn"])
    billing_like = DepartmentFactory(name="Elsewhere")
    services.ticket_transfer(ticket=tagged, actor=supervisor, department=billing_like, reason="x")
    services.ticket_update(ticket=tagged, actor=supervisor, assignee=None)
    services.ticket_transfer(ticket=tagged, actor=supervisor, department=support, reason="back")

    assert Ticket.objects.get(pk=tagged.pk).assignee == cat
    # Without tags (or nobody skilled) the circle goes on as usual
    assert open_request(requester_a, support, "Untagged").assignee in {ann, ben, cat}


def test_members_of_a_parent_department_are_candidates_below_it_unless_away(
    requester_a, support, software, billing
):
    # Given Software under Support, and people on no particular line in each place
    def person(name, department):
        user = StaffFactory(email=f"{name.lower()}2@desk.test", first_name=name, support_line=None)
        MembershipFactory(user=user, department=department)
        return user

    ann = person("Ann", support)  # above: inherits the rights in Software
    ben = person("Ben", software)
    cat = person("Cat", support)
    person("Dan", billing)  # elsewhere: never
    # A member below does not get the parent's requests (rights go down the tree only)
    rule(support, AssignmentMode.ROUND_ROBIN)
    assert {open_request(requester_a, support, f"S{n}").assignee for n in range(4)} == {ann, cat}

    rule(software, AssignmentMode.ROUND_ROBIN)
    staff_status_set(actor=cat, state=Availability.AWAY)

    assignees = [open_request(requester_a, software, f"R{n}").assignee for n in range(4)]

    # The parent's members take turns with the department's own; the away one is skipped
    assert assignees == [ann, ben, ann, ben]


def test_inherited_rights_count_wherever_they_come_from(requester_a, support, software):
    # Viewing granted above, replying granted in the department itself: both rights, a candidate
    eve = StaffFactory(email="eve@desk.test", first_name="Eve", support_line=None)
    MembershipFactory(user=eve, department=support, can_reply=False)
    MembershipFactory(user=eve, department=software, can_view=False, can_reply=True)
    # The parent's member without the reply right anywhere is not
    fay = StaffFactory(email="fay@desk.test", first_name="Fay", support_line=None)
    MembershipFactory(user=fay, department=support, can_reply=False)
    rule(software, AssignmentMode.ROUND_ROBIN)

    assert {open_request(requester_a, software, f"R{n}").assignee for n in range(2)} == {eve}


def test_which_departments_have_a_rule_follows_each_change_but_not_the_cursor(
    requester_a, support, team, admin_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline.core import reference

    ann, ben, _cat = team
    # Given a department without a rule: once the reference data is read, its requests open
    # without a look at the rules table
    open_request(requester_a, support)
    with CaptureQueriesContext(connection) as queries:
        assert open_request(requester_a, support).assignee is None
    assert not any("teamwork_assignmentrule" in q["sql"] for q in queries.captured_queries)
    # When an administrator sets one, the next request is assigned by it
    assignment_rule_set(actor=admin_user, department=support, mode=AssignmentMode.ROUND_ROBIN)
    assert open_request(requester_a, support).assignee == ann
    # The cursor moving with each assignment leaves the reference data as it is
    token = reference.generation()
    assert open_request(requester_a, support).assignee == ben
    assert reference.generation() == token
    # Back to by hand: unassigned again
    assignment_rule_set(actor=admin_user, department=support, mode=AssignmentMode.MANUAL)
    assert open_request(requester_a, support).assignee is None
