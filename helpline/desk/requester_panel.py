"""The ticket page's requester panel: who is asking, what else they asked, their organisation.

Everything here is read through the access rules (`helpline.tickets.access.desk_tickets`): an
agent sees the requester's other requests and the organisation's open count only among the
requests they may open. Two queries, whatever the number of requests.
"""

from dataclasses import dataclass, field

from helpline.accounts.models import Organisation, User
from helpline.tickets.access import desk_tickets
from helpline.tickets.models import OPEN_CATEGORIES, Ticket

# The requester's other requests shown: the most recent, open ones marked; the rest are one
# click away on the board (filtered by requester).
OTHERS_SHOWN = 6
# The organisation's open count stops at this, as the board's view counts do ("99+").
OPEN_COUNT_CAP = 100


@dataclass
class RequesterPanel:
    requester: User
    others: list[Ticket] = field(default_factory=list)
    organisation: Organisation | None = None
    organisation_open: int = 0

    @property
    def open_others(self) -> list[Ticket]:
        return [t for t in self.others if t.is_open]

    @property
    def organisation_open_display(self) -> str:
        if self.organisation_open >= OPEN_COUNT_CAP:
            return f"{OPEN_COUNT_CAP - 1}+"
        return str(self.organisation_open)


def requester_panel(user, ticket: Ticket) -> RequesterPanel:
    """The panel for `ticket` as `user` sees it.

    1 the requester's other requests (+ status), newest public activity first (the
    ticket_requester index), 2 the organisation's open requests, counted up to the cap.
    The requester and their organisation come with the ticket (select_related).
    """
    requester = ticket.requester
    visible = desk_tickets(user).filter(deleted_at__isnull=True)
    others = list(
        visible.filter(requester_id=requester.pk)
        .exclude(pk=ticket.pk)
        .select_related("status")
        .order_by("-last_public_activity_at", "-id")[:OTHERS_SHOWN]
    )
    organisation = requester.organisation
    open_count = 0
    if organisation is not None:
        open_count = (
            visible.filter(organisation_id=organisation.pk, status_category__in=OPEN_CATEGORIES)
            .values("id")[:OPEN_COUNT_CAP]
            .count()
        )
    return RequesterPanel(
        requester=requester,
        others=others,
        organisation=organisation,
        organisation_open=open_count,
    )
