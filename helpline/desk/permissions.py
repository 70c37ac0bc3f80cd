"""Fetch-and-authorise for the desk: which tickets a staff member may see."""

from django.db.models import Q, QuerySet
from django.http import Http404

from helpline.accounts.access import access_for
from helpline.tickets.models import Ticket


def staff_ticket_filter(user) -> Q | None:
    """The Q that limits tickets to those `user` may see; None means every ticket."""
    if not user.is_authenticated or not user.is_active or not user.is_agent_side:
        return Q(pk__in=[])
    access = access_for(user)
    if access.everything:
        return None
    return Q(department_id__in=access.view) | Q(assignee_id=user.pk)


def staff_tickets(user) -> QuerySet[Ticket]:
    condition = staff_ticket_filter(user)
    qs = Ticket.objects.all()
    return qs if condition is None else qs.filter(condition)


def staff_ticket_or_404(user, pk: int, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    qs = queryset if queryset is not None else Ticket.objects.all()
    condition = staff_ticket_filter(user)
    if condition is not None:
        qs = qs.filter(condition)
    try:
        return qs.get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc
