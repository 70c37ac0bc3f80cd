"""Which ticket a message belongs to: our Message-IDs and reply addresses carry the ticket's
reply token, every Message-ID sent or received is recorded (MessageRef), and the "[#N]" in a
subject is only a hint (docs/decisions, "Mail threading and sender identity").

Used by mail-out for outgoing mail (make_message_id, reply_address, message_ref_record) and by
ingestion for incoming mail (token_from, ticket_for_message_ids, subject_ticket_number).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction

if TYPE_CHECKING:
    from helpline.tickets.models import Entry, Ticket

    from .models import Mailbox, MessageRef

# reply_token_new(): 15 random bytes in lower-case base32, exactly 24 characters.
TOKEN_RE = r"[a-z2-7]{24}"  # noqa: S105 - a pattern, not a secret
MESSAGE_ID_PREFIX = "hl"
_ID_TOKEN = re.compile(rf"^{MESSAGE_ID_PREFIX}\.({TOKEN_RE})\.[0-9a-f]+@", re.IGNORECASE)
_PLUS_TOKEN = re.compile(rf"^[^@+]+\+({TOKEN_RE})@", re.IGNORECASE)
# Reply and forward prefixes of common mail clients in the languages we serve and a few more:
# "Re:", "RE[2]:", "Fwd:", "SV:" (Norwegian/Swedish), "VS:", "AW:"/"WG:" (German),
# "Ответ:"/"Отв:"/"Re:" (Russian), "TR:" (French), "R:" (Italian).
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|sv|vs|aw|wg|tr|r|antw|rif|ответ|отв|пересл|пер)\s*(?:\[\d+\]|\(\d+\))?"
    r"\s*[:：]\s*)+",
    re.IGNORECASE,
)
_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")


def _domain(domain: str | None = None) -> str:
    if domain:
        return domain.rsplit("@", 1)[-1].strip().lower() or "localhost"
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "") or "helpline@localhost"
    sender = sender.rsplit("<", 1)[-1].rstrip(">")
    return sender.rsplit("@", 1)[-1].strip().lower() or "localhost"


def bare_message_id(value: str) -> str:
    """A Message-ID without angle brackets and surrounding space (how they are stored)."""
    value = (value or "").strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value


def make_message_id(ticket: Ticket, *, domain: str | None = None) -> str:
    """A new Message-ID for mail about `ticket`, with angle brackets, ready for the header.

    It carries the ticket's reply token, so an answer to it finds the ticket even when the
    recipient's client drops our Reply-To; the random tail keeps each message's id unique.
    `domain` (an address or a domain) defaults to DEFAULT_FROM_EMAIL's domain.
    """
    return f"<{MESSAGE_ID_PREFIX}.{ticket.reply_token}.{uuid.uuid4().hex}@{_domain(domain)}>"


def reply_address(mailbox_address: str, token: str) -> str:
    """The plus-address for replies about one ticket: support@x.org -> support+TOKEN@x.org.

    Mail servers deliver plus-addresses to the base mailbox (Postfix recipient_delimiter,
    Gmail, Microsoft 365 with plus addressing on)."""
    local, _, domain = mailbox_address.strip().partition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{token}@{domain.lower()}"


def address_without_token(address: str) -> str:
    """support+TOKEN@x.org -> support@x.org; other addresses unchanged (lower-cased)."""
    address = address.strip().lower()
    match = _PLUS_TOKEN.match(address)
    if not match:
        return address
    local, _, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def token_from(*, addresses: Iterable[str] = (), message_ids: Iterable[str] = ()) -> str | None:
    """The first reply token found in recipient addresses (plus-address) or in Message-IDs we
    made (In-Reply-To, References), or None. Only the format is checked here; the ticket
    lookup (ticket_for_token) decides whether the token is real."""
    for address in addresses:
        match = _PLUS_TOKEN.match((address or "").strip())
        if match:
            return match.group(1).lower()
    for message_id in message_ids:
        match = _ID_TOKEN.match(bare_message_id(message_id or ""))
        if match:
            return match.group(1).lower()
    return None


def _locked_for(connection) -> tuple[str, str]:
    """The row lock clauses of a locked look-up (PostgreSQL's; SQLite's IMMEDIATE transaction
    already holds the database's write lock): for the request alone, and for it in a join."""
    if connection.vendor != "postgresql":
        return "", ""
    return " FOR NO KEY UPDATE", " FOR NO KEY UPDATE OF t"


def _locked_columns() -> str:
    """The request's columns for a locked look-up (alias t), and whether it has watchers."""
    from helpline.core import fixedsql
    from helpline.tickets.models import Ticket

    field: Any = Ticket._meta.get_field("watchers")
    through = field.remote_field.through._meta.db_table
    # Only the models' table and column names are interpolated.
    watched = f"EXISTS (SELECT 1 FROM {through} w WHERE w.{field.m2m_column_name()} = t.id)"  # noqa: S608
    return f"{fixedsql.select_columns(Ticket, 't')}, {watched}"


def _locked_ticket(row) -> Ticket:
    """The request from a `_locked_columns` row. Without watchers it says so (an empty
    prefetched list): the notices of an answer ask for them (`staff_concerned`)."""
    from helpline.core import fixedsql
    from helpline.tickets.models import Ticket

    ticket = fixedsql.instance(Ticket, row[:-1])
    if not row[-1]:
        ticket._prefetched_objects_cache = {  # type: ignore[attr-defined]
            "watchers": ticket.watchers.none()
        }
    return ticket


def ticket_for_token(token: str | None, *, lock: bool = False) -> Ticket | None:
    """The request whose reply token this is; `lock` reads it under its row lock (inside a
    transaction: the mail intake, which writes to it next)."""
    from django.db import connection

    from helpline.tickets.models import Ticket

    if not token or not re.fullmatch(TOKEN_RE, token):
        return None
    if not lock:
        # No ORDER BY (the token is unique): one index probe.
        return next(iter(Ticket.objects.filter(reply_token=token)[:1]), None)
    # The intake's look-up, for every answer: a fixed statement (helpline.core.fixedsql).
    # FOR NO KEY UPDATE as `locked` takes it (tickets.services); no ORDER BY: one index probe.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_locked_columns()} FROM tickets_ticket t"  # noqa: S608
            " WHERE t.reply_token = %s LIMIT 1" + _locked_for(connection)[0],
            [token],
        )
        row = cursor.fetchone()
    return _locked_ticket(row) if row is not None else None


def ticket_for_message_ids(
    message_ids: Iterable[str], *, mailbox: Mailbox | None = None, lock: bool = False
) -> Ticket | None:
    """The ticket of the first known id among `message_ids` (In-Reply-To first, then the
    References from the newest back, so a known id deep in References still counts). `lock`
    reads the requests under their row locks (inside a transaction), the ids' rows unlocked;
    several requests are locked in ascending id order, as `locked_together` takes them."""
    from django.db import connection

    from .models import MessageRef

    ids = [bare_message_id(value) for value in message_ids if value and value.strip()]
    ids = [value for value in dict.fromkeys(ids) if len(value) <= 998][:100]
    if not ids:
        return None
    mailbox_id = mailbox.pk if mailbox else None
    found: list[tuple[str, int | None, Ticket]]
    if lock:
        # The intake's look-up, for every answer: a fixed statement (helpline.core.fixedsql),
        # the tables being MessageRef's and Ticket's.
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT r.message_id, r.mailbox_id, {_locked_columns()}"  # noqa: S608
                " FROM mail_messageref r JOIN tickets_ticket t ON t.id = r.ticket_id"
                f" WHERE r.message_id IN ({marks}) ORDER BY r.ticket_id"
                + _locked_for(connection)[1],
                ids,
            )
            found = [(r[0], r[1], _locked_ticket(r[2:])) for r in cursor.fetchall()]
    else:
        refs: list[MessageRef] = list(
            MessageRef.objects.filter(message_id__in=ids)
            .select_related("ticket")
            .only("message_id", "mailbox_id", "ticket")
        )
        found = [(ref.message_id, ref.mailbox_id, ref.ticket) for ref in refs]
    if not found:
        return None

    def rank(item: tuple[str, int | None, Ticket]) -> tuple[int, int]:
        # Earlier in the list first; the same mailbox before another one.
        return (ids.index(item[0]), 0 if item[1] == mailbox_id else 1)

    return min(found, key=rank)[2]


def message_ref_record(
    *,
    message_id: str,
    ticket: Ticket,
    direction: str,
    entry: Entry | None = None,
    mailbox: Mailbox | None = None,
) -> MessageRef | None:
    """Record a Message-ID we sent ("out") or received ("in") for `ticket`; a repeat of the
    same id in the same mailbox keeps the first record. Returns the record (None for an empty
    id). Runs in the caller's transaction (a savepoint absorbs the duplicate)."""
    from .models import MessageRef

    message_id = bare_message_id(message_id)
    if not message_id or len(message_id) > 998:
        return None
    existing = MessageRef.objects.filter(mailbox=mailbox, message_id=message_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return MessageRef.objects.create(
                mailbox=mailbox,
                message_id=message_id,
                ticket=ticket,
                entry=entry,
                direction=direction,
            )
    except IntegrityError:
        return MessageRef.objects.filter(mailbox=mailbox, message_id=message_id).first()


def subject_without_prefixes(subject: str) -> str:
    """ "Re: SV: AW: Ответ: Printer" -> "Printer"."""
    return _PREFIX.sub("", subject or "").strip()


def subject_ticket_number(subject: str) -> int | None:
    """The number in a "[#1234]" tag of the subject, or None. Only a hint: ingestion trusts
    it only when the sender is already a participant of that ticket."""
    match = _SUBJECT_NUMBER.search(subject or "")
    return int(match.group(1)) if match else None


def subject_tag(ticket: Ticket) -> str:
    """The tag outgoing mail puts in the subject: "[#1234]"."""
    return f"[#{ticket.pk}]"
