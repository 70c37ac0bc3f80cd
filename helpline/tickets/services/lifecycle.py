"""A request's life: opening, the thread, the requester's confirmation, trash and purge."""

from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Department
from helpline.accounts.reference import departments_all
from helpline.core import clock, fixedsql
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.core.lengths import fitting
from helpline.core.models import SiteSettings

from ..access import Action, may_be_responsible, may_open_for, require_open_in
from ..mentions import mentions_parse
from ..models import (
    Channel,
    Entry,
    EntryKind,
    Level,
    StatusCategory,
    Ticket,
    TicketClass,
    Topic,
)
from ..notices import NoticeKind, notice
from ..search import ticket_opened_indexed, unindex_tickets
from ._common import (
    STATUS_FIELDS,
    apply_status,
    attach,
    default_status,
    history,
    hold,
    locked,
    log,
    matrix_priority,
    require,
    touch,
)
from .arrival import ticket_arrived
from .attachments import CheckedFile, attachments_checked


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationFailed(_("Write a message first."), field="body")
    return body


def _topic_department(topic: Topic | None) -> Department | None:
    """The topic's department from the reference data (no query), else from the database."""
    if topic is None:
        return None
    found = next((d for d in departments_all() if d.pk == topic.department_id), None)
    return found or topic.department


def _default_department() -> Department:
    # The departments are reference data (kept per process): no query in the write's transaction.
    department = next((d for d in departments_all() if d.is_active and d.parent_id is None), None)
    if department is None:
        raise ValidationFailed(_("No department exists yet; an administrator must create one."))
    return department


def ticket_create(
    *,
    actor,
    requester,
    subject: str,
    body: str,
    channel: str,
    department: Department | None = None,
    topic: Topic | None = None,
    ticket_class: str | None = None,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    files: Sequence[CheckedFile] = (),
    assignee=None,
) -> Ticket:
    """Open a request for `requester` (`ticket_open`, for callers that need only the request)."""
    ticket, _entry = ticket_open(
        actor=actor,
        requester=requester,
        subject=subject,
        body=body,
        channel=channel,
        department=department,
        topic=topic,
        ticket_class=ticket_class,
        impact=impact,
        urgency=urgency,
        files=files,
        assignee=assignee,
    )
    return ticket


@transaction.atomic
def ticket_open(
    *,
    actor,
    requester,
    subject: str,
    body: str,
    channel: str,
    department: Department | None = None,
    topic: Topic | None = None,
    ticket_class: str | None = None,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    files: Sequence[CheckedFile] = (),
    assignee=None,
) -> tuple[Ticket, Entry]:
    """Open a request for `requester`; `actor` is the requester or the staff member logging it.
    Returns the request and its first entry (the caller need not read it back).

    A requester opens requests only for themself, anywhere; staff need the reply right in the
    department (and the assign right to make someone responsible, who must be able to see the
    department); an external provider only for requesters of their own work. Raw uploads are
    checked against the file rules here. The department comes from the topic when not given.
    The first thread entry is public.
    """
    if not may_open_for(actor, requester):
        raise PermissionDenied(_("You may not open a request for this requester."))
    files = attachments_checked(files)
    subject = (subject or "").strip()
    if not subject:
        raise ValidationFailed(_("A subject is required."), field="subject")
    fitting(Ticket, "subject", subject)
    body = _clean_body(body)
    if channel not in Channel.values:
        raise ValidationFailed(_("Unknown channel."), field="channel")
    department = department or _topic_department(topic) or _default_department()
    if actor.pk != requester.pk or assignee is not None:
        require_open_in(actor, department, assignee=assignee)
    if assignee is not None and not may_be_responsible(assignee, department.pk):
        raise ValidationFailed(
            _("%(name)s cannot see requests in this department.") % {"name": assignee},
            field="assignee",
        )
    ticket_class = ticket_class or (topic.default_class if topic else TicketClass.INCIDENT)
    status = default_status(StatusCategory.NEW)
    now = clock.now()
    ticket = Ticket.objects.create(
        subject=subject,
        ticket_class=ticket_class,
        status=status,
        status_category=status.category,
        impact=impact,
        urgency=urgency,
        priority=matrix_priority(impact, urgency),
        department=department,
        line=department.line,
        assignee=assignee,
        requester=requester,
        organisation=requester.organisation,
        channel=channel,
        topic=topic,
        last_activity_at=now,
        last_public_activity_at=now,
    )
    # Nobody else sees the new row before the commit: its version is known.
    hold(ticket)
    entry = fixedsql.insert(Entry(ticket=ticket, kind=EntryKind.REPLY, author=actor, body=body))
    attach(entry, files)
    ticket_arrived(ticket)
    ticket_opened_indexed(ticket, entry)
    if actor is not None and actor.is_authenticated and actor.is_agent_side:
        log(actor, "ticket.created", ticket, channel=channel, requester=requester.email)
    notice(NoticeKind.CREATED, ticket, actor=actor, entry=entry)
    return ticket, entry


def _staff_reply_effects(ticket: Ticket, actor, status) -> list[str]:
    fields = []
    if ticket.first_response_at is None:
        ticket.first_response_at = clock.now()
        fields.append("first_response_at")
    target = status
    if target is None and ticket.status_category == StatusCategory.NEW:
        target = default_status(StatusCategory.OPEN)
    if target is not None and target.pk != ticket.status_id:
        old = ticket.status
        fields += apply_status(ticket, target)
        history(ticket, actor, "status", old, target)
    return fields


@transaction.atomic
def ticket_reply_add(
    *,
    ticket: Ticket,
    actor,
    body: str,
    files: Sequence[CheckedFile] = (),
    status=None,
    expected_version: int | None = None,
) -> Entry:
    """Add a public reply. Staff need the reply right (or to be responsible); a requester must own
    the ticket, or share it through an organisation that lets colleagues act. A requester's reply
    reopens a waiting or resolved request; the first staff reply sets the first-response time and
    moves a new request to open.

    `expected_version` (the page's) is only enforced when the reply also sets a status: a plain
    reply adds to the thread and overwrites nothing, so it goes through from an older page.
    """
    body = _clean_body(body)
    files = attachments_checked(files)
    ticket = locked(ticket, expected_version if status is not None else None)
    require(actor, Action.REPLY, ticket)
    if ticket.is_deleted or ticket.status_category == StatusCategory.CLOSED:
        raise ValidationFailed(_("This request is closed; open a new one instead."))
    fields: list[str] = []
    # Staff replying in the portal to a request they asked themselves write as its requester.
    as_staff = actor.is_agent_side and actor.pk != ticket.requester_id
    if as_staff:
        fields = _staff_reply_effects(ticket, actor, status)
    elif ticket.status_category in (
        StatusCategory.PENDING,
        StatusCategory.RESOLVED,
    ):
        old = ticket.status
        target = default_status(StatusCategory.OPEN)
        fields = list(apply_status(ticket, target))
        history(ticket, actor, "status", old, target)
    entry = fixedsql.insert(Entry(ticket=ticket, kind=EntryKind.REPLY, author=actor, body=body))
    attach(entry, files)
    touch(ticket, *fields, public=True, appended=entry)
    if as_staff:
        log(actor, "ticket.replied", ticket, entry=entry.pk)
        # A reply that also resolves or closes is one letter: the solution, with the reply.
        kind = {
            StatusCategory.RESOLVED: NoticeKind.RESOLVED,
            StatusCategory.CLOSED: NoticeKind.CLOSED,
        }.get(ticket.status_category, NoticeKind.REPLIED)
        if "status" not in fields and kind != NoticeKind.REPLIED:
            kind = NoticeKind.REPLIED
        notice(kind, ticket, actor=actor, entry=entry)
    else:
        notice(NoticeKind.REQUESTER_REPLIED, ticket, actor=actor, entry=entry)
    return entry


@transaction.atomic
def ticket_note_add(
    *, ticket: Ticket, actor, body: str, files: Sequence[CheckedFile] = ()
) -> Entry:
    """Add an internal note, seen by staff only. Needs the view right on the department.
    Colleagues it @mentions who may see the request are told (notice `mentioned`)."""
    if not actor.is_agent_side:
        raise PermissionDenied(_("Only staff can write internal notes."))
    body = _clean_body(body)
    files = attachments_checked(files)
    ticket = locked(ticket)
    require(actor, Action.NOTE, ticket)
    entry = fixedsql.insert(Entry(ticket=ticket, kind=EntryKind.NOTE, author=actor, body=body))
    attach(entry, files)
    touch(ticket, appended=entry)
    mentions = mentions_parse(body, ticket, author=actor)
    mentioned = [user.pk for user in mentions.accepted]
    if mentioned:
        log(actor, "ticket.noted", ticket, entry=entry.pk, mentioned=mentioned)
        notice(NoticeKind.MENTIONED, ticket, actor=actor, entry=entry, mentioned=mentioned)
    else:
        log(actor, "ticket.noted", ticket, entry=entry.pk)
    return entry


@transaction.atomic
def ticket_confirm_solved(*, ticket: Ticket, actor) -> Ticket:
    """The requester confirms a resolved request is solved: it closes."""
    ticket = locked(ticket)
    require(actor, Action.CONFIRM, ticket)
    if ticket.status_category != StatusCategory.RESOLVED:
        raise ValidationFailed(_("Only a resolved request can be confirmed."))
    old = ticket.status
    closed = default_status(StatusCategory.CLOSED)
    apply_status(ticket, closed)
    history(ticket, actor, "status", old, closed, _("Confirmed as solved by the requester."))
    touch(ticket, *STATUS_FIELDS)
    notice(NoticeKind.CLOSED, ticket, actor=actor)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor, reason: str) -> Ticket:
    """The requester says a resolved request is not solved: it reopens, the reason is a reply."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Tell us what is still wrong."), field="reason")
    ticket = locked(ticket)
    require(actor, Action.REOPEN, ticket)
    if ticket.status_category != StatusCategory.RESOLVED:
        raise ValidationFailed(_("Only a resolved request can be reopened."))
    old = ticket.status
    opened = default_status(StatusCategory.OPEN)
    apply_status(ticket, opened)
    history(ticket, actor, "status", old, opened, _("Reopened by the requester."))
    entry = fixedsql.insert(Entry(ticket=ticket, kind=EntryKind.REPLY, author=actor, body=reason))
    touch(ticket, *STATUS_FIELDS, public=True)
    notice(NoticeKind.REQUESTER_REPLIED, ticket, actor=actor, entry=entry)
    return ticket


@transaction.atomic
def ticket_delete(*, ticket: Ticket, actor, reason: str = "") -> Ticket:
    """Move a request to the trash. Needs the manage right, or supervisor/administrator."""
    ticket = locked(ticket)
    require(actor, Action.MANAGE, ticket)
    if ticket.is_deleted:
        return ticket
    ticket.deleted_at = clock.now()
    ticket.deleted_by = actor
    history(ticket, actor, "deleted", False, True, reason)
    touch(ticket, "deleted_at", "deleted_by")
    log(actor, "ticket.deleted", ticket, reason=reason)
    return ticket


def _supervisor_only(actor) -> None:
    if actor is None or not actor.is_active or not actor.is_supervisor_or_admin:
        raise PermissionDenied(_("Only supervisors and administrators can do this."))


@transaction.atomic
def ticket_restore(*, ticket: Ticket, actor) -> Ticket:
    """Take a request out of the trash. Supervisors and administrators only."""
    _supervisor_only(actor)
    ticket = locked(ticket)
    if not ticket.is_deleted:
        return ticket
    ticket.deleted_at = None
    ticket.deleted_by = None
    history(ticket, actor, "deleted", True, False)
    touch(ticket, "deleted_at", "deleted_by")
    log(actor, "ticket.restored", ticket)
    return ticket


@transaction.atomic
def ticket_purge(*, ticket: Ticket, actor) -> None:
    """Delete a trashed request for good, files included (after the commit). Supervisors and
    administrators only; the event log keeps that it happened."""
    _supervisor_only(actor)
    ticket = locked(ticket)
    if not ticket.is_deleted:
        raise ValidationFailed(_("Move the request to the trash first."))
    names = [a.file.name for a in ticket.attachments.all()]
    storage = ticket.attachments.model._meta.get_field("file").storage
    log(actor, "ticket.purged", ticket, subject=ticket.subject, requester=ticket.requester.email)
    unindex_tickets(ticket)
    ticket.delete()

    def remove_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)


def tickets_auto_close(*, batch: int = 500) -> int:
    """Close resolved requests whose requester did not answer within the configured days.

    Run by the worker every quarter of an hour; each ticket closes in its own transaction under a
    row lock and is re-checked there, so a requester's answer arriving at the same moment wins and
    two workers never close a ticket twice. Returns how many were closed.
    """
    days = SiteSettings.current().auto_close_days
    if not days:
        return 0
    cutoff = clock.now() - timedelta(days=days)
    due = Ticket.objects.filter(
        status_category=StatusCategory.RESOLVED,
        deleted_at__isnull=True,
        resolved_at__lt=cutoff,
    ).values_list("pk", flat=True)[:batch]
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            ticket = locked(Ticket(pk=pk))
            if ticket.status_category != StatusCategory.RESOLVED or ticket.resolved_at >= cutoff:
                continue
            old = ticket.status
            target = default_status(StatusCategory.CLOSED)
            apply_status(ticket, target)
            history(
                ticket,
                None,
                "status",
                old,
                target,
                _("Closed automatically: no answer within %(days)s days of the solution.")
                % {"days": days},
            )
            touch(ticket, *STATUS_FIELDS)
            log(None, "ticket.auto_closed", ticket, days=days)
            notice(NoticeKind.CLOSED, ticket, actor=None, automatic=True)
            closed += 1
    return closed
