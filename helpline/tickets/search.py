"""Tickets as a search source (helpline.search): what the index holds for a request.

The public part is the subject (the title), every public reply (the body, one passage per
entry) and the exact tokens: the number, the requester's name and every address, the phone,
the organisation and the tags. Internal notes are the private part, found only by searches
that may read them (staff who can open the request). Trashed requests stay in the index (the
trash view searches them; the other views leave them out through `among`); a purged request
leaves it. `index_tickets` is called by the services in the transaction of each change.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import QuerySet

from helpline.search import engine
from helpline.search.engine import Document
from helpline.search.text import PASSAGE

from . import access
from .models import Entry, EntryKind, Ticket

KIND = "ticket"


class TicketSource:
    kind = KIND

    def documents(self, ids: Iterable[int]) -> Iterable[Document]:
        ids = list(ids)
        tickets = list(
            Ticket.objects.filter(pk__in=ids)
            .select_related("requester", "organisation")
            .prefetch_related("tags")
        )
        if not tickets:
            return []
        public: dict[int, list[str]] = {}
        private: dict[int, list[str]] = {}
        entries = (
            Entry.objects.filter(
                ticket_id__in=[t.pk for t in tickets], kind__in=[EntryKind.REPLY, EntryKind.NOTE]
            )
            .order_by("ticket_id", "created_at", "id")
            .values_list("ticket_id", "kind", "body")
        )
        for ticket_id, kind, body in entries:
            target = public if kind == EntryKind.REPLY else private
            target.setdefault(ticket_id, []).append(body)
        addresses: dict[int, list[str]] = {}
        for user_id, email in EmailAddress.objects.filter(
            user_id__in={t.requester_id for t in tickets}
        ).values_list("user_id", "email"):
            addresses.setdefault(user_id, []).append(email)
        return [self._document(t, public, private, addresses) for t in tickets]

    @staticmethod
    def _document(
        ticket: Ticket,
        public: dict[int, list[str]],
        private: dict[int, list[str]],
        addresses: dict[int, list[str]],
    ) -> Document:
        requester: Any = ticket.requester
        exact = [
            str(ticket.pk),
            f"#{ticket.pk}",
            requester.first_name,
            requester.last_name,
            requester.email,
            requester.phone,
            *addresses.get(requester.pk, []),
            ticket.organisation.name if ticket.organisation else "",
            *(tag.name for tag in ticket.tags.all()),
        ]
        return Document(
            object_id=ticket.pk,
            language=requester.language or settings.LANGUAGE_CODE,
            title=ticket.subject,
            body=PASSAGE.join(public.get(ticket.pk, [])),
            exact=" ".join(e for e in exact if e),
            when=ticket.last_activity_at,
            private=PASSAGE.join(private.get(ticket.pk, [])),
        )

    def all_ids(self) -> Iterator[int]:
        last = 0
        while True:
            batch = list(
                Ticket.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:2000]
            )
            if not batch:
                return
            yield from batch
            last = batch[-1]


def index_tickets(*tickets: Ticket) -> None:
    """Bring these tickets' index rows up to date, in the caller's transaction."""
    engine.index(KIND, [t.pk for t in tickets])


def unindex_tickets(*tickets: Ticket) -> None:
    engine.remove(KIND, [t.pk for t in tickets])


def connect() -> None:
    engine.register(TicketSource())


def tickets_search(
    user: Any,
    query: str,
    *,
    narrow: QuerySet[Ticket] | None = None,
    trash: bool = False,
    limit: int = 20,
    offset: int = 0,
    prefix: bool = False,
) -> engine.Results:
    """Requests `user` may read that match `query`, best first. Staff search the requests they
    may open on the desk, internal notes included; requesters the requests they may read in the
    portal, public replies only. Trashed requests only with `trash` (staff), never otherwise.
    `narrow` (a queryset of tickets, e.g. the search page's filters) combines in SQL."""
    staff = access.is_staff(user)
    base = access.desk_tickets(user) if staff else access.portal_tickets(user)
    base = base.filter(deleted_at__isnull=not (trash and staff))
    if narrow is not None:
        base = base.filter(pk__in=narrow.values("pk"))
    return engine.search(
        KIND, query, among=base, private=staff, limit=limit, offset=offset, prefix=prefix
    )


def ticket_matches(user: Any, query: str) -> Any:
    """SQL for `pk__in`: the requests matching `query` (notes included for staff), or None when
    the query holds no word. Visibility is the caller's queryset's business (the board's)."""
    return engine.matching(KIND, query, private=access.is_staff(user))
