"""The one place that decides who sees and does what on requests (helpline.tickets.access): its
predicates, and querysets that agree with them for every persona."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from helpline.accounts.models import Role
from helpline.accounts.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)
from helpline.tickets import access
from helpline.tickets.access import Action, can
from helpline.tickets.models import Attachment, EntryKind, Tag
from helpline.tickets.services.attachments import CheckedFile, attachment_validate
from helpline.tickets.tests.factories import EntryFactory, TicketFactory

pytestmark = pytest.mark.django_db

PERSONAS = [
    "requester_a",
    "requester_a2",
    "requester_b",
    "dispatcher",
    "specialist",
    "billing_agent",
    "supervisor",
    "admin_user",
    "external",
]


@pytest.fixture
def tickets(requester_a, requester_b, support, software, billing, vendor_department, external):
    return {
        "a_support": TicketFactory(requester=requester_a, department=support),
        "a_software": TicketFactory(requester=requester_a, department=software),
        "b_billing": TicketFactory(requester=requester_b, department=billing),
        "a_vendor": TicketFactory(requester=requester_a, department=vendor_department),
        "b_given_to_vendor": TicketFactory(
            requester=requester_b, department=billing, assignee=external
        ),
        "a_trashed": TicketFactory(
            requester=requester_a, department=support, deleted_at=timezone.now()
        ),
    }


def visible_names(user, tickets) -> set[str]:
    return {name for name, ticket in tickets.items() if can(user, Action.VIEW, ticket)}


# --- staff ----------------------------------------------------------------------------------


def test_department_rights_reach_down_the_tree(dispatcher, tickets):
    # Support's member sees Support and its sub-department Software, trash included, no more.
    assert visible_names(dispatcher, tickets) == {"a_support", "a_software", "a_trashed"}


def test_a_sub_department_member_does_not_see_the_parent(specialist, tickets):
    assert visible_names(specialist, tickets) == {"a_software"}


def test_external_provider_sees_their_department_and_what_was_given_to_them(external, tickets):
    assert visible_names(external, tickets) == {"a_vendor", "b_given_to_vendor"}


def test_supervisors_and_administrators_see_everything(supervisor, admin_user, tickets):
    assert visible_names(supervisor, tickets) == set(tickets)
    assert visible_names(admin_user, tickets) == set(tickets)


def test_each_staff_action_needs_its_right(support):
    ticket = TicketFactory(department=support)
    viewer = StaffFactory()
    MembershipFactory(
        user=viewer, department=support, can_reply=False, can_assign=False, can_manage=False
    )
    assert can(viewer, Action.VIEW, ticket) and can(viewer, Action.NOTE, ticket)
    assert can(viewer, Action.WATCH, ticket) and can(viewer, Action.LINK, ticket)
    for action in (Action.REPLY, Action.UPDATE, Action.ASSIGN, Action.MANAGE, Action.SUPERVISE):
        assert not can(viewer, action, ticket), action


def test_the_responsible_person_works_their_request_but_does_not_hand_it_over(
    billing_agent, support
):
    ticket = TicketFactory(department=support, assignee=billing_agent)
    assert can(billing_agent, Action.REPLY, ticket) and can(billing_agent, Action.UPDATE, ticket)
    assert not can(billing_agent, Action.ASSIGN, ticket)
    assert not can(billing_agent, Action.MANAGE, ticket)


def test_inactive_staff_can_do_nothing(dispatcher, support):
    ticket = TicketFactory(department=support)
    dispatcher.is_active = False
    assert not can(dispatcher, Action.VIEW, ticket)


def test_staff_cannot_confirm_or_reopen_for_the_requester(supervisor, requester_a, support):
    ticket = TicketFactory(requester=requester_a, department=support)
    assert not can(supervisor, Action.CONFIRM, ticket)
    assert not can(supervisor, Action.REOPEN, ticket)


# --- requesters -----------------------------------------------------------------------------


def test_requesters_see_their_own_live_requests(requester_a, requester_b, tickets):
    assert visible_names(requester_a, tickets) == {"a_support", "a_software", "a_vendor"}
    assert visible_names(requester_b, tickets) == {"b_billing", "b_given_to_vendor"}


def test_colleague_sees_nothing_unless_the_organisation_shares(requester_a2, org_a, tickets):
    assert visible_names(requester_a2, tickets) == set()
    org_a.shared_requests = True
    assert visible_names(requester_a2, tickets) == {"a_support", "a_software", "a_vendor"}


def test_sharing_is_read_only_unless_the_organisation_lets_colleagues_act(
    requester_a2, org_a, tickets
):
    ticket = tickets["a_support"]
    org_a.shared_requests = True
    assert can(requester_a2, Action.VIEW, ticket)
    for action in (Action.REPLY, Action.CONFIRM, Action.REOPEN):
        assert not can(requester_a2, action, ticket), action
    org_a.colleagues_may_act = True
    for action in (Action.REPLY, Action.CONFIRM, Action.REOPEN):
        assert can(requester_a2, action, ticket), action
    # Acting on a colleague's request never needs more than the organisation's word:
    org_a.shared_requests = False
    assert not can(requester_a2, Action.REPLY, ticket)


def test_an_inactive_organisation_shares_nothing(requester_a2, org_a, tickets):
    org_a.shared_requests = org_a.colleagues_may_act = True
    org_a.is_active = False
    assert visible_names(requester_a2, tickets) == set()


def test_requesters_never_do_staff_actions_on_their_own_request(requester_a, support):
    ticket = TicketFactory(requester=requester_a, department=support)
    for action in (Action.NOTE, Action.WATCH, Action.LINK, Action.UPDATE, Action.ASSIGN):
        assert not can(requester_a, action, ticket), action


# --- querysets agree with the predicate -----------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_tickets_match_can_view(request, persona, tickets, org_a):
    org_a.shared_requests = True
    org_a.save()
    user = request.getfixturevalue(persona)
    expected = {t.pk for t in tickets.values() if can(user, Action.VIEW, t)}
    assert set(access.visible_tickets(user).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_desk_and_portal_querysets_match_their_predicates(request, persona, tickets, org_a):
    org_a.shared_requests = True
    org_a.save()
    user = request.getfixturevalue(persona)
    desk = {t.pk for t in tickets.values() if access.staff_can(user, Action.VIEW, t)}
    portal = {t.pk for t in tickets.values() if access.requester_can(user, Action.VIEW, t)}
    assert set(access.desk_tickets(user).values_list("pk", flat=True)) == desk
    assert set(access.portal_tickets(user).values_list("pk", flat=True)) == portal


def _file(entry) -> Attachment:
    return Attachment.objects.create(
        ticket=entry.ticket,
        entry=entry,
        file=SimpleUploadedFile("x.txt", b"x"),
        filename="x.txt",
        content_type="text/plain",
        size=1,
    )


def test_notes_and_their_files_are_for_staff_only(requester_a, dispatcher, tickets):
    ticket = tickets["a_support"]
    reply = EntryFactory(ticket=ticket, kind=EntryKind.REPLY)
    note = EntryFactory(ticket=ticket, kind=EntryKind.NOTE, author=dispatcher)
    public, internal = _file(reply), _file(note)

    assert set(access.portal_attachments(requester_a)) == {public}
    assert set(access.desk_attachments(dispatcher)) == {public, internal}
    assert set(access.visible_entries(requester_a, ticket)) == {reply}
    assert set(access.visible_entries(dispatcher, ticket)) == {reply, note}
    assert not access.visible_entries(tickets["b_billing"].requester, ticket).exists()


# --- directories ----------------------------------------------------------------------------


def test_requester_directory(dispatcher, external, requester_a, requester_b, tickets):
    stranger = UserFactory(email="stranger@nowhere.test")
    # Agents find any caller; external providers only the requesters of their own work.
    assert set(access.requester_directory(dispatcher)) >= {requester_a, requester_b, stranger}
    assert set(access.requester_directory(external)) == {requester_a, requester_b}
    assert not access.requester_directory(requester_a).exists()


def test_who_may_open_a_request_for_whom(dispatcher, external, requester_a, requester_b, tickets):
    stranger = UserFactory(email="stranger@nowhere.test")
    assert access.may_open_for(requester_a, requester_a)
    assert not access.may_open_for(requester_a, requester_b)
    assert access.may_open_for(dispatcher, stranger)
    assert access.may_open_for(external, requester_b)  # given to them
    assert not access.may_open_for(external, stranger)
    assert not access.may_register_requesters(external)
    assert access.may_register_requesters(dispatcher)


def test_organisations_and_tags_come_from_the_requests_one_can_open(
    dispatcher, supervisor, billing, support, org_a, org_b, requester_a, requester_b
):
    mine = TicketFactory(requester=requester_a, department=support)
    theirs = TicketFactory(requester=requester_b, department=billing)
    OrganisationFactory(name="No requests yet")
    vpn, invoice = Tag.objects.create(name="vpn"), Tag.objects.create(name="invoice")
    mine.tags.add(vpn)
    theirs.tags.add(invoice)

    assert set(access.organisations_visible(dispatcher)) == {org_a}
    assert set(access.tags_visible(dispatcher)) == {vpn}
    assert set(access.organisations_visible(supervisor)) >= {org_a, org_b}
    assert set(access.tags_visible(supervisor)) == {vpn, invoice}


def test_staff_directory_is_the_departments_colleagues(
    dispatcher, specialist, billing_agent, supervisor, external
):
    seen = set(access.staff_visible(dispatcher))
    assert {dispatcher, specialist, supervisor} <= seen
    assert billing_agent not in seen and external not in seen
    assert {dispatcher, billing_agent, external} <= set(access.staff_visible(supervisor))
    assert not access.staff_visible(UserFactory(role=Role.REQUESTER)).exists()


# --- checked files --------------------------------------------------------------------------


def test_a_checked_file_cannot_be_made_by_hand():
    upload = SimpleUploadedFile("evil.exe", b"MZ\x90\x00")
    with pytest.raises(TypeError):
        CheckedFile(upload=upload, filename="nice.txt", content_type="text/plain", size=4)
    assert attachment_validate(SimpleUploadedFile("ok.txt", b"fine")).filename == "ok.txt"
