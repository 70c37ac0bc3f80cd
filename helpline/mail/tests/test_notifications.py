"""Notification letters end to end: a ticket change records a notification in its transaction,
the worker composes the letters after commit and the outbox delivers them over SMTP to a real
server on loopback (aiosmtpd)."""

import email
import email.policy
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import StaffNotice
from helpline.audit.models import Event
from helpline.mail import notifications
from helpline.mail.models import (
    LetterKind,
    LetterTemplate,
    MessageRef,
    Notification,
    OutboxMessage,
)
from helpline.mail.notifications import notification_process, notifications_sweep
from helpline.mail.selectors import ticket_mail_problems
from helpline.mail.services import outbox_sweep
from helpline.tickets.models import Channel, StatusCategory
from helpline.tickets.services import (
    attachment_validate,
    ticket_confirm_solved,
    ticket_create,
    ticket_note_add,
    ticket_reply_add,
    ticket_take,
    ticket_transfer,
    ticket_update,
)
from helpline.tickets.tests.factories import status_of

from .conftest import Sink, free_port

pytestmark = pytest.mark.django_db


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def letters_to(sink: Sink, address: str) -> list:
    return [parsed(raw) for _from, rcpt, raw in sink.received if rcpt == [address]]


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def body_html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def opened(requester_a, support, dispatcher, smtp_sink, django_capture_on_commit_callbacks):
    """Alice opens a request in Support from the portal; every letter is delivered."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Printer jammed",
            body="The printer on floor 2 eats paper.",
            channel=Channel.PORTAL,
            department=support,
        )
    return ticket


def test_received_letter_has_number_link_threading_headers_and_both_parts(
    opened, requester_a, smtp_sink
):
    (letter,) = letters_to(smtp_sink, requester_a.email)
    assert letter["Subject"] == f"[#{opened.pk}] We received your request: Printer jammed"
    assert letter["Auto-Submitted"] == "auto-generated"
    assert opened.reply_token in letter["Message-ID"]
    assert f"+{opened.reply_token}@" in letter["Reply-To"]
    assert letter.get_content_type() == "multipart/alternative"
    text = body_text(letter)
    assert f"#{opened.pk}" in text and "The printer on floor 2 eats paper." in text
    link = "http://localhost" + reverse("portal:request", args=[opened.pk])
    assert link in text
    assert f'<a href="{link}">' in body_html(letter)
    ref = MessageRef.objects.get(ticket=opened)
    assert f"<{ref.message_id}>" == letter["Message-ID"].strip()
    assert ref.direction == "out"
    assert Notification.objects.get().state == Notification.State.DONE


def test_agent_reply_goes_out_with_its_text_and_files_threaded_not_automatic(
    opened, requester_a, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    first = letters_to(smtp_sink, requester_a.email)[0]
    upload = SimpleUploadedFile("steps.txt", b"open tray 2\n", content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(
            ticket=opened,
            actor=dispatcher,
            body="Please open tray 2 and remove the sheet.",
            files=[attachment_validate(upload)],
        )
    reply = letters_to(smtp_sink, requester_a.email)[1]
    assert reply["Auto-Submitted"] is None
    assert "Please open tray 2 and remove the sheet." in body_text(reply)
    assert "Dana" in body_text(reply)
    assert reply["In-Reply-To"].strip() == first["Message-ID"].strip()
    assert first["Message-ID"].strip() in reply["References"]
    names = [part.get_filename() for part in reply.iter_attachments()]
    assert names == ["steps.txt"]
    assert MessageRef.objects.filter(ticket=opened, direction="out").count() == 2


def test_internal_notes_and_their_files_never_go_out(
    opened, requester_a, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    secret = SimpleUploadedFile("salaries.txt", b"secret numbers\n", content_type="text/plain")
    before = len(smtp_sink.received)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_note_add(
            ticket=opened,
            actor=dispatcher,
            body="Internal: the requester is difficult",
            files=[attachment_validate(secret)],
        )
    assert len(smtp_sink.received) == before
    assert Notification.objects.count() == 1  # the "received" one only
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(ticket=opened, actor=dispatcher, body="We are on it.")
    for _from, _rcpt, raw in smtp_sink.received:
        assert b"difficult" not in raw and b"salaries" not in raw and b"secret numbers" not in raw


def test_a_notification_pointing_at_a_note_never_quotes_it(opened, dispatcher, requester_a):
    note = ticket_note_add(ticket=opened, actor=dispatcher, body="Internal only")
    row = Notification.objects.create(
        kind="replied", ticket=opened, entry=note, actor=dispatcher, created_at=timezone.now()
    )
    assert notification_process(notification_id=row.pk) == "done"
    raw = bytes(OutboxMessage.objects.filter(ticket=opened).latest("pk").raw)
    assert b"Internal only" not in raw


def test_a_rolled_back_change_leaves_no_notification(
    opened, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    before = len(smtp_sink.received)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            ticket_reply_add(ticket=opened, actor=dispatcher, body="Never sent")
            raise RuntimeError("the page failed after the reply")
    assert Notification.objects.count() == 1
    assert len(smtp_sink.received) == before


def test_the_portal_and_desk_pages_make_the_same_letters(
    client, requester_a, support, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    client.force_login(requester_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:new"),
            {"ticket_class": "incident", "subject": "VPN down", "description": "Cannot connect."},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    (received,) = letters_to(smtp_sink, requester_a.email)
    assert "VPN down" in received["Subject"]
    ticket = Notification.objects.get().ticket
    client.force_login(dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:reply", args=[ticket.pk]),
            {"body": "Try again now.", "submission": "k-0123456789abcdef0123456789"},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    replies = letters_to(smtp_sink, requester_a.email)
    assert len(replies) == 2 and "Try again now." in body_text(replies[1])


def test_resolved_and_closed_letters_and_none_for_the_requesters_own_confirmation(
    opened, requester_a, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(
            ticket=opened,
            actor=dispatcher,
            body="Replaced the roller.",
            status=status_of(StatusCategory.RESOLVED),
        )
    letters = letters_to(smtp_sink, requester_a.email)
    assert len(letters) == 2  # received + one "resolved" letter that carries the reply
    assert letters[1]["Subject"].endswith("Resolved: Printer jammed")
    assert "Replaced the roller." in body_text(letters[1])
    assert letters[1]["Auto-Submitted"] is None  # the agent's answer, not an automatic notice
    with django_capture_on_commit_callbacks(execute=True):
        ticket_confirm_solved(ticket=opened, actor=requester_a)
    assert len(letters_to(smtp_sink, requester_a.email)) == 2
    assert Notification.objects.filter(kind="closed").get().outcome == []


def test_closing_by_staff_tells_the_requester(
    opened, requester_a, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=opened, actor=dispatcher, status=status_of(StatusCategory.CLOSED))
    letters = letters_to(smtp_sink, requester_a.email)
    assert letters[-1]["Subject"].endswith("Closed: Printer jammed")


def test_staff_letters_follow_each_persons_choices(
    requester_a,
    support,
    dispatcher,
    supervisor,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    dispatcher.staff_notices = [StaffNotice.NEW_IN_DEPARTMENT, StaffNotice.REQUESTER_REPLIED]
    dispatcher.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Screen flickers",
            body="Since Monday.",
            channel=Channel.EMAIL,
            department=support,
        )
    (new,) = letters_to(smtp_sink, dispatcher.email)
    assert new["Subject"] == f"[#{ticket.pk}] New request in Support: Screen flickers"
    assert "http://localhost" + reverse("desk:ticket", args=[ticket.pk]) in body_text(new)
    # taking it herself: no "assigned" letter about her own action
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_take(ticket=ticket, actor=dispatcher)
    assert len(letters_to(smtp_sink, dispatcher.email)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(ticket=ticket, actor=requester_a, body="Still flickering.")
    answered = letters_to(smtp_sink, dispatcher.email)[-1]
    assert "Still flickering." in body_text(answered)
    # she chose no "assigned" letters: the supervisor handing it back to her sends none
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=supervisor, assignee=None)
        ticket_update(ticket=ticket, actor=supervisor, assignee=dispatcher)
    assert len(letters_to(smtp_sink, dispatcher.email)) == 2


def test_assigned_and_transferred_letters(
    opened,
    dispatcher,
    specialist,
    billing,
    billing_agent,
    supervisor,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=opened, actor=supervisor, assignee=dispatcher)
    (assigned,) = letters_to(smtp_sink, dispatcher.email)
    assert "Assigned to you" in assigned["Subject"] and "Sue" in body_text(assigned)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_transfer(ticket=opened, actor=dispatcher, department=billing, reason="Invoice")
    (moved,) = letters_to(smtp_sink, billing_agent.email)
    assert "Transferred to Billing" in moved["Subject"] and "Invoice" in body_text(moved)
    assert len(letters_to(smtp_sink, dispatcher.email)) == 1  # not about her own transfer


def test_letters_come_in_the_recipients_language(
    requester_a, support, smtp_sink, django_capture_on_commit_callbacks
):
    requester_a.language = "nb"
    requester_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Skriveren",
            body="Papirstopp.",
            channel=Channel.PORTAL,
            department=support,
        )
    (letter,) = letters_to(smtp_sink, requester_a.email)
    assert "Vi har mottatt henvendelsen din: Skriveren" in letter["Subject"]
    assert "Hei Alice" in body_text(letter)


def test_department_and_language_templates_win_over_the_shipped_text(
    requester_a, support, billing, smtp_sink, django_capture_on_commit_callbacks
):
    LetterTemplate.objects.create(
        kind=LetterKind.RECEIVED, language="en", subject="All: {{ subject }}", body="All {{ link }}"
    )
    LetterTemplate.objects.create(
        kind=LetterKind.RECEIVED,
        language="en",
        department=support,
        subject="Support got: {{ subject }}",
        body="Support {{ signature }}",
    )
    support.signature = "-- The Support team"
    support.save()
    with django_capture_on_commit_callbacks(execute=True):
        for department in (support, billing):
            ticket_create(
                actor=requester_a,
                requester=requester_a,
                subject=f"In {department.name}",
                body="x",
                channel=Channel.PORTAL,
                department=department,
            )
    first, second = letters_to(smtp_sink, requester_a.email)
    assert first["Subject"].endswith("Support got: In Support")
    assert "-- The Support team" in body_text(first)
    assert second["Subject"].endswith("All: In Billing")


def test_a_template_broken_outside_the_pages_falls_back_to_the_shipped_text(
    requester_a, support, smtp_sink, django_capture_on_commit_callbacks
):
    LetterTemplate.objects.create(
        kind=LetterKind.RECEIVED, language="en", subject="{{ nope }}", body="{% evil %}"
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Fallback",
            body="x",
            channel=Channel.PORTAL,
            department=support,
        )
    (letter,) = letters_to(smtp_sink, requester_a.email)
    assert letter["Subject"].endswith("We received your request: Fallback")


def test_user_text_is_escaped_in_the_html_part(
    requester_a, support, smtp_sink, django_capture_on_commit_callbacks
):
    requester_a.first_name = "<b>Alice</b>"
    requester_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="<img src=x onerror=alert(1)>",
            body='<script>alert("x")</script>',
            channel=Channel.PORTAL,
            department=support,
        )
    (letter,) = letters_to(smtp_sink, requester_a.email)
    html = body_html(letter)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>Alice" not in html and "&lt;b&gt;Alice" in html
    assert '<script>alert("x")</script>' in body_text(letter)  # plain text stays as written


INJECTIONS = [
    "Printer\r\nBcc: evil@attacker.test",
    "Printer\nBcc: evil@attacker.test",
    "Printer\rBcc: evil@attacker.test",
    "Printer\u2028Bcc: evil@attacker.test",
    "Printer\x85Bcc: evil@attacker.test",
    "=?utf-8?q?x=0D=0ABcc=3A_evil=40attacker.test?=",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_header_injection_through_every_user_field_is_impossible(
    payload, requester_a, support, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    # the subject, the requester's and the agent's names, the department and desk names
    requester_a.first_name, requester_a.last_name = payload, payload
    requester_a.save()
    dispatcher.first_name = payload
    dispatcher.staff_notices = [StaffNotice.NEW_IN_DEPARTMENT]
    dispatcher.save()
    support.name = payload[:120]
    support.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject=payload,
            body=payload,
            channel=Channel.EMAIL,
            department=support,
        )
        ticket_reply_add(ticket=ticket, actor=dispatcher, body=payload)
    assert len(smtp_sink.received) == 3
    for _mail_from, rcpt_tos, raw in smtp_sink.received:
        assert rcpt_tos in ([requester_a.email], [dispatcher.email])
        message = parsed(raw)
        assert message["Bcc"] is None
        assert len(message.get_all("To")) == 1
        assert [a.addr_spec for a in message["To"].addresses] == rcpt_tos
        for address_header in ("From", "Reply-To"):
            assert "attacker" not in message[address_header].addresses[0].addr_spec
        headers = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
        for line in headers.split(b"\n"):
            assert not line.lower().startswith(b"bcc"), line
        subject = str(message["Subject"])
        assert "\n" not in subject and "\r" not in subject and "\u2028" not in subject


def test_an_address_with_a_line_break_is_refused_not_sent(
    requester_a, support, smtp_sink, django_capture_on_commit_callbacks
):
    from helpline.accounts.models import User

    User.objects.filter(pk=requester_a.pk).update(email="alice@acme.test\r\nBcc: evil@x.test")
    requester_a.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="x",
            body="x",
            channel=Channel.PORTAL,
            department=support,
        )
    assert smtp_sink.received == []
    (record,) = Notification.objects.get().outcome
    assert record["outcome"] == "invalid address"


def test_automatic_letters_per_recipient_per_hour_are_limited_but_replies_go(
    requester_a, support, dispatcher, settings, smtp_sink, django_capture_on_commit_callbacks
):
    settings.MAIL_AUTO_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        tickets = [
            ticket_create(
                actor=requester_a,
                requester=requester_a,
                subject=f"Loop {n}",
                body="x",
                channel=Channel.EMAIL,
                department=support,
            )
            for n in range(4)
        ]
    assert len(letters_to(smtp_sink, requester_a.email)) == 2
    limited = [row.outcome[0]["outcome"] for row in Notification.objects.order_by("pk")]
    assert limited == ["queued", "queued", "hourly limit", "hourly limit"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(ticket=tickets[0], actor=dispatcher, body="A human answer")
    assert len(letters_to(smtp_sink, requester_a.email)) == 3
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            ticket_create(
                actor=requester_a,
                requester=requester_a,
                subject="Later",
                body="x",
                channel=Channel.EMAIL,
                department=support,
            )
    assert len(letters_to(smtp_sink, requester_a.email)) == 4


def test_smtp_down_for_an_hour_loses_nothing(
    requester_a, support, dispatcher, settings, smtp_down, django_capture_on_commit_callbacks
):
    """The server is down: letters wait with the error (visible on the request), are retried
    with growing pauses, and all arrive once it is back on the same port."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="While down",
            body="x",
            channel=Channel.PORTAL,
            department=support,
        )
        ticket_reply_add(ticket=ticket, actor=dispatcher, body="Answer while down")
    rows = list(OutboxMessage.objects.filter(ticket=ticket).order_by("pk"))
    assert [r.status for r in rows] == ["queued", "queued"]
    assert all(r.last_error for r in rows)
    problems = ticket_mail_problems(ticket.pk)
    assert [(p.source, p.state) for p in problems] == [("letter", "queued")] * 2
    assert "Connection refused" in problems[0].error
    # an hour of retries: every due attempt fails, nothing is given up
    start = timezone.now()
    for minute in range(0, 61, 5):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            outbox_sweep()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"queued"}
    # the server comes back on the same port
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        with time_machine.travel(start + timedelta(hours=3), tick=False):
            outbox_sweep()
    finally:
        controller.stop()
    assert sorted(rcpt[0] for _f, rcpt, _raw in sink.received) == [requester_a.email] * 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert ticket_mail_problems(ticket.pk) == []


def test_a_lost_task_is_found_by_the_sweep(requester_a, support, smtp_sink):
    # no on-commit execution: the task that should have run never did
    ticket = ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Lost task",
        body="x",
        channel=Channel.PORTAL,
        department=support,
    )
    row = Notification.objects.get(ticket=ticket)
    assert row.state == Notification.State.PENDING
    assert notifications_sweep() == 0  # too young: its task may still be running
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert notifications_sweep() == 1
    row.refresh_from_db()
    assert row.state == Notification.State.DONE
    assert OutboxMessage.objects.filter(ticket=ticket).count() == 1
    assert notification_process(notification_id=row.pk) == "skipped"  # never twice


def test_a_failing_notification_is_retried_then_failed_in_the_log(opened, requester_a, monkeypatch):
    row = Notification.objects.create(kind="closed", ticket=opened, created_at=timezone.now())

    def broken(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(notifications, "letter_compose", broken)
    outcomes = [notification_process(notification_id=row.pk) for _ in range(5)]
    assert outcomes == ["retry"] * 4 + ["failed"]
    row.refresh_from_db()
    assert row.state == Notification.State.FAILED and "renderer exploded" in row.error
    assert OutboxMessage.objects.filter(ticket=opened).count() == 1  # nothing half-queued
    assert Event.objects.filter(action="mail.notification_failed").exists()
    (problem,) = ticket_mail_problems(opened.pk)
    assert (problem.source, problem.what, problem.state) == ("notification", "closed", "failed")
    assert "renderer exploded" in problem.error


def test_mail_sent_from_the_department_mailbox_with_its_reply_address(
    requester_a, support, smtp_sink, django_capture_on_commit_callbacks
):
    from helpline.mail.models import Mailbox

    Mailbox.objects.create(name="Support", address="Support@Acme-Help.test", department=support)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="From the mailbox",
            body="x",
            channel=Channel.PORTAL,
            department=support,
        )
    mail_from, _rcpt, raw = smtp_sink.received[0]
    letter = parsed(raw)
    assert mail_from == "support@acme-help.test"
    assert letter["From"].addresses[0].addr_spec == "support@acme-help.test"
    assert letter["Reply-To"].addresses[0].addr_spec == (
        f"support+{ticket.reply_token}@acme-help.test"
    )
    assert letter["Message-ID"].endswith("@acme-help.test>")


def test_undelivered_letters_show_on_the_request_page(
    client, requester_a, support, dispatcher, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Nobody hears",
            body="x",
            channel=Channel.PORTAL,
            department=support,
        )
    client.force_login(dispatcher)
    html = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert f'id="ticket-{ticket.pk}-mail-problems"' in html
    assert "We received your request: Nobody hears" in html and "refused" in html
    OutboxMessage.objects.update(status=OutboxMessage.Status.SENT, last_error="")
    html = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert "mail-problems" not in html


def test_the_mail_path_makes_the_same_letters_and_answers_thread_back(
    support, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    """A request by mail gets the "received" letter in its thread (In-Reply-To the requester's
    message); the requester's answer to that letter joins the same request and tells the
    responsible person."""
    from helpline.mail.ingest import receive
    from helpline.mail.models import Mailbox

    mailbox = Mailbox.objects.create(name="Help", address="help@desk.test", department=support)
    dispatcher.staff_notices = [StaffNotice.REQUESTER_REPLIED]
    dispatcher.save()
    first = (
        b"From: Petra Hansen <petra@initech.test>\r\nTo: help@desk.test\r\n"
        b"Subject: Laptop broken\r\nMessage-ID: <first@initech.test>\r\n"
        b"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n\r\nThe screen is black.\r\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        receipt = receive(first, mailbox=mailbox)
    ticket = receipt.ticket
    (received,) = letters_to(smtp_sink, "petra@initech.test")
    assert received["In-Reply-To"].strip() == "<first@initech.test>"
    assert received["Subject"].startswith(f"[#{ticket.pk}] ")
    assert smtp_sink.received[0][0] == "help@desk.test"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=dispatcher, assignee=dispatcher)
    answer = (
        b"From: Petra Hansen <petra@initech.test>\r\n"
        + f"To: {received['Reply-To']}\r\n".encode()
        + f"Subject: Re: {received['Subject']}\r\n".encode()
        + b"Message-ID: <second@initech.test>\r\n"
        + f"In-Reply-To: {received['Message-ID'].strip()}\r\n".encode()
        + b"Date: Sat, 05 Dec 2026 11:00:00 +0000\r\n\r\nStill black after a restart.\r\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = receive(answer, mailbox=mailbox)
    assert again.ticket.pk == ticket.pk
    (told,) = letters_to(smtp_sink, dispatcher.email)
    assert "Still black after a restart." in body_text(told)


def test_escalation_tells_the_next_line_and_a_hand_over_tells_the_supervisor(
    opened,
    dispatcher,
    specialist,
    supervisor,
    software,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    from helpline.tickets.services import ticket_escalate, ticket_hand_to_supervisor

    # Given the dispatcher escalates to Software (2nd line): nobody is responsible, so the
    # 2nd-line people who can see it are told; the 1st-line dispatcher who acted is not
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_escalate(
            ticket=opened, actor=dispatcher, department=software, reason="Needs a developer"
        )
    (escalated,) = letters_to(smtp_sink, specialist.email)
    assert escalated["Subject"].endswith("Escalated: Printer jammed")
    assert "Needs a developer" in body_text(escalated)
    assert letters_to(smtp_sink, dispatcher.email) == []
    # When the specialist hands it to the supervisor, the supervisor hears of it
    with django_capture_on_commit_callbacks(execute=True):
        ticket_hand_to_supervisor(
            ticket=ticket, actor=specialist, supervisor=supervisor, reason="Customer escalation"
        )
    (handed,) = letters_to(smtp_sink, supervisor.email)
    assert "Assigned to you" in handed["Subject"]


def test_a_mailbox_with_its_own_smtp_server_sends_its_letters_there(
    requester_a, support, smtp_sink, django_capture_on_commit_callbacks
):
    """Letters about a request in a department with a mailbox that has its own SMTP server
    go through that server (`Mailbox.email_backend()`); the installation's server gets none."""
    from helpline.mail.models import Mailbox

    own = Sink()
    controller = Controller(own, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        mailbox = Mailbox.objects.create(
            name="Support", address="support@own-server.test", department=support
        )
        Mailbox.objects.filter(pk=mailbox.pk).update(
            smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none"
        )
        with django_capture_on_commit_callbacks(execute=True):
            ticket_create(
                actor=requester_a,
                requester=requester_a,
                subject="Own server",
                body="x",
                channel=Channel.PORTAL,
                department=support,
            )
    finally:
        controller.stop()
    assert smtp_sink.received == []
    ((mail_from, rcpt, raw),) = own.received
    assert (mail_from, rcpt) == ("support@own-server.test", [requester_a.email])
    assert parsed(raw)["Subject"].endswith("We received your request: Own server")


def test_an_address_that_bounced_gets_no_automatic_letters_for_a_day_but_replies(
    requester_a, support, dispatcher, smtp_sink, django_capture_on_commit_callbacks
):
    from helpline.mail.models import BouncingAddress

    BouncingAddress.objects.create(address=requester_a.email.upper().lower())
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Bouncing",
            body="x",
            channel=Channel.EMAIL,
            department=support,
        )
        ticket_reply_add(ticket=ticket, actor=dispatcher, body="A human answer")
    (only,) = letters_to(smtp_sink, requester_a.email)
    assert "A human answer" in body_text(only)
    received = Notification.objects.get(kind="created")
    assert received.outcome[0]["outcome"] == "address bouncing"
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            ticket_update(ticket=ticket, actor=dispatcher, status=status_of(StatusCategory.CLOSED))
    assert len(letters_to(smtp_sink, requester_a.email)) == 2
