"""Fetch-and-authorise for the portal: the tickets domain decides (`helpline.tickets.access`), these
helpers only turn "not yours" into a 404."""

from django.db.models import QuerySet
from django.http import Http404

from helpline.tickets.access import (
    organisation_acts,
    organisation_shares,
    portal_attachments,
    portal_ticket_filter,
    portal_tickets,
)
from helpline.tickets.models import Attachment, Ticket

__all__ = [
    "organisation_acts",
    "organisation_shares",
    "portal_attachment_or_404",
    "portal_ticket_filter",
    "portal_ticket_or_404",
    "portal_tickets",
]


def portal_ticket_or_404(user, pk: int, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    qs = queryset if queryset is not None else Ticket.objects.all()
    try:
        return qs.filter(portal_ticket_filter(user)).get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def portal_attachment_or_404(user, pk: int) -> Attachment:
    """An attachment of a public reply on a ticket the user may read; notes' files never."""
    try:
        return portal_attachments(user).get(pk=pk)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc
