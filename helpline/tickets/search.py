"""Tickets as a search source (helpline.search): what the index holds for a request.

The public part is the subject (the title), every public reply (the body, one passage per
entry) and the exact tokens: the number, the requester's name and every address, the phone,
the organisation's name (a rename reindexes its requests) and the tags. Internal notes are the
private part, found only by searches that may read them (staff who can open the request).
Trashed requests stay in the index (the trash view searches them; the other views leave them
out through `among`); a purged request leaves it. `index_tickets` is called by the services in
the transaction of each change.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.dateparse import parse_datetime

from helpline.accounts.models import ADDRESSES_KNOWN
from helpline.search import engine
from helpline.search.engine import Document
from helpline.search.text import PASSAGE

from . import access
from .models import Entry, EntryKind, Ticket

KIND = "ticket"


class TicketSource:
    kind = KIND
    # Entries are never deleted nor made public: a request's internal notes, once there, leave
    # the index only with the request (the engine then skips looking for a stale private part).
    private_only_grows = True

    def documents(self, ids: Iterable[int]) -> Iterable[Document]:
        """One query for everything a document holds (the request with its requester and
        organisation, its replies and notes in order, its tags, the requester's addresses): each
        write of a request reindexes it in its transaction, so this runs on every write."""
        ids = [int(i) for i in ids]
        if not ids:
            return []
        sql, params = _document_sql(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        heads: dict[int, tuple[Any, ...]] = {}
        public: dict[int, list[str]] = {}
        private: dict[int, list[str]] = {}
        extra: dict[int, list[str]] = {}
        for row in rows:
            part, ticket_id = row[0], row[1]
            if part == 0:
                heads[ticket_id] = row
            elif part == 1:
                target = public if row[2] == EntryKind.REPLY else private
                target.setdefault(ticket_id, []).append(row[3] or "")
            elif row[2]:
                extra.setdefault(ticket_id, []).append(row[2])
        return [self._document(head, public, private, extra) for ticket_id, head in heads.items()]

    def bulk_heads(self, ids: Iterable[int]) -> list[Document]:
        """The documents without their text or time (the set-based rebuild joins those in SQL):
        one row per request, its tags and the requester's addresses as arrays, ids as one
        array parameter."""
        ids = [int(i) for i in ids]
        if not ids:
            return []
        with connection.cursor() as cursor:
            cursor.execute(_heads_sql(), [ids])
            rows = cursor.fetchall()
        documents = []
        for row in rows:
            head, tags, addresses = (*row[:9], None), row[9], row[10]
            extra = {row[1]: [e for e in [*tags, *addresses] if e]}
            documents.append(self._document(head, {}, {}, extra))
        return documents

    def bulk_sql(self) -> engine.BulkSQL:
        """The title, time and text of the batch's requests, as `documents` joins them: replies
        and notes in thread order (time, then id), joined with the passage separator."""
        qn = connection.ops.quote_name
        ticket = qn(Ticket._meta.db_table)
        entry = qn(Entry._meta.db_table)
        ordered = "ORDER BY e.created_at, e.id"
        # Only table names from the models are interpolated.
        select = (
            "SELECT b.id, t.subject, t.last_activity_at, COALESCE(x.body, ''), "  # noqa: S608
            f"COALESCE(x.private, '') FROM batch b JOIN {ticket} t ON t.id = b.id "
            f"LEFT JOIN LATERAL (SELECT string_agg(e.body, %s {ordered}) "
            "FILTER (WHERE e.kind = %s) AS body, "
            f"string_agg(e.body, %s {ordered}) FILTER (WHERE e.kind = %s) AS private "
            f"FROM {entry} e WHERE e.ticket_id = b.id AND e.kind IN (%s, %s)) x ON true"
        )
        return engine.BulkSQL(
            select,
            [PASSAGE, EntryKind.REPLY, PASSAGE, EntryKind.NOTE, EntryKind.REPLY, EntryKind.NOTE],
        )

    @staticmethod
    def _document(
        head: tuple[Any, ...],
        public: dict[int, list[str]],
        private: dict[int, list[str]],
        extra: dict[int, list[str]],
    ) -> Document:
        _part, pk, subject, first, last, email, phone, language, organisation, when = head[:10]
        exact = [
            str(pk),
            f"#{pk}",
            first,
            last,
            email,
            phone,
            organisation or "",
            *extra.get(pk, []),  # tags, then the requester's addresses
        ]
        return Document(
            object_id=pk,
            language=language or settings.LANGUAGE_CODE,
            title=subject,
            body=PASSAGE.join(public.get(pk, [])),
            exact=" ".join(e for e in dict.fromkeys(exact) if e),
            when=_datetime(when),
            private=PASSAGE.join(private.get(pk, [])),
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


def _document_sql(ids: list[int]) -> tuple[str, list[Any]]:
    """UNION ALL of four reads, one row shape: (part, ticket, a, b, ...). Part 0 the request
    (subject, requester's first and last name, e-mail, phone, language, organisation, last
    activity), 1 its replies and notes (kind, body) in thread order, 2 its tags, 3 the
    requester's addresses."""
    qn = connection.ops.quote_name
    ticket = qn(Ticket._meta.db_table)
    entry = qn(Entry._meta.db_table)
    user_model: Any = Ticket._meta.get_field("requester").related_model
    organisation_model: Any = Ticket._meta.get_field("organisation").related_model
    tags: Any = Ticket._meta.get_field("tags")
    user = qn(user_model._meta.db_table)
    organisation = qn(organisation_model._meta.db_table)
    tag = qn(tags.related_model._meta.db_table)
    link = qn(tags.remote_field.through._meta.db_table)
    link_ticket = qn(tags.m2m_column_name())
    link_tag = qn(tags.m2m_reverse_name())
    address = qn(EmailAddress._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    ticket_extra = "u.phone, u.language,"
    nulls = ", ".join(["NULL"] * 5)
    # Only table and column names from the models are interpolated; the ids are parameters.
    sql = (
        f"SELECT 0, t.id, t.subject, u.first_name, u.last_name, u.email, {ticket_extra} "  # noqa: S608
        f"o.name, t.last_activity_at, NULL FROM {ticket} t "
        f"JOIN {user} u ON u.id = t.requester_id "
        f"LEFT JOIN {organisation} o ON o.id = t.organisation_id WHERE t.id IN ({marks}) "
        f"UNION ALL SELECT 1, e.ticket_id, e.kind, e.body, {nulls}, e.created_at, e.id "
        f"FROM {entry} e WHERE e.ticket_id IN ({marks}) AND e.kind IN (%s, %s) "
        f"UNION ALL SELECT 2, l.{link_ticket}, g.name, NULL, {nulls}, NULL, g.id "
        f"FROM {link} l JOIN {tag} g ON g.id = l.{link_tag} WHERE l.{link_ticket} IN ({marks}) "
        f"UNION ALL SELECT 3, t.id, a.email, NULL, {nulls}, NULL, a.id FROM {ticket} t "
        f"JOIN {address} a ON a.user_id = t.requester_id WHERE t.id IN ({marks}) "
        "ORDER BY 1, 2, 10, 11"
    )
    return sql, [*ids, *ids, EntryKind.REPLY, EntryKind.NOTE, *ids, *ids]


def _tables() -> dict[str, str]:
    qn = connection.ops.quote_name
    user_model: Any = Ticket._meta.get_field("requester").related_model
    organisation_model: Any = Ticket._meta.get_field("organisation").related_model
    tags: Any = Ticket._meta.get_field("tags")
    return {
        "ticket": qn(Ticket._meta.db_table),
        "user": qn(user_model._meta.db_table),
        "organisation": qn(organisation_model._meta.db_table),
        "tag": qn(tags.related_model._meta.db_table),
        "link": qn(tags.remote_field.through._meta.db_table),
        "link_ticket": qn(tags.m2m_column_name()),
        "link_tag": qn(tags.m2m_reverse_name()),
        "address": qn(EmailAddress._meta.db_table),
    }


def _heads_sql() -> str:
    """PostgreSQL: `_document_sql`'s request row (without the time), its tags and the
    requester's addresses in the same order, one row per request in the array parameter."""
    n = _tables()
    # Only table and column names from the models are interpolated; the ids are a parameter.
    return (
        "SELECT 0, t.id, t.subject, u.first_name, u.last_name, u.email, u.phone, "  # noqa: S608
        f"u.language, o.name, ARRAY(SELECT g.name FROM {n['link']} l JOIN {n['tag']} g "
        f"ON g.id = l.{n['link_tag']} WHERE l.{n['link_ticket']} = t.id ORDER BY g.id), "
        f"ARRAY(SELECT a.email FROM {n['address']} a WHERE a.user_id = t.requester_id "
        f"ORDER BY a.id) FROM {n['ticket']} t JOIN {n['user']} u ON u.id = t.requester_id "
        f"LEFT JOIN {n['organisation']} o ON o.id = t.organisation_id "
        "WHERE t.id = ANY(%s::bigint[])"
    )


def _datetime(value: Any) -> datetime | None:
    """A timestamp read by a raw cursor (SQLite gives it naive, in UTC, or as text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None and settings.USE_TZ:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def index_tickets(*tickets: Ticket) -> None:
    """Bring these tickets' index rows up to date, in the caller's transaction."""
    engine.index(KIND, [t.pk for t in tickets])


def ticket_opened_indexed(ticket: Ticket, entry: Entry) -> None:
    """`ticket`, just opened with `entry` (its first, public, entry; no tags yet), joins the index
    in the caller's transaction. When everything its document holds is at hand — a requester
    just registered, whose addresses are known (`accounts.models.ADDRESSES_KNOWN`), and their
    organisation loaded — the document is built here, the one `TicketSource.documents` would
    read; otherwise (a known requester: their other addresses) it is read from the database."""
    requester_field: Any = Ticket._meta.get_field("requester")
    organisation_field: Any = requester_field.related_model._meta.get_field("organisation")
    requester = ticket.requester if requester_field.is_cached(ticket) else None
    addresses = getattr(requester, ADDRESSES_KNOWN, None)
    if (
        requester is None
        or addresses is None
        or entry.kind != EntryKind.REPLY
        or requester.organisation_id != ticket.organisation_id
        or (ticket.organisation_id is not None and not organisation_field.is_cached(requester))
    ):
        index_tickets(ticket)
        return
    organisation = requester.organisation
    head = (
        0,
        ticket.pk,
        ticket.subject,
        requester.first_name,
        requester.last_name,
        requester.email,
        requester.phone,
        requester.language,
        organisation.name if organisation is not None else None,
        ticket.last_activity_at,
    )
    document = TicketSource._document(
        head, {ticket.pk: [entry.body]}, {}, {ticket.pk: list(addresses)}
    )
    engine.index_documents(KIND, [document])


def entry_indexed(ticket: Ticket, entry: Entry) -> None:
    """`entry`, just added at the end of `ticket`'s thread (saved, as `ticket` is), joins the
    request's document: a reply its public text, a note its private text, without reading the
    thread again; anything else, or rows that cannot simply be extended, reindexes the request.
    In the caller's transaction."""
    added = False
    if entry.kind == EntryKind.REPLY:
        added = engine.append(KIND, ticket.pk, body=entry.body, when=ticket.last_activity_at)
    elif entry.kind == EntryKind.NOTE:
        added = engine.append(KIND, ticket.pk, private=entry.body, when=ticket.last_activity_at)
    if not added:
        index_tickets(ticket)


def unindex_tickets(*tickets: Ticket) -> None:
    engine.remove(KIND, [t.pk for t in tickets])


# What a request's document holds of its requester: a change to any of these reindexes their
# requests (a save naming other fields only, such as the last login, does not).
REQUESTER_FIELDS = frozenset({"first_name", "last_name", "email", "phone", "language"})
REINDEX_BATCH = 500


def requester_requests_reindex(user_id: int) -> int:
    """Reindex every request of this requester, in the caller's transaction (a name, an address
    or the language changed). Returns how many."""
    return engine.index_where(
        KIND, Ticket.objects.filter(requester_id=user_id), batch=REINDEX_BATCH
    )


def _user_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kw: Any
) -> None:
    if created or kw.get("raw"):
        return
    if update_fields is not None and not REQUESTER_FIELDS.intersection(update_fields):
        return
    requester_requests_reindex(instance.pk)


def _address_changed(sender: Any, instance: EmailAddress, **kw: Any) -> None:
    if kw.get("raw") or not instance.user_id:
        return
    if kw.get("update_fields") is not None and "email" not in kw["update_fields"]:
        return  # verified or primary: the document holds every address either way
    requester_requests_reindex(instance.user_id)


def organisation_requests_reindex(organisation_id: int) -> int:
    """Reindex every request filed under this organisation, in the caller's transaction (its
    name, an exact token of the document, changed), in batches. Returns how many."""
    return engine.index_where(
        KIND, Ticket.objects.filter(organisation_id=organisation_id), batch=REINDEX_BATCH
    )


def _organisation_saving(sender: Any, instance: Any, **kw: Any) -> None:
    """Remember the stored name before the save: only a new name reindexes (the document holds
    the name, not the domain nor the flags)."""
    instance._search_old_name = None
    if kw.get("raw") or not instance.pk:
        return
    update_fields = kw.get("update_fields")
    if update_fields is not None and "name" not in update_fields:
        return
    instance._search_old_name = (
        sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    )


def _organisation_saved(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
    old = getattr(instance, "_search_old_name", None)
    instance._search_old_name = None
    if created or kw.get("raw") or old is None or old == instance.name:
        return
    organisation_requests_reindex(instance.pk)


def connect() -> None:
    engine.register(TicketSource())
    # Every way a person's name or addresses change (the admin's and their own services,
    # allauth's confirmation, the primary address kept equal to User.email) saves these rows:
    # the signals run inside the same transaction, so the index changes with them.
    user_model = Ticket._meta.get_field("requester").related_model
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="tickets.search.user")
    post_save.connect(_address_changed, sender=EmailAddress, dispatch_uid="tickets.search.addr")
    post_delete.connect(
        _address_changed, sender=EmailAddress, dispatch_uid="tickets.search.addr_gone"
    )
    # A renamed organisation: its requests' documents hold the name (the service saves the row,
    # so the reindex runs in its transaction).
    organisation_model = Ticket._meta.get_field("organisation").related_model
    pre_save.connect(
        _organisation_saving, sender=organisation_model, dispatch_uid="tickets.search.org_old"
    )
    post_save.connect(
        _organisation_saved, sender=organisation_model, dispatch_uid="tickets.search.org"
    )


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
    # An unfiltered `narrow` (the search page without filters) would only add a probe per match.
    if narrow is not None and narrow.query.where:
        base = base.filter(pk__in=narrow.values("pk"))
    return engine.search(
        KIND, query, among=base, private=staff, limit=limit, offset=offset, prefix=prefix
    )


def ticket_matches(user: Any, query: str) -> engine.Matching | None:
    """The requests matching `query` (notes included for staff): their ids when there are at
    most `engine.MATCH_CAP`, else the match set as SQL; None when the query holds no word.
    Visibility is the caller's queryset's business (the board's)."""
    return engine.matching_ids(KIND, query, private=access.is_staff(user))
