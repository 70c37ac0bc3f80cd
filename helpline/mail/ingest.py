"""Receiving one message: parse, recognise repeats, apply stop rules and loop protection, find
its ticket and store it as an entry (or in the quarantine) in one transaction.

`receive()` is the single way in for every mail path (`helpline mail-in`, the mailbox poller,
releasing from the quarantine). It never loses a message: whatever cannot become an entry is
kept raw in the quarantine with the reason; only a temporary failure (the database or the
storage unreachable) raises, as TemporaryFailure, so the caller leaves the message where it is
and tries again later. Decision record: docs/decisions, "Mail threading and sender identity".
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from threading import local
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import F
from django.utils.translation import gettext as _

from helpline.accounts.addresses import address_normalise, user_by_address
from helpline.accounts.models import Organisation, User
from helpline.accounts.services import (
    RequesterLookup,
    StaffAddressRefused,
    requester_register,
)
from helpline.audit.services import event_record
from helpline.core import clock, fixedsql, reference
from helpline.core.atomic import services_without_savepoints
from helpline.core.errors import DomainError, ValidationFailed
from helpline.core.models import SiteSettings
from helpline.tickets.access import Action, can
from helpline.tickets.models import Channel, Entry, StatusCategory, Ticket
from helpline.tickets.services import (
    attachment_validate,
    locked_read,
    ticket_closed_reopen,
    ticket_follow_up_create,
    ticket_mail_note_add,
    ticket_open,
    ticket_reply_add,
)

from . import threading
from .models import (
    BouncingAddress,
    Direction,
    Mailbox,
    MailFlag,
    MailMessage,
    MessageRef,
    QuarantinedMail,
    StopRule,
    StopRuleHit,
)
from .parsing import REFUSED_LABELS, ParsedMail, UnparseableMail, parse_message
from .reference import own_addresses, stop_rules_active

if TYPE_CHECKING:
    from helpline.tickets.services.attachments import CheckedFile

log = logging.getLogger(__name__)
Reason = QuarantinedMail.Reason


class TemporaryFailure(Exception):
    """Nothing was stored and trying again later may work (database or storage unreachable):
    `helpline mail-in` exits 75 so the MTA retries; the poller leaves the message on the
    server."""


class Outcome:
    CREATED = "created"
    APPENDED = "appended"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    DROPPED = "dropped"
    AUTO_REPLY = "recorded-auto-reply"
    BOUNCE = "bounce"


@dataclass(frozen=True)
class Receipt:
    """What receive() did with one message. Every outcome means the message is safely kept
    (or deliberately dropped): the caller may delete it from the server."""

    outcome: str
    ticket: Ticket | None = None
    entry: Entry | None = None
    quarantined: QuarantinedMail | None = None
    detail: str = ""
    flags: list[str] = field(default_factory=list)


class _Duplicate(Exception):
    """Raised inside the transaction when a parallel delivery stored the message first."""


# --- classification ------------------------------------------------------------------------

_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|svar|antwort)|out of (the )?office|autosvar|"
    r"fraværende|abwesenheitsnotiz|автоматический ответ|автоответ|"
    r"undeliver|delivery status notification|mail delivery failed|returned mail)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon"}
_FINAL_RECIPIENT = re.compile(
    rb"^(?:Final|Original)-Recipient:\s*rfc822;\s*<?([^\s<>]+@[^\s<>]+)>?", re.I | re.M
)
_EMBEDDED_ID = re.compile(rb"^Message-ID:\s*<([^<>\s]{1,998})>", re.I | re.M)
_ANY_TOKEN = re.compile(rb"\bhl\.([a-z2-7]{24})\.[0-9a-f]+@", re.I)
_ADDRESS_IN_NAME = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+\.[^\s@<>\"']+")


def _header_values(parsed: ParsedMail, name: str) -> list[str]:
    name = name.lower()
    return [value for key, value in parsed.headers if key.lower() == name]


def _first(parsed: ParsedMail, name: str) -> str:
    values = _header_values(parsed, name)
    return values[0].strip() if values else ""


def is_bounce(parsed: ParsedMail) -> bool:
    """A delivery status notification (RFC 3464) or a mail server's failure report."""
    content_type = _first(parsed, "Content-Type").lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return True
    if _header_values(parsed, "X-Failed-Recipients"):
        return True
    sender = parsed.from_[0].address if parsed.from_ else ""
    return sender.split("@", 1)[0].lower() in _BOUNCE_SENDERS


def is_auto_reply(parsed: ParsedMail) -> bool:
    """RFC 3834 and the usual vendor signs of mail that no person wrote."""
    auto_submitted = _first(parsed, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress"):
        if _header_values(parsed, name):
            return True
    if _first(parsed, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if _header_values(parsed, "List-Id") or _header_values(parsed, "List-Unsubscribe"):
        return True
    return bool(_AUTO_SUBJECT.match(parsed.subject or ""))


def _auth_results(parsed: ParsedMail) -> list[str]:
    """The Authentication-Results headers we may believe: those of the configured receiving
    servers (authserv-id), or else only the topmost one, added by our own server; lower ones
    came with the message and prove nothing."""
    values = _header_values(parsed, "Authentication-Results")
    trusted_ids = {value.lower() for value in settings.MAIL_AUTHSERV_IDS}
    if trusted_ids:
        return [v for v in values if v.split(";", 1)[0].strip().lower() in trusted_ids]
    return values[:1]


def authenticated(parsed: ParsedMail, address: str) -> bool:
    """Does the receiving server vouch for `address`'s domain (DMARC pass for the From domain,
    or SPF pass for a return path in that domain)?"""
    domain = address.rsplit("@", 1)[-1].lower()
    for header in _auth_results(parsed):
        for clause in header.split(";")[1:]:
            text = " ".join(clause.lower().split())
            if text.startswith("dmarc=pass") and f"header.from={domain}" in text:
                return True
            if text.startswith("spf=pass"):
                match = re.search(r"smtp\.mailfrom=(?:[^@\s]*@)?([^\s;]+)", text)
                if match and match.group(1).strip("<>") == domain:
                    return True
    return False


def _clean(text: str | None, limit: int | None = None) -> str:
    # PostgreSQL text cannot hold NUL; a header may not be longer than its column.
    value = (text or "").replace("\x00", "")
    return value[:limit] if limit else value


# --- stop rules, limits --------------------------------------------------------------------

_ACTION_STRENGTH: dict[str, int] = {
    StopRule.Action.REJECT: 3,
    StopRule.Action.QUARANTINE: 2,
    StopRule.Action.SPAM: 1,
}


def stop_rule_match(*, sender: str, subject: str, body: str) -> StopRule | None:
    """The strongest active rule matching the message (reject before quarantine before spam)."""
    sender = sender.lower()
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else ""
    subject, body = subject.casefold(), body.casefold()
    matched = []
    for rule in stop_rules_active():
        pattern = rule.pattern.strip().casefold()
        if not pattern:
            continue
        if rule.kind == StopRule.Kind.SENDER:
            hit = sender == pattern
        elif rule.kind == StopRule.Kind.DOMAIN:
            pattern = pattern.lstrip("@").lstrip("*.")
            hit = bool(domain) and (domain == pattern or domain.endswith("." + pattern))
        elif rule.kind == StopRule.Kind.SUBJECT:
            hit = pattern in subject
        else:
            hit = pattern in body
        if hit:
            matched.append(rule)
    if not matched:
        return None
    return max(matched, key=lambda rule: (_ACTION_STRENGTH[rule.action], -rule.pk))


def _over_hourly_limit(sender: str, recent: int | None = None) -> bool:
    """Has `sender` sent the hourly limit's worth of mail already? `recent` is the count when
    the repeat check read it in the same statement (`_already`)."""
    limit = settings.MAIL_SENDER_HOURLY_LIMIT
    if not sender or limit <= 0:
        return False
    if recent is None:
        since = clock.now() - timedelta(hours=1)
        recent = MailMessage.objects.filter(
            direction=Direction.IN, from_address=sender, created_at__gte=since
        )[:limit].count()
    return recent >= limit


# --- storing -------------------------------------------------------------------------------


def _quarantine(
    raw: bytes,
    digest: str,
    *,
    mailbox: Mailbox | None,
    reason: str,
    detail: str = "",
    parsed: ParsedMail | None = None,
    rule: StopRule | None = None,
    ticket: Ticket | None = None,
) -> Receipt:
    """Keep the raw message for administrators. The same bytes already held are not kept
    twice (a repeat delivery)."""
    sender = parsed.from_[0].address if parsed and parsed.from_ else ""
    with transaction.atomic():
        held = QuarantinedMail.objects.filter(sha256=digest).exclude(
            status=QuarantinedMail.State.RELEASED
        )
        existing = held.first()
        if existing is not None:
            return Receipt(Outcome.DUPLICATE, quarantined=existing, detail=existing.reason)
        try:
            with transaction.atomic():
                item = QuarantinedMail.objects.create(
                    mailbox=mailbox,
                    reason=reason,
                    detail=_clean(detail, 2000),
                    raw=raw,
                    size=len(raw),
                    sha256=digest,
                    message_id=_clean(parsed.message_id if parsed else "", 998),
                    from_address=_clean(sender, 254),
                    subject=_clean(parsed.subject if parsed else "", 1000),
                    stop_rule=rule,
                    ticket=ticket,
                )
        except IntegrityError:
            existing = held.first()
            return Receipt(Outcome.DUPLICATE, quarantined=existing, detail=reason)
        event_record(actor=None, action="mail.quarantined", obj=item, changes={"reason": reason})
    log.warning("Mail quarantined (%s): %s %s", reason, item.pk, _clean(detail, 200))
    return Receipt(Outcome.QUARANTINED, quarantined=item, detail=reason, ticket=ticket)


def _rule_hit(rule: StopRule, parsed: ParsedMail, mailbox, quarantined=None) -> None:
    StopRule.objects.filter(pk=rule.pk).update(
        hit_count=F("hit_count") + 1, last_hit_at=clock.now()
    )
    StopRuleHit.objects.create(
        rule=rule,
        mailbox=mailbox,
        from_address=_clean(parsed.from_[0].address if parsed.from_ else "", 254),
        subject=_clean(parsed.subject, 1000),
        message_id=_clean(parsed.message_id, 998),
        quarantined=quarantined,
    )


def _files(c: _Context) -> tuple[list[CheckedFile], list[dict]]:
    """The attachments the file rules accept, and the refused ones listed (name, size, why):
    checked (sniffed, hashed) by `_receive` before its transaction, so SQLite's write lock and
    a PostgreSQL row lock are not held for that work."""
    if c.checked is None:
        c.checked = _files_checked(c.parsed, c.site)
    return c.checked


def _files_checked(parsed: ParsedMail, site: SiteSettings) -> tuple[list[CheckedFile], list[dict]]:
    kept, refused = [], []
    for part in parsed.attachments:
        if part.data is None or part.refused:
            reason = REFUSED_LABELS.get(part.refused or "", part.refused or "")
            refused.append({"filename": part.filename, "size": part.size, "reason": str(reason)})
            continue
        upload = SimpleUploadedFile(
            part.filename or "attachment", part.data, content_type=part.content_type
        )
        try:
            kept.append(attachment_validate(upload, site))
        except ValidationFailed as exc:
            refused.append({"filename": part.filename, "size": part.size, "reason": str(exc)})
    return kept, refused


def _body(parsed: ParsedMail, refused: list[dict]) -> str:
    body = _clean(parsed.text).strip() or _("(The message has no text.)")
    if refused:
        lines = [_("Attachments not kept:")]
        lines += [
            _("%(name)s (%(size)s bytes): %(reason)s")
            % {"name": item["filename"], "size": item["size"], "reason": item["reason"]}
            for item in refused
        ]
        body = body + "\n\n" + "\n".join(lines)
    return body


def _subject(parsed: ParsedMail) -> str:
    subject = " ".join(_clean(parsed.subject).split())
    subject = threading.subject_without_prefixes(subject) or subject
    return subject[:250] or _("(no subject)")


def _mail_row(
    *,
    entry: Entry,
    mailbox: Mailbox | None,
    parsed: ParsedMail,
    raw: bytes,
    digest: str,
    flags: list[str],
    refused: list[dict],
    stored: list[str],
) -> MailMessage:
    sender = parsed.from_[0] if parsed.from_ else None
    mail = MailMessage(
        entry=entry,
        mailbox=mailbox,
        direction=Direction.IN,
        message_id=_clean(parsed.message_id, 998),
        in_reply_to=_clean(parsed.in_reply_to, 998),
        references=_clean(" ".join(parsed.references), 20000),
        from_address=_clean(sender.address if sender else "", 254),
        from_name=_clean(sender.name if sender else "", 250),
        to=[[_clean(a.name, 250), _clean(a.address, 254)] for a in parsed.to[:100]],
        cc=[[_clean(a.name, 250), _clean(a.address, 254)] for a in parsed.cc[:100]],
        subject=_clean(parsed.subject, 2000),
        date=parsed.date if parsed.date and parsed.date.tzinfo else None,
        raw_size=len(raw),
        sha256=digest,
        html=_clean(parsed.html),
        flags=sorted(set(flags)),
        refused=refused,
    )
    mail.raw.save("message.eml", ContentFile(raw), save=False)
    stored.append(mail.raw.name)
    ref = None
    if parsed.message_id and len(parsed.message_id) <= 998:
        ref = MessageRef(
            mailbox=mailbox,
            message_id=parsed.message_id,
            direction=Direction.IN,
            ticket_id=entry.ticket_id,
            entry=entry,
        )
    # No savepoint: a clash rolls the whole delivery back (the caller's transaction), and it
    # saves the round trips.
    try:
        _mail_rows_insert(mail, ref)
    except IntegrityError as exc:
        raise _Duplicate() from exc
    return mail


def _mail_rows_insert(mail: MailMessage, ref: MessageRef | None) -> None:
    """The mail row and its Message-ID's, as fixed statements (`helpline.core.fixedsql`); on
    PostgreSQL in one round trip (the Message-ID's insert carries the mail row's as a CTE)."""
    if ref is None:
        fixedsql.insert(mail)
        return
    if connection.vendor != "postgresql" or fixedsql.listened(MailMessage, MessageRef):
        fixedsql.insert(mail)
        fixedsql.insert(ref)
        return
    mail_sql, mail_params = fixedsql.insert_statement(mail)
    ref_sql, ref_params = fixedsql.insert_statement(ref)
    with connection.cursor() as cursor:
        # Both INSERTs run whatever the outer one returns; a clash in either raises here.
        cursor.execute(
            f"WITH mail AS ({mail_sql}) {ref_sql}, (SELECT id FROM mail)",  # noqa: S608
            [*mail_params, *ref_params],
        )
        ref.pk, mail.pk = cursor.fetchone()
    fixedsql.inserted(mail)
    fixedsql.inserted(ref)


# --- threading -----------------------------------------------------------------------------


def _live(ticket: Ticket | None, *, locked: bool = False) -> Ticket | None:
    """Follow merges to the surviving request; a trashed request takes no mail. A request
    read under its row lock (`locked`) and not merged is handed to the ticket service as it
    is (it writes to it next: `locked_read`); one reached through a merge it reads again."""
    if locked and ticket is not None and ticket.merged_into_id is None and not ticket.is_deleted:
        return locked_read(ticket)
    for _step in range(5):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    if ticket is not None and ticket.is_deleted:
        return None
    return ticket


def _ids(parsed: ParsedMail) -> list[str]:
    ids = [parsed.in_reply_to] if parsed.in_reply_to else []
    return [*ids, *reversed(parsed.references)]


def find_ticket(
    parsed: ParsedMail, *, mailbox: Mailbox | None, raw: bytes, bounce: bool
) -> tuple[Ticket | None, str]:
    """The ticket this message answers and how it was found ("token", "reference", "subject"
    or "" for none). The subject's "[#N]" is returned as a candidate only; the caller trusts it
    only for a participant."""
    ids = _ids(parsed)
    recipients = [a.address for a in [*parsed.to, *parsed.cc]]
    for name in ("Delivered-To", "X-Original-To", "Envelope-To"):
        recipients += [v.strip() for v in _header_values(parsed, name)]
    token = threading.token_from(addresses=recipients, message_ids=ids)
    ticket = _live(threading.ticket_for_token(token, lock=True), locked=True)
    if ticket is not None:
        return ticket, "token"
    ticket = _live(threading.ticket_for_message_ids(ids, mailbox=mailbox, lock=True), locked=True)
    if ticket is not None:
        return ticket, "reference"
    if bounce:
        # A report quotes the failed message (or its headers) in its body.
        for match in _ANY_TOKEN.finditer(raw[:2_000_000]):
            ticket = _live(threading.ticket_for_token(match.group(1).decode().lower()))
            if ticket is not None:
                return ticket, "token"
        embedded = [m.decode("ascii", "replace") for m in _EMBEDDED_ID.findall(raw[:2_000_000])]
        embedded = [value for value in embedded if value != parsed.message_id]
        ticket = _live(threading.ticket_for_message_ids(embedded, mailbox=mailbox))
        if ticket is not None:
            return ticket, "reference"
    number = threading.subject_ticket_number(parsed.subject)
    if number is not None:
        ticket = _live(Ticket.objects.filter(pk=number).first())
        if ticket is not None:
            return ticket, "subject"
    return None, ""


def _may_answer(user: User | None, ticket: Ticket) -> bool:
    """A participant: the requester, or a colleague whose organisation lets them act on it."""
    if user is None or not user.is_active or user.is_staff_member:
        return False
    return can(user, Action.REPLY, ticket)


# --- the pipeline --------------------------------------------------------------------------


@dataclass
class _Context:
    raw: bytes
    digest: str
    mailbox: Mailbox | None
    parsed: ParsedMail
    released_by: User | None
    site: SiteSettings
    flags: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    # The sender's messages in the last hour (up to the limit), read by `_already`.
    recent_from_sender: int | None = None
    # The sender's account as the same statement read it (None: nobody has the address), and
    # for an address nobody has, the organisation of its mail domain (None: none);
    # `sender_looked_up` says whether it did.
    sender: User | None = None
    organisation: Organisation | None = None
    sender_looked_up: bool = False
    # The attachments checked against the file rules, and the refused ones (`_files`).
    checked: tuple[list[CheckedFile], list[dict]] | None = None


def receive(raw: bytes, *, mailbox: Mailbox | None = None, released_by=None) -> Receipt:
    """Store one raw RFC 5322 message received at `mailbox` (None: the installation's default
    routing). Idempotent: the same Message-ID into the same mailbox, or the same bytes, gives
    one entry however often and however concurrently it is delivered.

    `released_by` is the administrator releasing it from the quarantine (stop rules, limits
    and the quarantine rules for automatic mail then no longer apply).

    Raises only TemporaryFailure; every other failure quarantines the message with the reason.
    """
    raw = bytes(raw)
    digest = hashlib.sha256(raw).hexdigest()
    try:
        with reference.scope():
            return _receive(raw, digest, mailbox, released_by)
    except TemporaryFailure:
        raise
    except (OperationalError, InterfaceError, OSError) as exc:
        log.warning("Mail not stored, temporary failure: %s", exc)
        raise TemporaryFailure(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the message is kept
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log.exception("Mail could not be stored as an entry; quarantining it")
        try:
            return _quarantine(raw, digest, mailbox=mailbox, reason=Reason.FAILED, detail=detail)
        except (DatabaseError, OSError) as again:
            raise TemporaryFailure(str(again)) from again


def _already(
    digest: str,
    parsed: ParsedMail | None,
    mailbox: Mailbox | None,
    released,
    context: _Context | None = None,
    *,
    locks: list[int] | None = None,
) -> Receipt | None:
    """The receipt of an earlier delivery of this message, if there was one: the same bytes
    stored as an entry or (unless releasing) held in the quarantine, or the same Message-ID
    recorded in this mailbox. One statement; the rows are read only for a repeat. With
    `context`, the same statement counts the sender's mail of the last hour for the limit.

    `locks` (`_serialise`'s keys) are tried in the same statement, in their order, each only
    once the one before is held. When one is held by a parallel delivery of this message, the
    statement's view may predate that delivery's commit: the keys are then awaited (in
    order) and the checks run again, so the delivery that waited finds the first stored."""
    found = _repeat_ids(digest, parsed, mailbox, released, context, locks or [])
    while found is None:  # once at most: with no locks to try there is always a row
        with connection.cursor() as cursor:
            marks = ", ".join("pg_advisory_xact_lock(%s)" for _lock in locks or [])
            cursor.execute("SELECT " + marks, locks)
        found = _repeat_ids(digest, parsed, mailbox, released, context, [])
    mail_id, held_id, ref_id, recent, sender = found
    if mail_id is not None:
        mail = MailMessage.objects.select_related("entry__ticket").get(pk=mail_id)
        return Receipt(Outcome.DUPLICATE, ticket=mail.entry.ticket, entry=mail.entry)
    if held_id is not None:
        item = QuarantinedMail.objects.get(pk=held_id)
        return Receipt(Outcome.DUPLICATE, quarantined=item, detail=item.reason)
    if ref_id is not None:
        ref = MessageRef.objects.select_related("ticket", "entry").get(pk=ref_id)
        if ref.direction == Direction.OUT:
            return Receipt(Outcome.DROPPED, ticket=ref.ticket, detail="own message")
        return Receipt(Outcome.DUPLICATE, ticket=ref.ticket, entry=ref.entry)
    if context is not None:
        context.recent_from_sender = recent
        if sender is not _NOT_LOOKED_UP:
            context.sender, context.organisation = sender
            context.sender_looked_up = True
    return None


# A column the statement left out (no context or no sender): it was not looked up.
_NOT_LOOKED_UP = object()


def _repeat_ids(digest, parsed, mailbox, released, context, locks: list[int]) -> tuple | None:
    """(stored mail id, held quarantine id, Message-ID reference id, sender's recent count,
    (sender's account, organisation of the sender's mail domain if nobody has the address)),
    None where there is none (the last `_NOT_LOOKED_UP` when there is no context or no
    sender): scalar sub-queries, each answered from its index, and the two rows joined.
    None instead when one of the advisory `locks` is held by another transaction."""
    # Tried in order, each only once the one before is held (CASE evaluates in order), so a
    # key is never held while an earlier one is awaited: ordered locking, no deadlock.
    tried = "1"
    for _lock in locks:
        tried = f"CASE WHEN pg_try_advisory_xact_lock(%s) THEN {tried} ELSE 0 END"
    # The tables are the models' (mail_mailmessage, mail_quarantinedmail, mail_messageref).
    columns = [
        tried,
        "(SELECT id FROM mail_mailmessage WHERE direction = %s AND sha256 = %s LIMIT 1)",
    ]
    params: list = [*locks, Direction.IN.value, digest]
    if released is None:
        columns.append(
            "(SELECT id FROM mail_quarantinedmail WHERE sha256 = %s AND status <> %s LIMIT 1)"
        )
        params += [digest, QuarantinedMail.State.RELEASED.value]
    else:
        columns.append("NULL")
    if parsed is not None and parsed.message_id:
        if mailbox is None:
            columns.append(
                "(SELECT id FROM mail_messageref"
                " WHERE mailbox_id IS NULL AND message_id = %s LIMIT 1)"
            )
            params.append(parsed.message_id[:998])
        else:
            columns.append(
                "(SELECT id FROM mail_messageref WHERE mailbox_id = %s AND message_id = %s LIMIT 1)"
            )
            params += [mailbox.pk, parsed.message_id[:998]]
    else:
        columns.append("NULL")
    limit = settings.MAIL_SENDER_HOURLY_LIMIT
    sender = _sender_address(parsed) if parsed is not None else ""
    if context is not None and released is None and sender and limit > 0:
        since = connection.ops.adapt_datetimefield_value(clock.now() - timedelta(hours=1))
        columns.append(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM mail_mailmessage WHERE direction = %s"
            " AND from_address = %s AND created_at >= %s LIMIT %s) recent)"
        )
        params += [Direction.IN.value, sender, since, limit]
    else:
        columns.append("NULL")
    if context is None or not sender:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), params)
            row = cursor.fetchone()
        return (*row[1:], _NOT_LOOKED_UP) if row[0] else None
    # user_by_address() in the same statement (the tables are allauth's EmailAddress and
    # accounts.User): the address among a person's addresses (allauth's rows, one primary
    # kept equal to User.email), else User.email; both answered from their unique indexes on
    # lower(email), as core.lookups compiles iexact. Then organisation_for_email() (from the
    # index on lower(domain)), and the two rows themselves.
    columns.append(
        "COALESCE((SELECT user_id FROM account_emailaddress"
        " WHERE LOWER(email) = LOWER(%s) LIMIT 1),"
        " (SELECT id FROM accounts_user WHERE LOWER(email) = LOWER(%s) LIMIT 1))"
    )
    params += [sender, sender]
    columns.append(
        "(SELECT id FROM accounts_organisation WHERE LOWER(domain) = LOWER(%s)"
        " AND is_active ORDER BY name LIMIT 1)"
    )
    params.append(sender.rsplit("@", 1)[-1].lower())
    inner = ", ".join(f"{column} AS c{number}" for number, column in enumerate(columns))
    users = fixedsql.select_columns(User, "u")
    organisations = fixedsql.select_columns(Organisation, "o")
    with connection.cursor() as cursor:
        cursor.execute(
            # Only the models' table and column names are interpolated.
            f"SELECT r.c0, r.c1, r.c2, r.c3, r.c4, {users}, {organisations}"  # noqa: S608
            f" FROM (SELECT {inner}) r LEFT JOIN accounts_user u ON u.id = r.c5"
            " LEFT JOIN accounts_organisation o ON o.id = r.c6 AND r.c5 IS NULL",
            params,
        )
        row = cursor.fetchone()
    if not row[0]:
        return None
    width = len(User._meta.concrete_fields)
    user = fixedsql.instance(User, row[5 : 5 + width]) if row[5] is not None else None
    organisation = (
        fixedsql.instance(Organisation, row[5 + width :]) if row[5 + width] is not None else None
    )
    return (*row[1:5], (user, organisation))


def _sender_user(c: _Context, address: str) -> User | None:
    """The sender's account: by primary key when `_already` found its id (one query, none for
    an address nobody has), else `user_by_address`."""
    if not address:
        return None
    if c.sender_looked_up:
        return c.sender
    return user_by_address(address)


def _sender_address(parsed: ParsedMail) -> str:
    return address_normalise(parsed.from_[0].address) if parsed.from_ else ""


def _serialise(digest: str, parsed: ParsedMail | None, mailbox: Mailbox | None) -> list[int]:
    """The advisory lock keys that make a parallel delivery of the same message wait for this
    one (PostgreSQL; SQLite writes one transaction at a time anyway), so it then finds it
    stored: in a fixed order, so two deliveries never wait on each other. Taken by `_already`
    (`_repeat_ids`) in the statement of the repeat checks. The unique constraints on the
    message's rows decide whatever gets past them."""
    if connection.vendor != "postgresql":
        return []
    keys = [digest]
    if parsed is not None and parsed.message_id:
        keys.append(f"{mailbox.pk if mailbox else 0}:{parsed.message_id}")
    return [
        int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        for key in sorted(keys)
    ]


def _receive(raw: bytes, digest: str, mailbox: Mailbox | None, released_by) -> Receipt:
    site = SiteSettings.shared()
    try:
        parsed = parse_message(raw, max_attachment_bytes=site.max_attachment_mb * 1024 * 1024)
    except UnparseableMail as exc:
        return _quarantine_once(raw, digest, mailbox, Reason.UNPARSEABLE, exc.reason, released_by)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the message
        detail = f"{type(exc).__name__}: {exc}"
        return _quarantine_once(raw, digest, mailbox, Reason.UNPARSEABLE, detail, released_by)
    context = _Context(
        raw=raw, digest=digest, mailbox=mailbox, parsed=parsed, released_by=released_by, site=site
    )
    if parsed.attachments:
        _files(context)
    try:
        with transaction.atomic():
            locks = _serialise(digest, parsed, mailbox)
            repeat = _already(digest, parsed, mailbox, released_by, context, locks=locks)
            if repeat is not None:
                return repeat
            receipt = _store(context)
        _batch_files_add(context.stored)
        return receipt
    except _Duplicate:
        _forget_files(context.stored)
        repeat = _already(digest, parsed, mailbox, released_by)
        return repeat or Receipt(Outcome.DUPLICATE)
    except BaseException:
        _forget_files(context.stored)
        raise


def _quarantine_once(raw, digest, mailbox, reason, detail, released_by) -> Receipt:
    if released_by is not None:
        raise ValidationFailed(
            _("This message still cannot be read: %(reason)s") % {"reason": detail}
        )
    with transaction.atomic():
        locks = _serialise(digest, None, mailbox)
        repeat = _already(digest, None, mailbox, None, locks=locks)
        if repeat is not None:
            return repeat
        return _quarantine(raw, digest, mailbox=mailbox, reason=reason, detail=detail)


_batch = local()


@contextmanager
def receiving_together() -> Iterator[None]:
    """Run several `receive()` calls in one transaction (the mailbox poller's batch).

    Each message still goes through its own `transaction.atomic()`, which inside the batch is
    a savepoint: a message that fails rolls back to it alone and is quarantined as usual, and
    the others stay. The batch commits once (one commit instead of one per message; reference
    data read once). Until it has committed nothing is stored: the caller removes or flags
    the messages on the server only after this block ends without an exception. If it ends
    with one, everything in it is rolled back and the raw files its messages wrote are
    removed again; fetched again, the messages are received anew."""
    if getattr(_batch, "files", None) is not None:
        yield
        return
    from .notifications import notifications_together

    files: list[str] = []
    _batch.files = files
    try:
        with notifications_together(), reference.scope(), transaction.atomic():
            yield
            if transaction.get_rollback():
                # A savepoint could not be rolled back (the connection is gone): the block
                # would end in a silent rollback, and the caller must not remove anything.
                raise TemporaryFailure("the batch could not be committed")
    except (OperationalError, InterfaceError) as exc:
        _forget_files(files)
        raise TemporaryFailure(str(exc)) from exc
    except BaseException:
        _forget_files(files)
        raise
    finally:
        _batch.files = None


def _batch_files_add(names: list[str]) -> None:
    files = getattr(_batch, "files", None)
    if files is not None:
        files.extend(names)


def _forget_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("Could not remove %s after a rolled-back delivery", name)


def _store(c: _Context) -> Receipt:
    parsed, mailbox = c.parsed, c.mailbox
    releasing = c.released_by is not None
    sender = parsed.from_[0] if parsed.from_ else None
    address = _sender_address(parsed)
    if len(parsed.from_) > 1:
        c.flags.append(MailFlag.SEVERAL_FROM)
    if sender and sender.name:
        shown = _ADDRESS_IN_NAME.search(sender.name)
        if shown and shown.group(0).lower().strip(".,;:()[]") != address:
            c.flags.append(MailFlag.LOOK_ALIKE)

    if address and threading.address_without_token(address) in own_addresses():
        log.info("Mail from our own address %s dropped (%s)", address, parsed.message_id)
        return Receipt(Outcome.DROPPED, detail="own address")

    body_text = _clean(parsed.text)
    if not releasing:
        rule = stop_rule_match(sender=address, subject=parsed.subject or "", body=body_text)
        if rule is not None:
            if rule.action == StopRule.Action.REJECT:
                _rule_hit(rule, parsed, mailbox)
                log.info("Mail from %s rejected by stop rule %s", address, rule.pk)
                return Receipt(Outcome.DROPPED, detail=f"stop rule {rule.pk}")
            reason = Reason.SPAM if rule.action == StopRule.Action.SPAM else Reason.STOP_RULE
            receipt = _quarantine(
                c.raw,
                c.digest,
                mailbox=mailbox,
                reason=reason,
                detail=str(rule),
                parsed=parsed,
                rule=rule,
            )
            _rule_hit(rule, parsed, mailbox, receipt.quarantined)
            return receipt
        if _over_hourly_limit(address, c.recent_from_sender):
            return _quarantine(
                c.raw,
                c.digest,
                mailbox=mailbox,
                reason=Reason.RATE_LIMIT,
                detail=_("More than %(limit)s messages in an hour from %(sender)s.")
                % {"limit": settings.MAIL_SENDER_HOURLY_LIMIT, "sender": address},
                parsed=parsed,
            )

    bounce = is_bounce(parsed)
    auto = not bounce and is_auto_reply(parsed)
    ticket, found_by = find_ticket(parsed, mailbox=mailbox, raw=c.raw, bounce=bounce)
    user = _sender_user(c, address)

    if bounce:
        c.flags.append(MailFlag.BOUNCE)
        _mark_bouncing(c.raw, parsed, ticket)
        if ticket is None:
            return _quarantine(
                c.raw, c.digest, mailbox=mailbox, reason=Reason.BOUNCE, parsed=parsed
            )
        return _note(c, ticket, Outcome.BOUNCE, author=None)

    if auto:
        c.flags.append(MailFlag.AUTO_REPLY)
        if ticket is not None and found_by != "subject":
            return _note(c, ticket, Outcome.AUTO_REPLY, author=None)
        if not (releasing or settings.MAIL_AUTO_REPLY_OPENS_TICKETS):
            return _quarantine(
                c.raw, c.digest, mailbox=mailbox, reason=Reason.AUTO_REPLY, parsed=parsed
            )

    staff = user is not None and user.is_staff_member
    trusted_staff = (
        staff
        and settings.MAIL_TRUST_AUTHENTICATION_RESULTS
        and len(parsed.from_) == 1
        and authenticated(parsed, address)
    )
    if staff and not trusted_staff:
        c.flags.append(MailFlag.SPOOFED)

    if ticket is not None and found_by == "subject":
        # The number in a subject is guessable: it counts only for someone already on it.
        if not (_may_answer(user, ticket) or (trusted_staff and can(user, Action.REPLY, ticket))):
            ticket = None
        else:
            c.flags.append(MailFlag.SUBJECT_HINT)

    if ticket is not None:
        return _into_ticket(c, ticket, user, trusted_staff)
    return _new_ticket(c, user, address, staff, trusted_staff)


def _into_ticket(c: _Context, ticket: Ticket, user, trusted_staff: bool) -> Receipt:
    with services_without_savepoints():
        return _into_ticket_written(c, ticket, user, trusted_staff)


def _into_ticket_written(c: _Context, ticket: Ticket, user, trusted_staff: bool) -> Receipt:
    files, refused = _files(c)
    body = _body(c.parsed, refused)
    if (
        trusted_staff
        and can(user, Action.REPLY, ticket)
        and ticket.status_category != StatusCategory.CLOSED
    ):
        entry = ticket_reply_add(ticket=ticket, actor=user, body=body, files=files)
        return _done(c, entry, Outcome.APPENDED, refused)
    if _may_answer(user, ticket):
        if ticket.status_category == StatusCategory.CLOSED:
            if settings.MAIL_CLOSED_REPLY == "reopen":
                entry = ticket_closed_reopen(ticket=ticket, actor=user, body=body, files=files)
                return _done(c, entry, Outcome.APPENDED, refused)
            new = ticket_follow_up_create(
                closed=ticket,
                actor=user,
                subject=_subject(c.parsed),
                body=body,
                channel=Channel.EMAIL,
                files=files,
            )
            return _done(c, new.entries.order_by("pk").first(), Outcome.CREATED, refused)
        entry = ticket_reply_add(ticket=ticket, actor=user, body=body, files=files)
        return _done(c, entry, Outcome.APPENDED, refused)
    if MailFlag.SPOOFED not in c.flags:
        c.flags.append(MailFlag.NOT_PARTICIPANT)
    entry = ticket_mail_note_add(ticket=ticket, body=body, files=files, author=None)
    return _done(c, entry, Outcome.APPENDED, refused)


def _note(c: _Context, ticket: Ticket, outcome: str, author) -> Receipt:
    files, refused = _files(c)
    with services_without_savepoints():
        entry = ticket_mail_note_add(
            ticket=ticket, body=_body(c.parsed, refused), files=files, author=author
        )
    return _done(c, entry, outcome, refused)


def _new_ticket(c: _Context, user, address: str, staff: bool, trusted_staff: bool) -> Receipt:
    mailbox, parsed = c.mailbox, c.parsed
    if not address:
        return _quarantine(c.raw, c.digest, mailbox=mailbox, reason=Reason.NO_SENDER, parsed=parsed)
    if staff and not trusted_staff and c.released_by is None:
        return _quarantine(
            c.raw, c.digest, mailbox=mailbox, reason=Reason.STAFF_ADDRESS, parsed=parsed
        )
    lookup = None
    if c.sender_looked_up and c.sender is None and "@" in address:
        # `_already` found nobody with this address in this transaction, and the organisation
        # of its domain (the unique address index still decides a race).
        lookup = RequesterLookup(email=address, existing=None, organisation=c.organisation)
    try:
        requester = requester_register(
            email=address,
            name=_clean(parsed.from_[0].name, 150),
            actor=c.released_by,
            staff_confirmed=c.released_by is not None,
            lookup=lookup,
        )
    except StaffAddressRefused:
        return _quarantine(
            c.raw, c.digest, mailbox=mailbox, reason=Reason.STAFF_ADDRESS, parsed=parsed
        )
    files, refused = _files(c)
    with services_without_savepoints():
        _ticket, entry = ticket_open(
            actor=requester,
            requester=requester,
            subject=_subject(parsed),
            body=_body(parsed, refused),
            channel=Channel.EMAIL,
            department=mailbox.department if mailbox else None,
            topic=mailbox.topic if mailbox else None,
            files=files,
        )
    return _done(c, entry, Outcome.CREATED, refused)


def _done(c: _Context, entry: Entry | None, outcome: str, refused: list[dict]) -> Receipt:
    if entry is None:  # pragma: no cover - every service above makes an entry
        raise DomainError(_("The message made no entry."))
    _mail_row(
        entry=entry,
        mailbox=c.mailbox,
        parsed=c.parsed,
        raw=c.raw,
        digest=c.digest,
        flags=c.flags,
        refused=refused,
        stored=c.stored,
    )
    return Receipt(outcome, ticket=entry.ticket, entry=entry, flags=sorted(set(c.flags)))


def _mark_bouncing(raw: bytes, parsed: ParsedMail, ticket: Ticket | None) -> None:
    addresses = {
        m.decode("ascii", "replace").lower() for m in _FINAL_RECIPIENT.findall(raw[:2_000_000])
    }
    for value in _header_values(parsed, "X-Failed-Recipients"):
        addresses.update(part.strip().lower() for part in value.split(",") if "@" in part)
    status = ""
    match = re.search(rb"^Diagnostic-Code:\s*(.+)$", raw[:2_000_000], re.I | re.M)
    if match:
        status = match.group(1).decode("utf-8", "replace").strip()[:250]
    now = clock.now()
    for address in sorted(addresses)[:20]:
        address = address[:254]
        updated = BouncingAddress.objects.filter(address=address).update(
            last_at=now, count=F("count") + 1, last_status=status, ticket=ticket
        )
        if not updated:
            try:
                with transaction.atomic():
                    BouncingAddress.objects.create(
                        address=address,
                        last_status=status,
                        ticket=ticket,
                        first_at=now,
                        last_at=now,
                    )
            except IntegrityError:
                pass


def receive_released(item: QuarantinedMail, *, actor) -> Receipt:
    """Ingest a quarantined message after all, for an administrator (the caller holds the
    item's lock and records the decision in the same transaction). Stop rules, the hourly
    limit and the quarantine of automatic mail no longer apply; a staff address opens the
    request under the staff account, confirmed by `actor`. Raises ValidationFailed when the
    message still cannot become an entry (unreadable, no sender, our own address)."""
    raw = bytes(item.raw)
    receipt = _receive(raw, item.sha256 or hashlib.sha256(raw).hexdigest(), item.mailbox, actor)
    if receipt.outcome in (Outcome.QUARANTINED, Outcome.DROPPED) or receipt.entry is None:
        raise ValidationFailed(
            _("This message cannot become part of a request: %(reason)s")
            % {"reason": receipt.detail or receipt.outcome}
        )
    return receipt
