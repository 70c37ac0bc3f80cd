"""Requests the merge and link dialogs suggest as the agent types a number or words of a subject.

Only requests the agent may open (`helpline.tickets.access.desk_tickets`), never the request
itself or one in the trash. The requester's own requests come first: a merge is only allowed
between them (`ticket_merge`), and a related request is most often the same person's. For a merge
the suggestions leave out what the service would refuse (closed or already merged requests).
At most two queries, each bounded by LIMIT.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from helpline.tickets.access import desk_tickets
from helpline.tickets.models import StatusCategory, Ticket

from .selectors import ticket_number

LIMIT = 8
MAX_WORDS = 4
MAX_TEXT = 100


class Purpose:
    MERGE = "merge"
    LINK = "link"


@dataclass(frozen=True)
class Candidate:
    ticket: Ticket
    same_requester: bool
    # A merge needs the same requester: others are shown, greyed, with the reason.
    selectable: bool


def _matching(qs: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    number = ticket_number(text)
    if number is not None:
        return qs.filter(Q(pk=number) | Q(subject__icontains=str(number)))
    for word in text.split()[:MAX_WORDS]:
        qs = qs.filter(subject__icontains=word)
    return qs


def ticket_candidates(user, ticket: Ticket, text: str, *, purpose: str) -> list[Candidate]:
    """Suggestions for merging `ticket` into, or linking it to, another request.

    With no text: the requester's other requests. With text: those matching it (a number finds
    that request; words must all appear in the subject), the requester's first.
    """
    text = text.strip()[:MAX_TEXT]
    qs = (
        desk_tickets(user)
        .filter(deleted_at__isnull=True)
        .exclude(pk=ticket.pk)
        .select_related("status", "requester")
    )
    if purpose == Purpose.MERGE:
        qs = qs.filter(merged_into__isnull=True).exclude(status_category=StatusCategory.CLOSED)
    else:
        qs = qs.exclude(pk__in=ticket.links.values("pk"))
    if text:
        qs = _matching(qs, text)
    order = ("-last_activity_at", "-id")
    same = list(qs.filter(requester_id=ticket.requester_id).order_by(*order)[:LIMIT])
    others: list[Ticket] = []
    if text and len(same) < LIMIT:
        others = list(
            qs.exclude(requester_id=ticket.requester_id).order_by(*order)[: LIMIT - len(same)]
        )
    number = ticket_number(text)
    found = [Candidate(t, same_requester=True, selectable=True) for t in same] + [
        Candidate(t, same_requester=False, selectable=purpose == Purpose.LINK) for t in others
    ]
    # The request whose number was typed leads, whoever asked it.
    found.sort(key=lambda c: c.ticket.pk != number)
    return found
