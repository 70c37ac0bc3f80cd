"""The whole mail channel over real servers: a requester's mail is fetched over IMAP from
Dovecot and opens a request; the agent's reply goes out over the mailbox's own SMTP server
(aiosmtpd); the requester answers that letter, the answer is fetched over IMAP again and joins
the same request. Runs on SQLite and on PostgreSQL like every test."""

import email
import email.policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from helpline.mail.models import Direction, Mailbox, MailMessage
from helpline.mail.polling import mailbox_poll
from helpline.tickets.models import Entry, EntryKind, Ticket
from helpline.tickets.services import ticket_reply_add

from .conftest import free_port
from .messages import mail

pytestmark = pytest.mark.django_db


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_mail_in_reply_out_answer_in_joins_the_same_request(
    protocol, dovecot, smtp_sink, settings, support, dispatcher, django_capture_on_commit_callbacks
):
    settings.MAIL_TLS_CA_FILE, settings.MAIL_TIMEOUT = dovecot.cafile, 15
    # The installation's own SMTP server is down: letters must leave through the mailbox's.
    sink_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()
    account = dovecot.account()
    mailbox = Mailbox.objects.create(
        name="Help",
        address=account.address,
        department=support,
        protocol=protocol,
        host=dovecot.host,
        port=dovecot.imaps_port if protocol == "imap" else dovecot.pop3s_port,
        security=Mailbox.Security.TLS,
        username=account.username,
        password=account.password,
        smtp_host="127.0.0.1",
        smtp_port=sink_port,
        smtp_security=Mailbox.Security.NONE,
    )
    customer = "carol@client.test"

    # Given Carol writes to the help desk
    account.deliver(
        mail(
            sender=f"Carol Client <{customer}>",
            to=account.address,
            subject="VPN drops every hour",
            body="Since Monday the VPN drops every hour.",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = mailbox_poll(mailbox=mailbox)
    assert (report.fetched, report.error) == (1, ""), report
    ticket = Ticket.objects.get()
    assert ticket.subject == "VPN drops every hour" and ticket.department == support
    assert ticket.requester.email == customer
    assert account.messages() == []

    # When an agent answers in the desk, the letter leaves over the mailbox's SMTP server
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply_add(
            ticket=ticket, actor=dispatcher, body="Please update the VPN client to 5.2."
        )
    letters = [parsed(raw) for _from, rcpt, raw in smtp_sink.received if rcpt == [customer]]
    reply = next(
        m for m in letters if "update the VPN client" in m.get_body(("plain",)).get_content()
    )
    assert reply["From"].addresses[0].addr_spec == account.address

    # and Carol answers that letter from her mail program
    answer = EmailMessage()
    answer["From"] = f"Carol Client <{customer}>"
    answer["To"] = str(reply["Reply-To"])
    answer["Subject"] = f"Re: {reply['Subject']}"
    answer["Message-ID"] = make_msgid(domain="client.test")
    answer["In-Reply-To"] = reply["Message-ID"]
    answer["References"] = reply["Message-ID"]
    answer.set_content("Updated, and it still drops.\n\n> Please update the VPN client to 5.2.\n")
    account.deliver(answer.as_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        report = mailbox_poll(mailbox=mailbox)

    # Then the answer joins the same request, from Carol, as a reply
    assert dict(report.outcomes) == {"appended": 1}, report
    assert Ticket.objects.count() == 1
    last = Entry.objects.filter(ticket=ticket).order_by("-pk").first()
    assert last.kind == EntryKind.REPLY and "still drops" in last.body
    assert last.author == ticket.requester
    assert MailMessage.objects.filter(direction=Direction.IN, mailbox=mailbox).count() == 2
    assert account.messages() == []
