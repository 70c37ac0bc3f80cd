"""Reply template services: who may write which templates, macros applied through the tickets'
services (history and event log as by hand), refusals per request, usage counts."""

import pytest

from helpline.accounts.models import SupportLine
from helpline.accounts.tests.factories import MembershipFactory
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.replies import services
from helpline.replies.models import ReplyTemplate, Scope
from helpline.tickets.models import EntryKind, Priority, StatusCategory, TicketClass
from helpline.tickets.tests.factories import TicketFactory, status_of

from .factories import ReplyTemplateFactory, ReplyTextFactory

# --- writing templates ------------------------------------------------------------------------


def test_an_agent_keeps_personal_templates_logged_with_what_they_hold(dispatcher):
    template = services.reply_template_create(
        actor=dispatcher,
        scope=Scope.PERSONAL,
        name="  Password   reset ",
        category="Accounts",
        texts={"en": "Hi {{ requester_name }}", "nb": "", "ru": "Здравствуйте"},
    )
    assert template.owner == dispatcher and template.department is None
    assert template.name == "Password reset"
    assert sorted(t.language for t in template.texts.all()) == ["en", "ru"]
    event = Event.objects.get(action="reply_template.created")
    assert event.changes["texts"][1] == {"en": "Hi {{ requester_name }}", "ru": "Здравствуйте"}


@pytest.mark.parametrize(
    ("persona", "scope", "allowed"),
    [
        ("dispatcher", Scope.DEPARTMENT, False),  # a member without the manage right
        ("manager", Scope.DEPARTMENT, True),
        ("supervisor", Scope.DEPARTMENT, True),
        ("dispatcher", Scope.GLOBAL, False),
        ("supervisor", Scope.GLOBAL, False),
        ("admin_user", Scope.GLOBAL, True),
    ],
)
def test_shared_templates_need_the_right_for_their_scope(
    request, support, dispatcher, persona, scope, allowed
):
    if persona == "manager":
        actor = dispatcher
        actor.memberships.update(can_manage=True)
    else:
        actor = request.getfixturevalue(persona)
    create = lambda: services.reply_template_create(  # noqa: E731
        actor=actor,
        scope=scope,
        department=support if scope == Scope.DEPARTMENT else None,
        name="Shared",
        texts={"en": "Hello"},
    )
    if allowed:
        assert create().scope == scope
    else:
        with pytest.raises(PermissionDenied):
            create()
        assert not ReplyTemplate.objects.exists()


def test_only_the_owner_changes_a_personal_template(dispatcher, specialist):
    template = services.reply_template_create(
        actor=dispatcher, scope=Scope.PERSONAL, name="Mine", texts={"en": "Hello"}
    )
    with pytest.raises(PermissionDenied):
        services.reply_template_change(
            template=template, actor=specialist, name="Taken", texts={"en": "x"}
        )
    with pytest.raises(PermissionDenied):
        services.reply_template_delete(template=template, actor=specialist)
    services.reply_template_change(
        template=template, actor=dispatcher, name="Mine", texts={"en": "Hello again"}
    )
    event = Event.objects.get(action="reply_template.changed")
    assert event.changes == {"texts": [{"en": "Hello"}, {"en": "Hello again"}]}


def test_a_template_needs_a_text_unless_it_is_a_macro(dispatcher, support):
    with pytest.raises(ValidationFailed) as caught:
        services.reply_template_create(
            actor=dispatcher, scope=Scope.PERSONAL, name="Empty", texts={"en": " "}
        )
    assert caught.value.field == "text_en"
    macro = services.reply_template_create(
        actor=dispatcher,
        scope=Scope.PERSONAL,
        name="Tag only",
        texts={},
        actions={"add_tags": ["VIP "]},
    )
    assert macro.is_macro and macro.add_tags == ["vip"]


def test_the_note_is_checked_like_the_text(dispatcher):
    with pytest.raises(ValidationFailed) as caught:
        services.reply_template_create(
            actor=dispatcher,
            scope=Scope.PERSONAL,
            name="Bad note",
            texts={"en": "Hi"},
            actions={"note": "Called {{ phone }}"},
        )
    assert caught.value.field == "note"
    assert "“phone”" in caught.value.message


# --- macros ------------------------------------------------------------------------------------


@pytest.fixture
def ticket(support, requester_a):
    return TicketFactory(department=support, requester=requester_a, category=StatusCategory.OPEN)


def _history(ticket, field):
    return ticket.entries.filter(kind=EntryKind.EVENT, field=field)


@pytest.mark.parametrize(
    ("actions", "field", "check"),
    [
        (
            {"set_status": "pending"},
            "status",
            lambda t: t.status_category == StatusCategory.PENDING,
        ),
        ({"set_priority": Priority.CRITICAL}, "priority", lambda t: t.priority == 4),
        (
            {"set_ticket_class": TicketClass.SERVICE_REQUEST},
            "ticket_class",
            lambda t: t.ticket_class == TicketClass.SERVICE_REQUEST,
        ),
        ({"set_department": "software"}, "department", lambda t: t.department.name == "Software"),
        ({"assign_to_me": True}, "assignee", lambda t: t.assignee.first_name == "Dana"),
        ({"set_line": SupportLine.SECOND}, "line", lambda t: t.line == 2),
        ({"add_tags": ["printer"]}, "tags", lambda t: "printer" in t.tag_names),
    ],
)
def test_each_macro_action_goes_through_the_service_and_leaves_history(
    request, dispatcher, ticket, actions, field, check
):
    if actions.get("set_status"):
        actions = {"set_status": status_of(actions["set_status"])}
    if actions.get("set_department"):
        actions = {"set_department": request.getfixturevalue(actions["set_department"])}
    ticket.tags.create(name="existing")
    template = ReplyTemplateFactory(**actions)

    [outcome] = services.macro_apply(template=template, tickets_=[ticket], actor=dispatcher)

    assert outcome.refused == []
    ticket.refresh_from_db()
    ticket.tag_names = set(ticket.tags.values_list("name", flat=True))
    assert check(ticket)
    assert _history(ticket, field).get().author == dispatcher
    assert Event.objects.filter(action__startswith="ticket.", object_id=str(ticket.pk)).exists()
    if field == "tags":
        assert ticket.tag_names == {"existing", "printer"}  # added, not replaced


def test_a_note_and_watching_are_macro_actions_too(dispatcher, ticket):
    template = ReplyTemplateFactory(
        note="Checked by {{ agent_name }} on {{ ticket_number }}", watch=True
    )
    services.macro_apply(template=template, tickets_=[ticket], actor=dispatcher)
    note = ticket.entries.get(kind=EntryKind.NOTE)
    assert note.body == f"Checked by {dispatcher.display_name} on #{ticket.pk}"
    assert ticket.watchers.filter(pk=dispatcher.pk).exists()
    assert Event.objects.filter(action="ticket.watched").count() == 1


def test_in_bulk_the_text_goes_out_as_a_reply_in_each_requesters_language(
    dispatcher, support, requester_a, requester_b
):
    requester_b.language = "ru"
    requester_b.save()
    template = ReplyTemplateFactory()
    ReplyTextFactory(template=template, language="en", body="Hello {{ requester_first_name }}")
    ReplyTextFactory(
        template=template, language="ru", body="Здравствуйте, {{ requester_first_name }}"
    )
    a = TicketFactory(department=support, requester=requester_a)
    b = TicketFactory(department=support, requester=requester_b)

    services.macro_apply(template=template, tickets_=[b, a], actor=dispatcher)

    assert a.entries.get(kind=EntryKind.REPLY).body == "Hello Alice"
    assert b.entries.get(kind=EntryKind.REPLY).body == "Здравствуйте, Bob"
    template.refresh_from_db()
    assert template.usage_count == 2 and template.last_used_at is not None


def test_in_bulk_a_refused_action_is_reported_per_request_and_the_rest_applies(
    specialist, support, software, requester_a
):
    # The specialist works in Software only: a Support request is not theirs to change, and
    # moving one to Support needs the assign right there… which they hold in Software only.
    mine = TicketFactory(department=software, requester=requester_a)
    closed = TicketFactory(
        department=software, requester=requester_a, category=StatusCategory.CLOSED
    )
    template = ReplyTemplateFactory(set_priority=Priority.HIGH, add_tags=["hw"])
    ReplyTextFactory(template=template, body="We are on it.")

    outcomes = services.macro_apply(template=template, tickets_=[closed, mine], actor=specialist)

    by_ticket = {o.ticket.pk: o for o in outcomes}
    assert by_ticket[mine.pk].applied == ["reply", "priority", "tags"]
    assert by_ticket[mine.pk].refused == []
    assert by_ticket[closed.pk].refused == [
        ("reply", "This request is closed; open a new one instead.")
    ]
    assert by_ticket[closed.pk].applied == ["priority", "tags"]
    closed.refresh_from_db()
    assert closed.priority == Priority.HIGH and not closed.entries.filter(kind=EntryKind.REPLY)


def test_in_bulk_a_missing_right_is_refused_on_that_request(
    billing_agent, billing, support, requester_a
):
    MembershipFactory(user=billing_agent, department=support, can_assign=False)
    ours = TicketFactory(department=billing, requester=requester_a)
    theirs = TicketFactory(department=support, requester=requester_a)
    template = ReplyTemplateFactory(set_line=SupportLine.SECOND)

    outcomes = services.macro_apply(template=template, tickets_=[ours, theirs], actor=billing_agent)

    assert outcomes[0].applied == ["routing"]
    assert outcomes[1].applied == []
    [(action, reason)] = outcomes[1].refused
    assert action == "routing" and reason
    theirs.refresh_from_db()
    assert theirs.line == 1 and not _history(theirs, "line").exists()
    assert Event.objects.get(action="reply_template.applied", changes__ticket=[None, theirs.pk])


def test_someone_elses_personal_template_cannot_be_applied(dispatcher, specialist, ticket):
    template = ReplyTemplateFactory(scope=Scope.PERSONAL, owner=specialist, set_priority=4)
    with pytest.raises(PermissionDenied):
        services.macro_apply(template=template, tickets_=[ticket], actor=dispatcher)
    ticket.refresh_from_db()
    assert ticket.priority != 4


# --- from the reply box: all or nothing ----------------------------------------------------------


def test_a_reply_from_a_macro_sends_and_applies_together(dispatcher, ticket):
    template = ReplyTemplateFactory(
        set_status=status_of(StatusCategory.PENDING), add_tags=["waiting"]
    )

    entry = services.reply_with_template(
        ticket=ticket, actor=dispatcher, template=template, body="Please send a photo."
    )

    ticket.refresh_from_db()
    assert entry.body == "Please send a photo."
    assert ticket.status_category == StatusCategory.PENDING
    assert list(ticket.tags.values_list("name", flat=True)) == ["waiting"]
    template.refresh_from_db()
    assert template.usage_count == 1


def test_a_refused_macro_action_sends_nothing(specialist, support, software, requester_a):
    ticket = TicketFactory(department=software, requester=requester_a, category=StatusCategory.OPEN)
    # Transferring to Support needs… nothing more than the assign right in Software, but giving
    # the request to the specialist there is refused: they cannot see Support requests.
    template = ReplyTemplateFactory(set_department=support, assign_to_me=True)

    with pytest.raises(ValidationFailed) as caught:
        services.reply_with_template(
            ticket=ticket, actor=specialist, template=template, body="Moving this on."
        )

    assert "could not change department, line or responsible person" in caught.value.message
    assert "Nothing was sent" in caught.value.message
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()
    template.refresh_from_db()
    assert template.usage_count == 0
