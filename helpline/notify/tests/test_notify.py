"""The notifications centre: who is told of what, reading, the pages and the header badges."""

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.accounts.models import StaffNotice
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.audit.models import Event
from helpline.core.models import SiteSettings
from helpline.mail.models import OutboxMessage
from helpline.notify import services as notify_services
from helpline.notify.models import Kind, Notification
from helpline.notify.selectors import header_counters
from helpline.tickets import services
from helpline.tickets.models import Channel, EntryKind


@pytest.fixture
def ticket(requester_a, support):
    return services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer on fire",
        body="Smoke everywhere.",
        channel=Channel.PORTAL,
        department=support,
    )


@pytest.fixture
def colleague(support):
    user = StaffFactory(email="colleague@desk.test", first_name="Cleo", support_line=1)
    MembershipFactory(user=user, department=support)
    return user


def kinds_of(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_assignment_notifies_the_assignee_not_the_actor(ticket, dispatcher, supervisor):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)

    assert kinds_of(dispatcher) == [Kind.ASSIGNED]
    assert kinds_of(supervisor) == []
    row = Notification.objects.get(user=dispatcher)
    assert row.actor == supervisor and row.ticket_id == ticket.pk and row.read_at is None


def test_taking_a_request_oneself_notifies_nobody(ticket, dispatcher):
    services.ticket_update(ticket=ticket, actor=dispatcher, assignee=dispatcher)

    assert Notification.objects.count() == 0


def test_requester_reply_notifies_the_responsible_person(ticket, dispatcher, requester_a):
    services.ticket_update(ticket=ticket, actor=dispatcher, assignee=dispatcher)
    services.ticket_reply_add(ticket=ticket, actor=requester_a, body="Still burning", files=[])

    assert kinds_of(dispatcher) == [Kind.REQUESTER_REPLIED]
    assert kinds_of(requester_a) == []


def test_escalation_notifies_the_next_line(ticket, dispatcher, specialist, software):
    services.ticket_escalate(ticket=ticket, actor=dispatcher, department=software, reason="Hard")

    assert kinds_of(specialist) == [Kind.ESCALATED]
    assert kinds_of(dispatcher) == []


def test_a_rolled_back_change_leaves_no_notification(ticket, dispatcher, supervisor):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
        raise RuntimeError("boom")

    assert Notification.objects.count() == 0


def test_mentions_notify_who_may_see_and_refuse_the_rest(
    ticket, dispatcher, colleague, billing_agent
):
    # Given Cleo (Support) and Bill (Billing, who cannot see the request)
    body = (
        "Ask @colleague@desk.test and @billing@desk.test, cc @nobody@desk.test "
        "and me @dispatcher@desk.test; mail dana@desk.test is no mention."
    )
    entry = services.ticket_note_add(ticket=ticket, actor=dispatcher, body=body)

    assert entry.kind == EntryKind.NOTE
    assert kinds_of(colleague) == [Kind.MENTIONED]
    assert kinds_of(billing_agent) == []
    assert kinds_of(dispatcher) == []
    assert Notification.objects.get(user=colleague).data == {"entry": entry.pk}


def test_mentions_are_parsed_with_refusals(ticket, dispatcher, colleague, billing_agent):
    from helpline.tickets.mentions import mentions_parse

    found = mentions_parse(
        "@colleague@desk.test @billing@desk.test @ghost@desk.test", ticket, author=dispatcher
    )

    assert found.accepted == [colleague]
    assert found.refused == ["billing@desk.test", "ghost@desk.test"]


def test_a_mention_mails_only_who_chose_it(
    ticket, dispatcher, colleague, requester_a, django_capture_on_commit_callbacks
):
    colleague.staff_notices = [StaffNotice.MENTIONED]
    colleague.save()
    before = set(OutboxMessage.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_note_add(
            ticket=ticket, actor=dispatcher, body="Secret plan @colleague@desk.test"
        )

    letters = OutboxMessage.objects.exclude(pk__in=before)
    assert [len(row.recipients) for row in letters] == [1]
    assert "colleague@desk.test" in letters.get().recipients[0]
    assert "You were mentioned" in letters.get().subject
    # As delivered: the note's text never leaves in a letter; the requester hears nothing.
    delivered = [m for m in mail.outbox if "colleague@desk.test" in m.to[0]]
    assert len(delivered) == 1
    assert "Secret plan" not in delivered[0].message().as_string()
    assert not [m for m in mail.outbox if "alice@acme.test" in m.to[0] and "mentioned" in m.subject]


def test_a_mention_without_the_choice_sends_no_letter(
    ticket, dispatcher, colleague, django_capture_on_commit_callbacks
):
    before = OutboxMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_note_add(ticket=ticket, actor=dispatcher, body="@colleague@desk.test look")

    assert OutboxMessage.objects.count() == before
    assert kinds_of(colleague) == [Kind.MENTIONED]


def test_note_page_tells_the_writer_who_was_not_told(client, ticket, dispatcher, billing_agent):
    client.force_login(dispatcher)
    response = client.post(
        reverse("desk:note", args=[ticket.pk]),
        {"body": "@billing@desk.test have a look", "version": ticket.version},
        follow=True,
    )

    assert response.status_code == 200
    assert "Not told" in response.content.decode()
    assert "billing@desk.test" in response.content.decode()


def test_mention_lookup_lists_colleagues_by_address(client, dispatcher, colleague, billing_agent):
    client.force_login(dispatcher)
    response = client.get(reverse("desk:lookup", args=["mention"]), {"q": "cle"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-value="colleague@desk.test"' in html
    assert "billing@desk.test" not in html


# --- reading and the pages ---------------------------------------------------------------


def test_open_marks_read_and_goes_to_the_request(client, ticket, dispatcher, supervisor):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    row = Notification.objects.get(user=dispatcher)
    client.force_login(dispatcher)

    response = client.post(reverse("notify:open", args=[row.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[ticket.pk])
    row.refresh_from_db()
    assert row.read_at is not None


def test_nobody_opens_another_persons_notification(client, ticket, dispatcher, supervisor):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    row = Notification.objects.get(user=dispatcher)
    client.force_login(supervisor)

    assert client.post(reverse("notify:open", args=[row.pk])).status_code == 404
    with pytest.raises(Exception, match="not yours"):
        notify_services.notification_read(notification=row, actor=supervisor)


def test_mark_all_read(client, ticket, dispatcher, supervisor, colleague):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    services.ticket_note_add(ticket=ticket, actor=colleague, body="@dispatcher@desk.test hi")
    client.force_login(dispatcher)
    assert header_counters(dispatcher).notifications == 2

    response = client.post(reverse("notify:read_all"))

    assert response.status_code == 302
    assert header_counters(dispatcher).notifications == 0


def test_requesters_never_reach_the_centre(client, requester_a):
    client.force_login(requester_a)
    for name in ("notify:list", "notify:counters"):
        assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse("notify:read_all")).status_code == 404


def _notifications(ticket, user, actor, count):
    notify_services.notifications_add(
        users=[user] * count, kind=Kind.ASSIGNED, actor_id=actor.pk, ticket=ticket
    )


@pytest.mark.parametrize("count", [1, 20])
def test_list_page_query_count_is_constant(
    client, django_assert_num_queries, ticket, dispatcher, supervisor, count
):
    _notifications(ticket, dispatcher, supervisor, count)
    client.force_login(dispatcher)
    client.get(reverse("notify:list"))  # warm the reference data
    # session, user, the notifications with their request and actor; the desk sidebar's
    # rights, view counts and saved views (its own template tags).
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("notify:list"))
    assert response.status_code == 200
    assert response.content.decode().count('id="notification-') == count


LIST_QUERIES = 6


@pytest.mark.parametrize("count", [0, 20])
def test_counters_cost_one_query(
    client, django_assert_num_queries, ticket, dispatcher, supervisor, count
):
    _notifications(ticket, dispatcher, supervisor, count)
    client.force_login(dispatcher)
    SiteSettings.current()  # an installation's row, made on its first request
    client.get(reverse("notify:list"))  # the site's settings, read once per process
    # session, user, the reference generation (the site's settings are reference data, every
    # request's middleware reads them), and the one query counting unread notifications and
    # unread mail.
    with django_assert_num_queries(4):
        response = client.get(reverse("notify:counters"))
    html = response.content.decode()
    assert ('data-hl-badge="notifications">20' in html) == (count == 20)
    assert response["Cache-Control"] == "private, no-store"


def test_board_and_ticket_page_do_not_count_the_badges(client, ticket, dispatcher, supervisor):
    # Given unread notifications and internal mail
    from helpline.staffmail.services import message_send

    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    message_send(actor=supervisor, people=[dispatcher], subject="Hi", body="There", ticket=ticket)
    client.force_login(dispatcher)

    # Then the board and the request's page leave the counting to the badges' own request
    # (their exact query counts are asserted in helpline/desk/tests).
    for url in (reverse("desk:board"), reverse("desk:ticket", args=[ticket.pk])):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'hx-get="/desk/notifications/counters/"' in html
        tables = " ".join(q["sql"] for q in queries.captured_queries)
        assert "notify_notification" not in tables and "staffmail_" not in tables


# --- the bell's dropdown ---------------------------------------------------------------------


def test_reading_is_recorded_in_the_event_log_once(client, ticket, dispatcher, supervisor):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    row = Notification.objects.get(user=dispatcher)

    notify_services.notification_read(notification=row, actor=dispatcher)
    notify_services.notification_read(notification=row, actor=dispatcher)  # already read

    (event,) = Event.objects.filter(action="notification.read")
    assert event.actor == dispatcher and event.object_id == str(row.pk)
    assert event.changes == {"kind": Kind.ASSIGNED}


def test_mark_all_read_is_recorded_with_the_ids_and_only_when_something_changed(
    ticket, dispatcher, supervisor, colleague
):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    services.ticket_note_add(ticket=ticket, actor=colleague, body="@dispatcher@desk.test hi")
    ids = sorted(Notification.objects.filter(user=dispatcher).values_list("pk", flat=True))

    assert notify_services.notifications_read_all(actor=dispatcher) == 2
    assert notify_services.notifications_read_all(actor=dispatcher) == 0

    (event,) = Event.objects.filter(action="notification.read_all")
    assert event.actor == dispatcher
    assert event.changes == {"count": 2, "notifications": ids}


def test_the_bell_lists_the_latest_and_marks_one_read_in_place(
    client, ticket, dispatcher, supervisor
):
    _notifications(ticket, dispatcher, supervisor, 10)
    newest = Notification.objects.filter(user=dispatcher).order_by("-pk").first()
    client.force_login(dispatcher)

    html = client.get(reverse("notify:menu"), HTTP_HX_REQUEST="true").content.decode()
    assert html.count('id="bell-notification-') == 8  # the latest few; the centre has the rest
    assert f'id="bell-notification-{newest.pk}"' in html
    assert reverse("notify:list") in html and "Mark all read" in html

    response = client.post(reverse("notify:read", args=[newest.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Trigger"] == "hl-counters"  # the badges refresh
    newest.refresh_from_db()
    assert newest.read_at is not None
    assert reverse("notify:read", args=[newest.pk]) not in response.content.decode()
    assert header_counters(dispatcher).notifications == 9
    assert Event.objects.filter(action="notification.read", object_id=str(newest.pk)).exists()


def test_the_bells_mark_all_read_answers_with_the_list(client, ticket, dispatcher, supervisor):
    _notifications(ticket, dispatcher, supervisor, 3)
    client.force_login(dispatcher)

    response = client.post(reverse("notify:read_all"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and response["HX-Trigger"] == "hl-counters"
    html = response.content.decode()
    assert html.count('id="bell-notification-') == 3 and "hl-unread" not in html
    assert "Mark all read" not in html  # nothing left to mark
    assert header_counters(dispatcher).notifications == 0


def test_a_plain_post_to_mark_read_goes_to_the_centre(client, ticket, dispatcher, supervisor):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    row = Notification.objects.get(user=dispatcher)
    client.force_login(dispatcher)

    response = client.post(reverse("notify:read", args=[row.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("notify:list")
    row.refresh_from_db()
    assert row.read_at is not None


def test_nobody_marks_another_persons_notification(client, ticket, dispatcher, supervisor):
    services.ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    row = Notification.objects.get(user=dispatcher)
    client.force_login(supervisor)

    assert client.post(reverse("notify:read", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None
    html = client.get(reverse("notify:menu")).content.decode()
    assert f"bell-notification-{row.pk}" not in html


def test_the_bells_badge_comes_out_of_band_with_the_counters(
    client, ticket, dispatcher, supervisor
):
    _notifications(ticket, dispatcher, supervisor, 2)
    client.force_login(dispatcher)

    html = client.get(reverse("notify:counters")).content.decode()
    assert '<span id="header-notifications-badge" hx-swap-oob="true">' in html
    page = client.get(reverse("notify:list")).content.decode()
    # The page has the bell with an empty badge (filled by the counters after load), once.
    assert page.count('id="header-notifications-badge"') == 1
    assert 'hx-get="' + reverse("notify:menu") + '"' in page


@pytest.mark.parametrize("count", [1, 20])
def test_bell_query_count_is_constant(
    client, django_assert_num_queries, ticket, dispatcher, supervisor, count
):
    _notifications(ticket, dispatcher, supervisor, count)
    client.force_login(dispatcher)
    SiteSettings.current()  # an installation's row, made on its first request
    client.get(reverse("notify:menu"))  # the site's settings, read once per process
    # session, user, the reference generation (the site's settings), the notifications with
    # their request and actor.
    with django_assert_num_queries(4):
        response = client.get(reverse("notify:menu"), HTTP_HX_REQUEST="true")
    assert response.content.decode().count('id="bell-notification-') == min(count, 8)
