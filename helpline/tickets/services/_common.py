"""Helpers shared by the ticket services: locking, history entries, rights, defaults."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from helpline.accounts.access import access_for
from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.errors import Conflict, PermissionDenied

from ..models import Attachment, Entry, EntryKind, PriorityRule, Status, StatusCategory, Ticket
from .attachments import CheckedFile, file_sha256


def locked(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """Re-read the ticket under a row lock; refuse if someone saved it since the form was shown."""
    fresh = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise Conflict(
            _(
                "Someone else changed this request while you were working on it. Reload to see "
                "their change, then try again."
            )
        )
    return fresh


def require(user, right: str, ticket: Ticket) -> None:
    """Staff rights on the ticket's department; the assignee may always work their own ticket."""
    if right in {"view", "reply"} and ticket.assignee_id == user.pk and user.is_agent_side:
        return
    if not access_for(user).can(right, ticket.department_id):
        raise PermissionDenied(_("You do not have the right to do this in this department."))


def default_status(category: str) -> Status:
    status = (
        Status.objects.filter(category=category, is_active=True)
        .order_by("-is_default", "order")
        .first()
    )
    if status is None:
        raise LookupError(f"No active status in category {category}")
    return status


def matrix_priority(impact: int, urgency: int) -> int:
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).first()
    return rule.priority if rule else 2


def history(ticket: Ticket, actor, field: str, old: str, new: str, reason: str = "") -> Entry:
    return Entry.objects.create(
        ticket=ticket,
        kind=EntryKind.EVENT,
        author=actor if actor is not None and actor.is_authenticated else None,
        field=field,
        old_value=str(old)[:250],
        new_value=str(new)[:250],
        body=reason,
    )


def apply_status(ticket: Ticket, status: Status) -> None:
    """Set the status and the lifecycle timestamps that go with its category."""
    now = clock.now()
    ticket.status = status
    ticket.status_category = status.category
    if status.category == StatusCategory.RESOLVED:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = None
    elif status.category == StatusCategory.CLOSED:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = now
    else:
        ticket.resolved_at = None
        ticket.closed_at = None


def touch(ticket: Ticket, *fields: str) -> None:
    ticket.last_activity_at = clock.now()
    ticket.version += 1
    ticket.save(update_fields=[*fields, "last_activity_at", "version", "updated_at"])


def attach(entry: Entry, files: Iterable[CheckedFile]) -> list[Attachment]:
    created = []
    for checked in files:
        attachment = Attachment(
            ticket_id=entry.ticket_id,
            entry=entry,
            filename=checked.filename,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256 or file_sha256(checked.upload),
        )
        checked.upload.seek(0)
        attachment.file.save(checked.filename, checked.upload, save=False)
        attachment.save()
        created.append(attachment)
    return created


def log(actor, action: str, ticket: Ticket, **changes) -> None:
    event_record(actor=actor, action=action, obj=ticket, changes=changes)
