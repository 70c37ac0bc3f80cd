"""Reply tokens, our Message-IDs and plus-addresses, MessageRef lookups, subject hints."""

import pytest

from helpline.mail import threading
from helpline.mail.models import Direction, Mailbox, MessageRef
from helpline.tickets.models import reply_token_new
from helpline.tickets.tests.factories import TicketFactory
from helpline.tickets.tests.test_history_migration import migrate, scratch  # noqa: F401, F811

pytestmark = pytest.mark.django_db


def test_every_ticket_has_its_own_unguessable_token():
    first, second = TicketFactory(), TicketFactory()
    assert first.reply_token != second.reply_token
    assert len(first.reply_token) == 24
    assert len({reply_token_new() for _ in range(1000)}) == 1000


def test_our_message_id_carries_the_token_and_is_unique(settings):
    settings.DEFAULT_FROM_EMAIL = "Help <help@desk.example>"
    ticket = TicketFactory()
    one, two = threading.make_message_id(ticket), threading.make_message_id(ticket)
    assert one != two
    assert one.startswith("<hl.") and one.endswith("@desk.example>")
    assert threading.token_from(message_ids=[one]) == ticket.reply_token
    assert threading.ticket_for_token(threading.token_from(message_ids=[two])) == ticket
    assert threading.make_message_id(ticket, domain="x@mail.test").endswith("@mail.test>")


def test_reply_address_round_trip():
    ticket = TicketFactory()
    address = threading.reply_address("Support@Desk.Example", ticket.reply_token)
    assert address == f"Support+{ticket.reply_token}@desk.example"
    assert threading.token_from(addresses=["other@x.test", address]) == ticket.reply_token
    assert threading.address_without_token(address) == "support@desk.example"
    # An existing plus part of the mailbox address is replaced, not nested.
    assert threading.reply_address("a+b@x.test", "t") == "a+t@x.test"


@pytest.mark.parametrize(
    "value",
    [
        "support+short@x.test",
        "support+" + "a" * 24 + "x@x.test",
        "<hl.notatoken.abc@x.test>",
        "<random@x.test>",
        "",
    ],
)
def test_no_token_in_lookalikes(value):
    assert threading.token_from(addresses=[value], message_ids=[value]) is None


def test_unknown_token_finds_nothing():
    TicketFactory()
    assert threading.ticket_for_token("a" * 24) is None
    assert threading.ticket_for_token("' OR 1=1 --") is None
    assert threading.ticket_for_token(None) is None


def test_known_id_deep_in_references_finds_the_ticket():
    ticket = TicketFactory()
    threading.message_ref_record(message_id="<root@x.test>", ticket=ticket, direction="in")
    found = threading.ticket_for_message_ids(
        ["unknown-1@y.test", *[f"n{i}@y.test" for i in range(30)], "root@x.test"]
    )
    assert found == ticket
    assert threading.ticket_for_message_ids(["nothing@x.test"]) is None
    assert threading.ticket_for_message_ids([]) is None


def test_in_reply_to_wins_over_references_and_own_mailbox_first():
    first, second = TicketFactory(), TicketFactory()
    box = Mailbox.objects.create(name="Main", address="help@x.test")
    threading.message_ref_record(message_id="a@x", ticket=first, direction="out")
    threading.message_ref_record(message_id="b@x", ticket=second, direction="out")
    assert threading.ticket_for_message_ids(["b@x", "a@x"]) == second
    threading.message_ref_record(message_id="c@x", ticket=first, direction="in")
    threading.message_ref_record(message_id="c@x", ticket=second, direction="in", mailbox=box)
    assert threading.ticket_for_message_ids(["c@x"], mailbox=box) == second
    assert threading.ticket_for_message_ids(["c@x"]) == first


def test_message_ref_is_unique_per_mailbox():
    ticket, other = TicketFactory(), TicketFactory()
    box = Mailbox.objects.create(name="Main", address="help@x.test")
    one = threading.message_ref_record(message_id="<m@x>", ticket=ticket, direction="in")
    again = threading.message_ref_record(message_id="m@x", ticket=other, direction="in")
    assert one == again and again.ticket == ticket
    in_box = threading.message_ref_record(
        message_id="m@x", ticket=ticket, direction=Direction.IN, mailbox=box
    )
    assert in_box != one
    assert MessageRef.objects.count() == 2
    assert threading.message_ref_record(message_id="  ", ticket=ticket, direction="in") is None


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("Re: Printer", "Printer"),
        ("RE: re: Fwd: Printer", "Printer"),
        ("SV: VS: Printer", "Printer"),
        ("AW: WG: Drucker", "Drucker"),
        ("Ответ: Отв: Принтер", "Принтер"),
        ("Re[2]: Printer", "Printer"),
        ("Re：Printer", "Printer"),
        ("Regarding printers", "Regarding printers"),
        ("Sverige", "Sverige"),
    ],
)
def test_prefixes_are_ignored(subject, clean):
    assert threading.subject_without_prefixes(subject) == clean


def test_subject_number_is_read():
    assert threading.subject_ticket_number("Re: [#1234] Printer") == 1234
    assert threading.subject_ticket_number("Printer #1234") is None
    assert threading.subject_ticket_number("") is None


def test_migration_gives_existing_tickets_tokens(scratch):  # noqa: F811
    # A database of its own (the shared test database must not go back and forth).
    apps = migrate(scratch, [("tickets", "0008_attachment_sha256"), ("mail", "0001_initial")])
    alias = scratch.alias
    Ticket = apps.get_model("tickets", "Ticket")
    department = apps.get_model("accounts", "Department").objects.using(alias).create(name="D")
    user = apps.get_model("accounts", "User").objects.using(alias).create(email="u@x.test")
    Status = apps.get_model("tickets", "Status")
    status = Status.objects.using(alias).first()
    for n in range(3):
        Ticket.objects.using(alias).create(
            subject=f"T{n}",
            status=status,
            status_category=status.category,
            department=department,
            requester=user,
            channel="email",
        )
    apps = migrate(scratch, [("tickets", "0009_ticket_reply_token")])
    rows = apps.get_model("tickets", "Ticket").objects.using(alias)
    tokens = list(rows.values_list("reply_token", flat=True))
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert all(len(token) == 24 for token in tokens)
