"""Internal mail: sending to people and departments, threads, reading, archive, search, files,
mail to requesters and the portal never carrying it, letters, and query counts."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import StaffNotice
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.mail.models import OutboxMessage
from helpline.notify.models import Kind, Notification
from helpline.notify.selectors import header_counters
from helpline.staffmail import services
from helpline.staffmail.models import Message, Recipient
from helpline.tickets import services as ticket_services
from helpline.tickets.models import Channel


@pytest.fixture
def colleague(support):
    user = StaffFactory(email="colleague@desk.test", first_name="Cleo", support_line=1)
    MembershipFactory(user=user, department=support)
    return user


@pytest.fixture
def ticket(requester_a, support):
    return ticket_services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer on fire",
        body="Smoke everywhere.",
        channel=Channel.PORTAL,
        department=support,
    )


def memo(text: str = "memo text") -> SimpleUploadedFile:
    return SimpleUploadedFile("memo.txt", text.encode() + b" plain text" * 10)


def send(actor, to=(), **kwargs) -> Message:
    kwargs.setdefault("subject", "Rota for December")
    kwargs.setdefault("body", "Who takes the 24th?")
    return services.message_send(actor=actor, people=list(to), **kwargs)


def test_a_message_to_a_person(dispatcher, colleague):
    message = send(dispatcher, [colleague])

    copy = Recipient.objects.get(message=message)
    assert copy.user == colleague and copy.read_at is None and copy.department is None
    assert Notification.objects.get(user=colleague).kind == Kind.MESSAGE
    assert not Recipient.objects.filter(user=dispatcher).exists()
    event = Event.objects.get(action="staffmail.sent")
    assert event.changes["recipients"] == [colleague.pk]


def test_a_message_to_a_department_reaches_every_member_but_the_sender(
    dispatcher, colleague, support, specialist, billing_agent
):
    message = services.message_send(
        actor=billing_agent, subject="Invoices", body="Please check", departments=[support]
    )

    got = dict(Recipient.objects.filter(message=message).values_list("user_id", "department_id"))
    assert got == {dispatcher.pk: support.pk, colleague.pk: support.pk}

    message = services.message_send(
        actor=dispatcher, subject="Team", body="Hello team", departments=[support]
    )
    assert list(Recipient.objects.filter(message=message).values_list("user_id", flat=True)) == [
        colleague.pk
    ]


def test_only_colleagues_one_works_with_can_be_addressed(external, dispatcher, requester_a):
    with pytest.raises(ValidationFailed):
        send(external, [dispatcher])
    with pytest.raises(PermissionDenied):
        send(requester_a, [dispatcher])
    with pytest.raises(ValidationFailed):
        send(dispatcher, [])


def test_a_reply_goes_to_everyone_in_the_thread(dispatcher, colleague, supervisor):
    first = send(dispatcher, [colleague, supervisor])

    answer = services.message_send(actor=colleague, body="I take it", reply_to=first)

    assert answer.thread == first and answer.subject == "Re: Rota for December"
    to = set(Recipient.objects.filter(message=answer).values_list("user_id", flat=True))
    assert to == {dispatcher.pk, supervisor.pk}


def test_a_stranger_cannot_reply(dispatcher, colleague, billing_agent):
    first = send(dispatcher, [colleague])
    with pytest.raises(PermissionDenied):
        services.message_send(actor=billing_agent, body="me too", reply_to=first)


def test_opening_reads_and_clears_the_badges(client, dispatcher, colleague):
    message = send(dispatcher, [colleague])
    assert header_counters(colleague).mail == 1
    assert header_counters(colleague).notifications == 1
    client.force_login(colleague)

    response = client.get(reverse("staffmail:message", args=[message.pk]))

    assert response.status_code == 200
    assert "Who takes the 24th?" in response.content.decode()
    assert header_counters(colleague).mail == 0
    assert header_counters(colleague).notifications == 0


def test_archive_and_back(client, dispatcher, colleague):
    message = send(dispatcher, [colleague])
    client.force_login(colleague)

    client.post(reverse("staffmail:archive_change", args=[message.pk]), {"archived": "1"})
    inbox = client.get(reverse("staffmail:inbox")).content.decode()
    archive = client.get(reverse("staffmail:archive")).content.decode()
    assert "Rota for December" not in inbox and "Rota for December" in archive

    client.post(reverse("staffmail:archive_change", args=[message.pk]), {"archived": "0"})
    assert "Rota for December" in client.get(reverse("staffmail:inbox")).content.decode()
    assert Event.objects.filter(action="staffmail.unarchived").count() == 1


def test_search_inside_the_inbox(client, dispatcher, colleague):
    send(dispatcher, [colleague], subject="Rota for December", body="Who takes the 24th?")
    send(dispatcher, [colleague], subject="Lunch", body="Pizza on Friday")
    client.force_login(colleague)

    html = client.get(reverse("staffmail:inbox"), {"q": "pizza"}).content.decode()

    assert "Lunch" in html and "Rota for December" not in html
    sent = client.get(reverse("staffmail:sent"), {"q": "rota"})
    assert "Rota for December" not in sent.content.decode()  # Cleo sent nothing


def test_compose_page_sends(client, dispatcher, colleague, support):
    client.force_login(dispatcher)
    page = client.get(reverse("staffmail:compose"))
    assert page.status_code == 200

    response = client.post(
        reverse("staffmail:compose"),
        {
            "people": [colleague.pk],
            "subject": "From the page",
            "body": "Text",
            "attachments": [memo()],
        },
    )

    message = Message.objects.get(subject="From the page")
    assert response.status_code == 302
    assert response["Location"] == reverse("staffmail:message", args=[message.pk])
    assert message.files.get().filename == "memo.txt"


def test_compose_refuses_a_request_one_cannot_see(client, billing_agent, dispatcher, ticket):
    client.force_login(dispatcher)
    response = client.post(
        reverse("staffmail:compose"),
        {"people": [StaffFactory(email="x@desk.test").pk], "subject": "s", "body": "b"},
    )
    assert response.status_code == 422
    client.force_login(billing_agent)
    response = client.post(
        reverse("staffmail:compose"),
        {"departments": [ticket.department_id], "subject": "s", "body": "b", "ticket": ticket.pk},
    )
    assert response.status_code == 422
    assert not Message.objects.exists()


def test_files_only_for_participants_and_the_requests_staff(
    client, dispatcher, colleague, billing_agent, supervisor, ticket
):
    message = send(dispatcher, [colleague], ticket=ticket, files=[memo("MEMO-CONTENT")])
    url = reverse("staffmail:file", args=[message.files.get().pk])

    for person, status in ((colleague, 200), (supervisor, 200), (billing_agent, 404)):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == status, person
        if status == 200:
            assert b"MEMO-CONTENT" in b"".join(response.streaming_content)


def test_others_never_open_a_message(client, dispatcher, colleague, supervisor, requester_a):
    message = send(dispatcher, [colleague])
    for person in (supervisor, requester_a):
        client.force_login(person)
        assert client.get(reverse("staffmail:message", args=[message.pk])).status_code == 404


# --- attached to a request: the request's staff see it; the portal and letters never -------


def test_attached_message_shows_on_the_request_to_staff_only(
    client, dispatcher, colleague, supervisor, requester_a, billing_agent, ticket
):
    send(dispatcher, [colleague], ticket=ticket, body="INTERNAL-ONLY-TEXT")
    panel = reverse("staffmail:ticket_panel", args=[ticket.pk])

    client.force_login(supervisor)  # not a participant, but sees the request
    assert "INTERNAL-ONLY-TEXT" in client.get(panel).content.decode()
    client.force_login(billing_agent)
    assert client.get(panel).status_code == 404

    client.force_login(requester_a)
    assert client.get(panel).status_code == 404
    portal = client.get(reverse("portal:request", args=[ticket.pk]))
    assert portal.status_code == 200
    assert "INTERNAL-ONLY-TEXT" not in portal.content.decode()
    assert "Rota for December" not in portal.content.decode()


def test_letters_to_the_requester_never_carry_internal_mail(
    dispatcher, colleague, requester_a, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(dispatcher, [colleague], ticket=ticket, body="INTERNAL-ONLY-TEXT")
        ticket_services.ticket_reply_add(
            ticket=ticket, actor=dispatcher, body="We are on it.", files=[]
        )

    to_requester = [m for m in mail.outbox if any("alice@acme.test" in to for to in m.to)]
    assert to_requester, "the requester got letters"
    for letter in to_requester:
        text = letter.message().as_string()
        assert "INTERNAL-ONLY-TEXT" not in text and "Rota for December" not in text


def test_letters_go_to_who_chose_internal_mail(
    dispatcher, colleague, supervisor, django_capture_on_commit_callbacks
):
    colleague.staff_notices = [StaffNotice.INTERNAL_MAIL]
    colleague.save()

    with django_capture_on_commit_callbacks(execute=True):
        message = send(dispatcher, [colleague, supervisor], body="BODY-NOT-IN-LETTER")

    letters = list(OutboxMessage.objects.all())
    assert len(letters) == 1 and len(letters[0].recipients) == 1
    assert "colleague@desk.test" in letters[0].recipients[0]
    (delivered,) = mail.outbox
    text = delivered.message().as_string()
    assert "BODY-NOT-IN-LETTER" not in text
    assert "Reply-To" not in text
    assert reverse("staffmail:message", args=[message.pk]) in text
    # Idempotent: the task again queues nothing.
    assert services.message_letters(message_id=message.pk) == 0
    assert OutboxMessage.objects.count() == 1


def test_a_lost_letter_task_is_found_by_the_sweep(dispatcher, colleague, supervisor):
    # Given a message sent while no task ran after the commit (a killed worker)
    colleague.staff_notices = [StaffNotice.INTERNAL_MAIL]
    colleague.save()
    message = send(dispatcher, [colleague, supervisor])
    assert not OutboxMessage.objects.exists()
    # When the sweep runs: a young message's task may still be on its way, so it waits
    assert services.message_letters_sweep() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        # Then the letter is written once and every copy is settled
        assert services.message_letters_sweep() == 1
        assert services.message_letters_sweep() == 0
    (letter,) = OutboxMessage.objects.all()
    assert "colleague@desk.test" in letter.recipients[0]
    assert not Recipient.objects.filter(message=message, mailed_at__isnull=True).exists()
    # and the late task, should it still run, writes nothing more
    assert services.message_letters(message_id=message.pk) == 0
    assert OutboxMessage.objects.count() == 1


def test_the_sweep_takes_the_oldest_messages_first_in_batches(dispatcher, colleague):
    colleague.staff_notices = [StaffNotice.INTERNAL_MAIL]
    colleague.save()
    first = send(dispatcher, [colleague], subject="First")
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        send(dispatcher, [colleague], subject="Second")
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert services.message_letters_sweep(batch=1) == 1
        assert list(
            Recipient.objects.filter(mailed_at__isnull=True).values_list(
                "message__subject", flat=True
            )
        ) == ["Second"]
        assert Recipient.objects.get(message=first).mailed_at is not None
        assert services.message_letters_sweep(batch=1) == 1
    assert OutboxMessage.objects.count() == 2


# --- query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20])
def test_inbox_query_count_is_constant(
    client, django_assert_num_queries, dispatcher, colleague, ticket, count
):
    for n in range(count):
        send(dispatcher, [colleague], subject=f"Message {n}", ticket=ticket)
    client.force_login(colleague)
    client.get(reverse("staffmail:inbox"))
    # session, user, the rows with message, sender and request; the sidebar's own tags.
    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get(reverse("staffmail:inbox"))
    assert response.content.decode().count("message-row-") == count


INBOX_QUERIES = 6


@pytest.mark.parametrize("count", [1, 20])
def test_sent_query_count_is_constant(
    client, django_assert_num_queries, dispatcher, colleague, supervisor, count
):
    for n in range(count):
        send(dispatcher, [colleague, supervisor], subject=f"Message {n}")
    client.force_login(dispatcher)
    client.get(reverse("staffmail:sent"))
    # session, user, the messages, their recipients with the people; the sidebar's tags.
    with django_assert_num_queries(INBOX_QUERIES + 1):
        response = client.get(reverse("staffmail:sent"))
    assert response.content.decode().count("message-row-") == count


@pytest.mark.parametrize("count", [1, 20])
def test_thread_and_panel_query_counts_are_constant(
    client, django_assert_num_queries, dispatcher, colleague, ticket, count
):
    first = send(dispatcher, [colleague], ticket=ticket, files=[memo()])
    for _n in range(count - 1):
        services.message_send(actor=colleague, body="and again", reply_to=first)
    client.force_login(dispatcher)
    client.get(reverse("staffmail:message", args=[first.pk]))
    with django_assert_num_queries(THREAD_QUERIES):
        client.get(reverse("staffmail:message", args=[first.pk]))
    client.get(reverse("staffmail:ticket_panel", args=[ticket.pk]))
    with django_assert_num_queries(PANEL_QUERIES):
        response = client.get(reverse("staffmail:ticket_panel", args=[ticket.pk]))
    # The answers belong to the request too.
    assert response.content.decode().count("hl-staff-message") == count


# session, user, the message (access), the thread's ids, the reading (nothing left unread),
# the thread, its recipients, files and departments; the sidebar's own tags (the site settings
# and the agent's rights from the reference data).
THREAD_QUERIES = 13
# session, user, the request (access), the staff's rights, the messages, their recipients with
# the people, files, departments; and the request's access check for the panel (the site
# settings from the reference data).
PANEL_QUERIES = 8


def test_a_word_from_a_body_is_found_by_recipients_only(client, dispatcher, colleague, support):
    from helpline.search import engine
    from helpline.staffmail.access import messages_visible
    from helpline.staffmail.selectors import box_rows

    outsider = StaffFactory(email="outsider@desk.test", first_name="Otto")
    MembershipFactory(user=outsider, department=support)
    message = send(dispatcher, [colleague], subject="Lunch", body="The quarterly reconciliations")
    reply = services.message_send(actor=colleague, body="Spreadsheets attached", reply_to=message)

    # Stems: another form of the word finds it, as the sender, the recipient and in the reply.
    assert [r.message_id for r in box_rows(colleague, "inbox", "reconciliation")] == [message.pk]
    assert [m.pk for m in box_rows(dispatcher, "sent", "reconciliation")] == [message.pk]
    assert [r.message_id for r in box_rows(dispatcher, "inbox", "spreadsheet")] == [reply.pk]
    assert list(box_rows(outsider, "inbox", "reconciliation")) == []
    found = engine.search("staffmail", "reconciliation", among=messages_visible(outsider))
    assert found.hits == []
    client.force_login(outsider)
    html = client.get(reverse("staffmail:inbox"), {"q": "reconciliations"}).content.decode()
    assert "Lunch" not in html
    client.force_login(colleague)
    html = client.get(reverse("staffmail:inbox"), {"q": "reconciliations"}).content.decode()
    assert "Lunch" in html


def test_sender_name_finds_and_malformed_queries_give_no_error(client, dispatcher, colleague):
    from helpline.staffmail.selectors import box_rows

    send(dispatcher, [colleague], subject="Rota for December", body="Who takes the 24th?")
    assert len(box_rows(colleague, "inbox", dispatcher.email)) == 1
    client.force_login(colleague)
    for query in ['"', "(((", "-", "-rota", "OR", "AND NOT", "*", "rota)", "'; DROP", "\x00"]:
        response = client.get(reverse("staffmail:inbox"), {"q": query})
        assert response.status_code == 200, query


def test_the_index_follows_send_and_delete_and_reindex(dispatcher, colleague):
    from io import StringIO

    from django.core.management import call_command

    from helpline.search.models import SearchDocument

    message = send(dispatcher, [colleague])
    reply = services.message_send(actor=colleague, body="I do", reply_to=message)
    rows = SearchDocument.objects.filter(kind="staffmail")
    assert set(rows.values_list("object_id", flat=True)) == {message.pk, reply.pk}
    rows.delete()
    call_command("reindex", "--kind", "staffmail", stdout=StringIO())
    assert rows.count() == 2
    message.delete()  # the thread goes with its first message
    assert rows.count() == 0


def test_a_senders_new_name_finds_their_sent_mail_in_the_same_transaction(
    dispatcher, colleague, admin_user
):
    from django.db import transaction

    from helpline.accounts import services as accounts
    from helpline.staffmail.selectors import box_rows

    message = send(dispatcher, [colleague])
    assert [r.message_id for r in box_rows(colleague, "inbox", "Dagny")] == []
    with transaction.atomic():
        accounts.staff_update(
            user=dispatcher,
            actor=admin_user,
            email="dagny@desk.test",
            first_name="Dagny",
            last_name="Taggart",
            role=dispatcher.role,
            support_line=dispatcher.support_line,
            is_active=True,
        )
        # In the service's transaction: the index changed with the person.
        assert [r.message_id for r in box_rows(colleague, "inbox", "Taggart")] == [message.pk]
    assert [r.message_id for r in box_rows(colleague, "inbox", "dagny@desk.test")] == [message.pk]
    old_name = dispatcher.first_name
    assert [r.message_id for r in box_rows(colleague, "inbox", old_name)] == []


def test_a_sender_reindex_goes_in_batches_and_other_saves_do_not_reindex(
    dispatcher, colleague, monkeypatch, django_assert_num_queries
):
    from helpline.staffmail import search

    first = send(dispatcher, [colleague])
    second = send(dispatcher, [colleague], subject="Another")
    send(colleague, [dispatcher])  # not theirs
    batches = []
    monkeypatch.setattr(search, "REINDEX_BATCH", 1)
    monkeypatch.setattr(search.engine, "index", lambda kind, ids: batches.append(ids) or len(ids))
    assert search.sender_messages_reindex(dispatcher.pk) == 2
    assert batches == [[first.pk], [second.pk]]
    batches.clear()
    with django_assert_num_queries(1):
        dispatcher.save(update_fields=["last_login"])
    assert batches == []
