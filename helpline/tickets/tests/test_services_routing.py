"""The routing services (fields, hand-overs, merge, links, watching, tags) called directly with
actors who may not act: each refuses with a domain error and changes nothing."""

import pytest

from helpline.accounts.models import SupportLine
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.tickets import services
from helpline.tickets.models import Priority, StatusCategory
from helpline.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(requester_a, support):
    return TicketFactory(requester=requester_a, department=support)


@pytest.fixture
def billing_ticket(requester_a, billing):
    return TicketFactory(requester=requester_a, department=billing)


def fresh(ticket):
    ticket.refresh_from_db()
    return ticket


# --- ticket_update and the hand-overs built on it -------------------------------------------


@pytest.mark.parametrize("persona", ["billing_agent", "requester_a", "requester_b", "external"])
def test_changing_fields_needs_the_right(request, ticket, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.ticket_update(ticket=ticket, actor=actor, priority=Priority.CRITICAL)
    assert fresh(ticket).priority != Priority.CRITICAL


def test_handing_over_needs_the_assign_right(ticket, support, billing, dispatcher):
    replier = StaffFactory()
    MembershipFactory(user=replier, department=support, can_assign=False)
    with pytest.raises(PermissionDenied):
        services.ticket_update(ticket=ticket, actor=replier, assignee=dispatcher)
    with pytest.raises(PermissionDenied):
        services.ticket_transfer(ticket=ticket, actor=replier, department=billing, reason="Bills")
    with pytest.raises(PermissionDenied):
        services.ticket_escalate(ticket=ticket, actor=replier)
    with pytest.raises(PermissionDenied):
        services.ticket_take(ticket=ticket, actor=replier)
    ticket = fresh(ticket)
    assert ticket.assignee is None and ticket.department_id == support.pk
    assert ticket.line == SupportLine.FIRST


def test_hand_to_supervisor_needs_the_assign_right(ticket, billing_agent, supervisor):
    with pytest.raises(PermissionDenied):
        services.ticket_hand_to_supervisor(
            ticket=ticket, actor=billing_agent, supervisor=supervisor, reason="Angry customer"
        )
    assert fresh(ticket).assignee is None


def test_the_responsible_person_must_see_the_department(ticket, dispatcher, billing_agent):
    with pytest.raises(ValidationFailed) as caught:
        services.ticket_update(ticket=ticket, actor=dispatcher, assignee=billing_agent)
    assert caught.value.field == "assignee"
    assert fresh(ticket).assignee is None


def test_only_active_staff_can_be_responsible(ticket, dispatcher, requester_a):
    with pytest.raises(ValidationFailed):
        services.ticket_update(ticket=ticket, actor=dispatcher, assignee=requester_a)
    colleague = StaffFactory(is_active=False)
    MembershipFactory(user=colleague, department=ticket.department)
    with pytest.raises(ValidationFailed):
        services.ticket_update(ticket=ticket, actor=dispatcher, assignee=colleague)


def test_a_transfer_releases_a_responsible_person_who_cannot_follow(
    ticket, dispatcher, billing, supervisor
):
    services.ticket_take(ticket=ticket, actor=dispatcher)
    services.ticket_transfer(ticket=ticket, actor=dispatcher, department=billing, reason="Bills")
    assert fresh(ticket).assignee is None


# --- merge ----------------------------------------------------------------------------------


def test_merge_into_a_request_the_actor_cannot_see_is_refused(ticket, billing_ticket, dispatcher):
    with pytest.raises(PermissionDenied):
        services.ticket_merge(source=ticket, target=billing_ticket, actor=dispatcher)
    assert fresh(ticket).merged_into is None
    assert fresh(ticket).status_category == StatusCategory.NEW


def test_merge_away_a_request_needs_the_assign_right_on_it(ticket, billing_ticket, billing_agent):
    with pytest.raises(PermissionDenied):
        services.ticket_merge(source=ticket, target=billing_ticket, actor=billing_agent)
    assert fresh(ticket).merged_into is None


def test_a_requester_cannot_merge_their_own_requests(ticket, requester_a, support):
    other = TicketFactory(requester=requester_a, department=support)
    with pytest.raises(PermissionDenied):
        services.ticket_merge(source=ticket, target=other, actor=requester_a)


# --- links ----------------------------------------------------------------------------------


def test_linking_to_a_request_the_actor_cannot_see_is_refused(ticket, billing_ticket, dispatcher):
    with pytest.raises(PermissionDenied):
        services.ticket_link(ticket=ticket, other=billing_ticket, actor=dispatcher)
    with pytest.raises(PermissionDenied):
        services.ticket_link(ticket=billing_ticket, other=ticket, actor=dispatcher)
    assert not ticket.links.exists()


def test_unlinking_needs_the_right_on_both_requests(ticket, billing_ticket, dispatcher, supervisor):
    services.ticket_link(ticket=ticket, other=billing_ticket, actor=supervisor)
    with pytest.raises(PermissionDenied):
        services.ticket_unlink(ticket=ticket, other=billing_ticket, actor=dispatcher)
    assert ticket.links.filter(pk=billing_ticket.pk).exists()


def test_unlinking_is_recorded_on_both_histories(ticket, billing_ticket, supervisor):
    services.ticket_link(ticket=ticket, other=billing_ticket, actor=supervisor)
    services.ticket_unlink(ticket=ticket, other=billing_ticket, actor=supervisor)
    assert not billing_ticket.links.exists()
    for side in (ticket, billing_ticket):
        assert side.entries.filter(field="link", data__new=None).count() == 1


def test_requesters_cannot_link(ticket, requester_a, support):
    other = TicketFactory(requester=requester_a, department=support)
    with pytest.raises(PermissionDenied):
        services.ticket_link(ticket=ticket, other=other, actor=requester_a)


# --- watching and tags ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["billing_agent", "requester_a", "external"])
def test_watching_needs_the_view_right(request, ticket, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.ticket_watch(ticket=ticket, actor=actor, watch=True)
    assert not ticket.watchers.exists()


def test_a_viewer_may_watch(ticket, support):
    viewer = StaffFactory()
    MembershipFactory(user=viewer, department=support, can_reply=False, can_assign=False)
    services.ticket_watch(ticket=ticket, actor=viewer, watch=True)
    assert list(ticket.watchers.all()) == [viewer]


@pytest.mark.parametrize("persona", ["billing_agent", "requester_a"])
def test_tagging_needs_the_reply_right(request, ticket, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.ticket_tags_set(ticket=ticket, actor=actor, names=["vip"])
    assert not ticket.tags.exists()
