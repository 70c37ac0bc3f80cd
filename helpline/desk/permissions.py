"""Fetch-and-authorise for the desk: the tickets domain decides (`helpline.tickets.access`), these
helpers only turn "not yours" into a 404."""

from django.db.models import QuerySet
from django.http import Http404

from helpline.mail.models import MailMessage
from helpline.tickets.access import desk_attachments, desk_tickets, staff_ticket_filter
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


def staff_ticket_or_404(user, pk: int, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    qs = queryset if queryset is not None else Ticket.objects.all()
    condition = staff_ticket_filter(user)
    if condition is not None:
        qs = qs.filter(condition)
    try:
        return qs.get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


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
