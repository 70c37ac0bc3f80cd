"""Fetch-and-authorise for the portal: a requester's own requests, and their organisation's
when it shares them. Anything else answers 404."""

from django.db.models import Q, QuerySet
from django.http import Http404

from helpline.tickets.models import Attachment, EntryKind, Ticket


def organisation_shares(user) -> bool:
    """Whether `user` may read their organisation's requests (requesters only, not staff)."""
    if not user.is_authenticated or user.is_agent_side or not user.organisation_id:
        return False
    organisation = user.organisation
    return organisation.is_active and organisation.shared_requests


def portal_ticket_filter(user, prefix: str = "") -> Q:
    """Tickets `user` may read in the portal; staff only see the requests they asked."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    condition = Q(**{f"{prefix}requester_id": user.pk})
    if organisation_shares(user):
        condition |= Q(**{f"{prefix}organisation_id": user.organisation_id})
    return condition & Q(**{f"{prefix}deleted_at__isnull": True})


def portal_tickets(user) -> QuerySet[Ticket]:
    return Ticket.objects.filter(portal_ticket_filter(user))


def portal_ticket_or_404(user, pk: int, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    qs = queryset if queryset is not None else Ticket.objects.all()
    try:
        return qs.filter(portal_ticket_filter(user)).get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def portal_attachment_or_404(user, pk: int) -> Attachment:
    """An attachment of a public reply on a ticket the user may read; notes' files never."""
    qs = Attachment.objects.filter(entry__kind=EntryKind.REPLY).filter(
        portal_ticket_filter(user, prefix="entry__ticket__")
    )
    try:
        return qs.get(pk=pk)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc
