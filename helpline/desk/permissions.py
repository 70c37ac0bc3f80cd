"""Fetch-and-authorise for the desk: the tickets domain decides (`helpline.tickets.access`), these
helpers only turn "not yours" into a 404."""

from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404

from helpline.mail.models import MailMessage
from helpline.tickets.access import (
    Action,
    desk_attachments,
    desk_tickets,
    is_staff,
    staff_can,
    staff_ticket_filter,
)
from helpline.tickets.models import Attachment, Ticket

# The desk's names for the domain's querysets.
staff_tickets = desk_tickets

__all__ = [
    "staff_attachment_or_404",
    "staff_mail_or_404",
    "staff_ticket_filter",
    "staff_ticket_or_404",
    "staff_tickets",
]


# What `staff_can` asks of a ticket to let the desk open it.
_RULE_FIELDS = frozenset({"department", "assignee"})


def staff_ticket_or_404(user, pk: int, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """The ticket `pk`, if `user` may open it at the desk; "not found" otherwise.

    The row is read by its key alone and the domain's predicate (`staff_can` for viewing, the
    rule `staff_ticket_filter` states as a filter) asked of it: a filter naming every department
    the agent sees cost more to build than the read itself."""
    if not is_staff(user):
        raise Http404
    qs = queryset if queryset is not None else Ticket.objects.all()
    names, deferring = qs.query.deferred_loading
    if names:  # a queryset reading some fields only: also those the rule asks about
        qs = (
            qs.defer(None).defer(*(names - _RULE_FIELDS))
            if deferring
            else qs.only(*names, *_RULE_FIELDS)
        )
    # What the queryset prefetches (the thread) is read once the ticket may be seen.
    prefetches = getattr(qs, "_prefetch_related_lookups", ())
    try:
        ticket = qs.prefetch_related(None).get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc
    if not staff_can(user, Action.VIEW, ticket):
        raise Http404
    if prefetches:
        prefetch_related_objects([ticket], *prefetches)
    return ticket


def staff_attachment_or_404(user, pk: int) -> Attachment:
    try:
        return desk_attachments(user).get(pk=pk)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc


def staff_mail_or_404(user, entry_pk: int) -> MailMessage:
    """The mail of entry `entry_pk`, if the staff member may open its ticket (notes included)."""
    qs = MailMessage.objects.select_related("entry", "entry__ticket")
    condition = staff_ticket_filter(user, prefix="entry__ticket__")
    if condition is not None:
        qs = qs.filter(condition)
    try:
        return qs.get(entry_id=entry_pk)
    except MailMessage.DoesNotExist as exc:
        raise Http404 from exc
