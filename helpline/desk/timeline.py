"""The ticket page's data: the ticket, its thread in order, and the choices its forms offer."""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from helpline.accounts.access import Access, access_for
from helpline.accounts.models import Department, Role, User
from helpline.accounts.reference import departments_all
from helpline.core.reference import remembered
from helpline.tickets.access import Action, staff_can
from helpline.tickets.history import HistoryNames, ref_id
from helpline.tickets.models import (
    Attachment,
    Entry,
    EntryKind,
    Status,
    StatusCategory,
    Ticket,
)
from helpline.tickets.reference import reference_attach, statuses_all

from .permissions import staff_ticket_or_404
from .requester_panel import RequesterPanel, requester_panel

HANDOVER_FIELDS = {"department", "assignee", "line"}
# History written by an assignment rule names it (helpline.teamwork.models.AssignmentMode).
RULE_NAMES = {
    "round_robin": _lazy("round-robin"),
    "least_loaded": _lazy("least-loaded"),
}


@dataclass(frozen=True)
class Rights:
    """What the signed-in staff member may do on this ticket (the services check again)."""

    view: bool
    reply: bool
    assign: bool
    manage: bool
    supervise: bool
    is_assignee: bool
    is_watching: bool

    @property
    def can_take(self) -> bool:
        return self.assign and not self.is_assignee


@dataclass(frozen=True)
class EventLine:
    icon: str
    text: SafeString
    handover: bool = False


@dataclass
class TicketPage:
    ticket: Ticket
    entries: list[Entry]
    access: Access
    rights: Rights
    statuses: list[Status]
    departments: list[Department]
    staff: list[User]
    links: list[Ticket] = field(default_factory=list)
    tags: list = field(default_factory=list)
    watchers: list[User] = field(default_factory=list)
    merged_from: list[Ticket] = field(default_factory=list)
    # Whether the request this one was merged into may be opened by the viewer.
    merged_into_visible: bool = False
    # Entries up to this one are already on the page (an answer that appends only the new ones).
    shown_up_to: int = 0
    requester_panel: RequesterPanel | None = None
    # (entry, whether someone other than the viewer added to the thread after it), when asked
    # with the ticket's row (`ticket_page_for_entry`).
    others_after: tuple[int, bool] | None = None

    @property
    def last_entry_id(self) -> int:
        """The newest thread entry shown: forms carry it, so a conflict can list what came
        after it (entry ids only grow)."""
        return max((e.pk for e in self.entries), default=self.shown_up_to)

    @property
    def side_departments(self) -> list[Department]:
        """Departments for the side panel: those the agent can view, plus the current one."""
        return [
            d
            for d in self.departments
            if d.pk == self.ticket.department_id or (d.is_active and self.access.can("view", d.pk))
        ]

    @property
    def target_departments(self) -> list[Department]:
        """Departments a request can be transferred or escalated to."""
        return [d for d in self.departments if d.is_active]

    @property
    def supervisors(self) -> list[User]:
        return [u for u in self.staff if u.role in Role.SUPERVISING]


def thread_entries():
    """Thread entries as the page shows them: with their mail and attachments. Their authors
    are attached afterwards (`_authors_attach`): a thread has few authors, most of them already
    read for the page, and a joined author row per entry was a sixth of the page's reading."""
    return Entry.objects.select_related("mail").prefetch_related("attachments")


def _authors_attach(entries: list[Entry], known) -> None:
    """Give each entry its author from `known` (people the page has read anyway: the requester,
    the staff who can see the department, the watchers, the responsible person); authors
    outside them (a former colleague, another requester) in one query, never one per entry."""
    people = {person.pk: person for person in known if person is not None}
    missing = {e.author_id for e in entries if e.author_id is not None} - people.keys()
    if missing:
        people.update((u.pk, u) for u in User.objects.filter(pk__in=missing))
    for entry in entries:
        if entry.author_id is not None:
            entry.author = people[entry.author_id]


# The ticket's related rows read with it, joined. Its status, department and topic are
# reference data this process keeps (`reference_attach`); the request it was merged into is read
# only if it was merged. Each joined table cost PostgreSQL's planner more than reading its row:
# at a million requests, planning the ten-table query took 2.5 ms (and 8 to 17 ms on a
# connection's first use), the six-table one 0.6 ms; the rows took 0.3 ms.
TICKET_JOINED = ("assignee", "requester", "requester__organisation", "organisation", "deleted_by")


def _beside(*, related: bool) -> dict[str, tuple[Exists, Prefetch]]:
    """Lists shown beside the ticket that are nearly always empty — who watches it and, with
    `related`, its links, tags and the requests merged into it: whether each has rows (asked in
    the ticket's own query), and how to read those that do."""
    pk = OuterRef("pk")
    people = User.objects.order_by("first_name", "last_name", "email")
    lists = {
        "watchers": (
            Exists(Ticket.watchers.through.objects.filter(ticket_id=pk)),
            Prefetch("watchers", queryset=people),
        )
    }
    if related:
        lists |= {
            "links": (
                Exists(Ticket.links.through.objects.filter(from_ticket_id=pk)),
                Prefetch("links", queryset=Ticket.objects.select_related("status").order_by("-id")),
            ),
            "tags": (
                Exists(Ticket.tags.through.objects.filter(ticket_id=pk)),
                Prefetch("tags"),
            ),
            "merged_from": (
                Exists(Ticket.objects.filter(merged_into_id=pk)),
                Prefetch(
                    "merged_from",
                    queryset=Ticket.objects.only(
                        "id", "subject", "merged_into", "department_id", "assignee_id"
                    ),
                ),
            ),
        }
    return lists


def ticket_queryset(*, thread: bool = True, related: bool = True):
    """The ticket with everything its page shows, so templates never query; without its
    thread (`thread=False`) and the other requests and tags shown beside it (`related=False`)
    for a write, which needs the ticket, not what was said on it. The lists beside it come
    with `beside_read` (only those that have rows are read)."""
    qs = Ticket.objects.select_related(*TICKET_JOINED).annotate(
        **{f"has_{name}": exists for name, (exists, _) in _beside(related=related).items()}
    )
    if thread:
        qs = qs.prefetch_related(
            Prefetch("entries", queryset=thread_entries().order_by("created_at", "id"))
        )
    return qs


def beside_read(ticket: Ticket, *, related: bool = True) -> None:
    """Read the lists beside `ticket` (from `ticket_queryset`) that have rows, one query each;
    the empty ones are known empty without a query."""
    found = []
    for name, (_exists, prefetch) in _beside(related=related).items():
        if getattr(ticket, f"has_{name}"):
            found.append(prefetch)
            continue
        empty = getattr(ticket, name).none()
        empty._result_cache, empty._prefetch_done = [], True
        ticket._prefetched_objects_cache = getattr(ticket, "_prefetched_objects_cache", {})
        ticket._prefetched_objects_cache[name] = empty
    prefetch_related_objects([ticket], *found)


def staff_for_department(department: Department, *, include: int | None = None) -> list[User]:
    """Active staff who can view `department`, in one query.

    Mirrors `access_for`: supervisors and administrators see everything; other staff through a
    membership with the view right on the department or one of its ancestors (rights are
    inherited down the tree). `include` adds one more user (the current assignee) regardless.
    """
    ancestor_ids = [int(part) for part in department.path.strip("/").split("/") if part]
    condition = (
        Q(role__in=Role.SUPERVISING)
        | Q(is_superuser=True)
        | Q(memberships__department_id__in=ancestor_ids, memberships__can_view=True)
    )
    if include is not None:
        condition |= Q(pk=include)

    def load() -> list[User]:
        return list(
            User.objects.filter(condition, is_active=True, role__in=Role.STAFF)
            .distinct()
            .order_by("first_name", "last_name", "email")
        )

    if include is not None:
        return load()
    # Who can see a department changes rarely: reference data, kept per process.
    return list(remembered(f"desk:staff-for-department:{department.pk}:{department.path}", load))


def rights_for(user, ticket: Ticket, access: Access, *, watching: bool | None = None) -> Rights:
    """The page's buttons follow the domain's rules (`helpline.tickets.access`). `watching`
    given: the watchers are not read (an answer that shows no watch button)."""
    is_assignee = ticket.assignee_id == user.pk
    return Rights(
        view=staff_can(user, Action.VIEW, ticket),
        reply=staff_can(user, Action.REPLY, ticket),
        assign=staff_can(user, Action.ASSIGN, ticket),
        manage=staff_can(user, Action.MANAGE, ticket),
        supervise=staff_can(user, Action.SUPERVISE, ticket),
        is_assignee=is_assignee,
        is_watching=(
            watching
            if watching is not None
            else any(w.pk == user.pk for w in ticket.watchers.all())
        ),
    )


def ticket_page(user, pk: int, *, thread: bool = True, related: bool = True) -> TicketPage:
    """Everything the ticket page renders, in a fixed number of queries; for a write without
    the thread (`thread=False`: two queries fewer, nothing that grows with it) and without the
    links, tags and merged requests (`related=False`: three fewer).

    1 ticket (+ assignee, requester + organisation, organisation, deleted_by; its status,
    department and topic from the reference data), 2 entries (+ mail), 3 their attachments,
    4 links (+ status), 5 tags, 6 watchers, 7 tickets merged into this one, 8 statuses,
    9 departments, 10 staff who can view the department, 11 the requester's other requests and
    12 their organisation's open count (the requester panel; only with `related`). `access_for`
    adds two for staff without global rights (memberships, department paths), once per request.
    History naming a status, department or person none of these loaded (an inactive or deleted
    one, someone outside the department) adds at most one query for each of the three, however
    long the history; so do entries written by someone the page has not read (neither the
    requester, the responsible person, a watcher nor the staff who can view the department): one
    query for all of them. A request merged into another reads that one too (one query).
    """
    ticket = staff_ticket_or_404(user, pk, queryset=ticket_queryset(thread=thread, related=related))
    reference_attach(ticket)
    beside_read(ticket, related=related)
    return _page_of(user, ticket, thread=thread, related=related)


def _others_after(after: int, user) -> RawSQL:
    """Whether the ticket's thread has an entry after `after` by someone other than `user` (or
    by nobody: the system), asked in the ticket's own statement. Written out: the same EXISTS
    built from querysets cost more to compile than a second statement."""
    quote = connection.ops.quote_name
    entry, ticket = quote(Entry._meta.db_table), quote(Ticket._meta.db_table)
    # Only our own table and column names go into the text; the values are parameters.
    sql = (
        f"EXISTS (SELECT 1 FROM {entry} WHERE {entry}.{quote('ticket_id')} = {ticket}.{quote('id')}"  # noqa: S608
        f" AND {entry}.{quote('id')} > %s AND ({entry}.{quote('author_id')} IS NULL"
        f" OR {entry}.{quote('author_id')} <> %s))"
    )
    return RawSQL(sql, (after, user.pk), output_field=BooleanField())  # noqa: S611


def ticket_page_for_entry(user, pk: int, *, others_after: int | None = None) -> TicketPage:
    """What a reply posted from the ticket page reads before it writes: the ticket row with its
    requester (for the composer's text; its responsible person only if it is `user`) and, with
    `others_after`, whether others added to the thread after that entry (`page.others_after`),
    the statuses and departments from the reference data, and the buttons' rights — two
    queries, the access check included (a request the agent may not see is "not found", as the
    page would be). Not read: the thread, the staff who can view the department, the watchers
    (`rights.is_watching` is False here) and what is shown beside the thread. Enough for the
    form, the service (which locks the row again) and an answer that appends the new entry and
    a fresh reply form (`written_fragments`); an answer that shows more reads the page afresh."""
    queryset = Ticket.objects.select_related("requester")
    if others_after is not None:
        queryset = queryset.annotate(others_after=_others_after(others_after, user))
    ticket = staff_ticket_or_404(user, pk, queryset=queryset)
    # The responsible person is not joined: known without a query when it is the writer.
    if ticket.assignee_id == user.pk:
        Ticket.assignee.field.set_cached_value(ticket, user)
    access = access_for(user)
    return TicketPage(
        ticket=ticket,
        entries=[],
        access=access,
        rights=rights_for(user, ticket, access, watching=False),
        statuses=[s for s in statuses_all() if s.is_active or s.pk == ticket.status_id],
        departments=[d for d in departments_all() if d.is_active or d.pk == ticket.department_id],
        staff=[],
        others_after=(
            (others_after, bool(ticket.others_after)) if others_after is not None else None
        ),
    )


# The ticket's related rows the page shows (`ticket_queryset`'s select_related).
PAGE_RELATED = (
    "status",
    "department",
    "assignee",
    "requester",
    "organisation",
    "topic",
    "merged_into",
    "deleted_by",
)


def ticket_page_written(user, page: TicketPage, written: Ticket) -> TicketPage:
    """The page, without its thread and what is shown beside it, after a write on its ticket:
    `written` is the row the service locked, changed and returned, `page` the one the form was
    posted from. Related rows the write did not change (requester, topic, watchers, …) are
    carried over from `page`; those it changed are the ones the service set. Read afresh
    (`ticket_page`) only if the write changed a related row without setting it. A write that
    took the request out of the agent's sight answers "not found", as a fresh read would."""
    before = page.ticket
    for name in PAGE_RELATED:
        field = Ticket._meta.get_field(name)
        if field.is_cached(written):
            continue
        if getattr(written, field.attname) != getattr(before, field.attname):
            return ticket_page(user, written.pk, thread=False, related=False)
        if field.is_cached(before):  # the request it was merged into: read only if shown
            field.set_cached_value(written, field.get_cached_value(before))
    # Who watches is not something these writes change.
    written._prefetched_objects_cache = {"watchers": before.watchers.all()}
    if not staff_can(user, Action.VIEW, written):
        raise Http404
    return _page_of(user, written, thread=False, related=False)


def _page_of(user, ticket: Ticket, *, thread: bool, related: bool) -> TicketPage:
    access = access_for(user)
    statuses = [s for s in statuses_all() if s.is_active or s.pk == ticket.status_id]
    departments = [d for d in departments_all() if d.is_active or d.pk == ticket.department_id]
    staff = staff_for_department(ticket.department)
    assignee = ticket.assignee
    if (
        assignee is not None
        and assignee.is_active
        and assignee.role in Role.STAFF
        and all(u.pk != assignee.pk for u in staff)
    ):
        # Responsible but unable to see the department (moved since): still offered.
        staff = sorted([*staff, assignee], key=lambda u: (u.first_name, u.last_name, u.email))
    entries = list(ticket.entries.all()) if thread else []
    watchers = list(ticket.watchers.all())
    _authors_attach(entries, [ticket.requester, ticket.assignee, *staff, *watchers])
    _lines_add(entries, ticket, statuses, departments, [*staff, *watchers])
    _mark_event_runs(entries)
    return TicketPage(
        ticket=ticket,
        entries=entries,
        access=access,
        rights=rights_for(user, ticket, access),
        statuses=statuses,
        departments=departments,
        staff=staff,
        links=_marked_visible(user, ticket.links.all()) if related else [],
        tags=list(ticket.tags.all()) if related else [],
        watchers=watchers,
        merged_from=_marked_visible(user, ticket.merged_from.all()) if related else [],
        merged_into_visible=bool(
            ticket.merged_into_id and staff_can(user, Action.VIEW, ticket.merged_into)
        ),
        requester_panel=requester_panel(user, ticket) if related else None,
    )


def _lines_add(entries: list[Entry], ticket: Ticket, statuses, departments, people) -> None:
    """Give each history entry its sentence (`line`), names as they are now."""
    if not any(entry.kind == EntryKind.EVENT for entry in entries):
        return
    names = HistoryNames.for_entries(
        entries, statuses=statuses, departments=departments, people=people
    )
    previous = None
    for entry in entries:
        if entry.kind == EntryKind.EVENT:
            entry.line = event_line(entry, ticket, names)
            # One hand-over changes several fields with one reason: say the reason once.
            entry.repeats_reason = bool(
                previous is not None
                and previous.kind == EntryKind.EVENT
                and entry.body
                and previous.body == entry.body
                and previous.author_id == entry.author_id
            )
        previous = entry


def entries_since(
    page: TicketPage, seen: int, *, also=(), written: Entry | None = None
) -> list[Entry]:
    """The thread entries after entry `seen`, ready to show (after a write from the page: what
    the write added), in a fixed number of queries however long the thread is. `also`: more
    people already read (the writer) who may be the entries' authors.

    `written`: the one entry the write added, as its service saved it, with no files (a reply
    or note). When it is the only entry after `seen` (asked by its id alone: one small query),
    it is shown as it is, written by `also[0]`, without reading it back with its mail and files
    (it has neither yet)."""
    ticket = page.ticket
    if written is not None and also:
        after = list(
            Entry.objects.filter(ticket_id=ticket.pk, pk__gt=seen).values_list("pk", flat=True)
        )
        if after == [written.pk] and written.author_id == also[0].pk:
            return [_as_read(written, also[0])]
    entries = list(
        Entry.objects.select_related("mail")
        .filter(ticket_id=ticket.pk, pk__gt=seen)
        .order_by("created_at", "id")
    )
    # History carries no files: a change made with the side panel or a button added only
    # history, and its answer reads no attachments.
    prefetch_related_objects([e for e in entries if e.kind != EntryKind.EVENT], "attachments")
    people = [*page.staff, *page.watchers, *also]
    # The responsible person if the page read them (`ticket_page_for_entry` may not have: an
    # entry of theirs then finds its author with the others not read).
    assignee_field = Ticket.assignee.field
    assignee = ticket.assignee if assignee_field.is_cached(ticket) else None
    _authors_attach(entries, [ticket.requester, assignee, *people])
    _lines_add(entries, ticket, page.statuses, page.departments, people)
    return entries


def _as_read(entry: Entry, author: User) -> Entry:
    """`entry`, just saved with no files, as `entries_since` would read it: its author, no mail
    (a reply's letter is written after the commit) and no attachments, without a query."""
    entry.author = author
    Entry._meta.get_field("mail").set_cached_value(entry, None)
    none = Attachment.objects.none()
    none._result_cache, none._prefetch_done = [], True
    entry._prefetched_objects_cache = {"attachments": none}
    return entry


def _mark_event_runs(entries: list[Entry]) -> None:
    """Consecutive history entries fold into one line the agent can open: the first of a run
    of two or more gets `run_size` and `run_last` (the newest, which the folded line shows), the
    last gets `run_closes`. Replies and notes are never folded."""
    run: list[Entry] = []
    for entry in [*entries, None]:
        if entry is not None and entry.kind == EntryKind.EVENT:
            run.append(entry)
            continue
        if len(run) >= 2:
            run[0].run_size = len(run)
            run[0].run_last = run[-1]
            run[-1].run_closes = True
        run = []


def _marked_visible(user, tickets) -> list[Ticket]:
    """Other requests shown on the page, each marked whether the viewer may open it: one they
    may not is shown as "a request you cannot see", without number, subject or status."""
    marked = list(tickets)
    for other in marked:
        other.visible = staff_can(user, Action.VIEW, other)
    return marked


def changes_since(page: TicketPage, seen: int | None) -> list[tuple[Entry, EventLine]]:
    """What was added to the thread after entry `seen`, each as a sentence: who changed which
    field, who replied, who wrote a note. None known (no `seen`): an empty list."""
    if seen is None:
        return []
    lines = []
    for entry in page.entries:
        if entry.pk <= seen:
            continue
        if entry.kind == EntryKind.EVENT:
            line = entry.line
        elif entry.kind == EntryKind.NOTE:
            line = EventLine(
                "bi-lock", format_html(_("{actor} added an internal note"), actor=_actor(entry))
            )
        else:
            line = EventLine("bi-reply", format_html(_("{actor} replied"), actor=_actor(entry)))
        lines.append((entry, line))
    return lines


def status_groups(statuses: list[Status]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Statuses grouped under their lifecycle category, in lifecycle order."""
    groups = []
    for category in StatusCategory:
        members = [(s.pk, s.label) for s in statuses if s.category == category]
        if members:
            groups.append((str(category.label), members))
    return groups


def _actor(entry: Entry) -> str:
    if entry.author is not None:
        return entry.author.display_name
    if (entry.data or {}).get("system") or not entry.data:
        return _("Helpline")
    return _("(deleted person)")


def event_line(entry: Entry, ticket: Ticket, names: HistoryNames | None = None) -> EventLine:
    """One readable sentence for a history entry, names as they are now and in the viewer's
    language; hand-overs read as such."""
    names = names or HistoryNames()
    actor = _actor(entry)
    kind = entry.field
    data = entry.data or {}
    raw_old, raw_new = data.get("old"), data.get("new")
    old, new = names.text(kind, raw_old), names.text(kind, raw_new)

    def say(icon: str, sentence: str, handover: bool = False) -> EventLine:
        text = format_html(sentence, actor=actor, old=old or "—", new=new or "—")
        return EventLine(icon, text, handover)

    if kind == "status":
        return say("bi-circle-half", _("{actor} changed status {old} → {new}"))
    if kind == "department":
        return say(
            "bi-arrow-left-right", _("{actor} handed the request over from {old} to {new}"), True
        )
    if kind == "assignee" and data.get("rule") and raw_new is not None:
        rule = RULE_NAMES.get(data["rule"], data["rule"])
        sentence = _("The department's {rule} rule made {new} responsible")
        return EventLine("bi-shuffle", format_html(sentence, rule=rule, new=new or "—"), True)
    if kind == "assignee":
        by = entry.author_id
        if by is not None and ref_id(raw_new) == by:
            sentence = (
                _("{actor} took the request")
                if raw_old is None
                else _("{actor} took the request over from {old}")
            )
        elif raw_new is None:
            sentence = (
                _("{actor} is no longer responsible")
                if by is not None and ref_id(raw_old) == by
                else _("{actor} released {old} from the request")
            )
        elif raw_old is None:
            sentence = _("{actor} made {new} responsible")
        else:
            sentence = _("{actor} handed responsibility from {old} to {new}")
        return say("bi-person-check", sentence, True)
    if kind == "line":
        return say("bi-layers", _("{actor} moved the request from {old} to {new}"), True)
    changes = {
        "ticket_class": _("{actor} changed class {old} → {new}"),
        "priority": _("{actor} changed priority {old} → {new}"),
        "impact": _("{actor} changed impact {old} → {new}"),
        "urgency": _("{actor} changed urgency {old} → {new}"),
        "tags": _("{actor} changed tags {old} → {new}"),
    }
    if kind == "tags" and not raw_old:
        return say("bi-tag", _("{actor} tagged the request {new}"))
    if kind == "tags" and not raw_new:
        return say("bi-tag", _("{actor} removed the tags {old}"))
    if kind in changes:
        return say("bi-tag" if kind == "tags" else "bi-sliders", changes[kind])
    if kind == "deleted":
        if raw_old:
            return say(
                "bi-arrow-counterclockwise", _("{actor} restored the request from the trash")
            )
        return say("bi-trash", _("{actor} moved the request to the trash"))
    if kind == "merged":
        if ref_id(raw_new) == ticket.pk:
            return say("bi-union", _("{actor} merged {old} into this request"))
        return say("bi-union", _("{actor} merged this request into {new}"))
    if kind == "time":
        if raw_old is None:
            return say("bi-stopwatch", _("{actor} logged {new} of work"))
        if raw_new is None:
            return say("bi-stopwatch", _("{actor} removed {old} of logged work"))
        return say("bi-stopwatch", _("{actor} changed logged work {old} → {new}"))
    if kind == "link":
        if raw_new is not None:
            return say("bi-link-45deg", _("{actor} linked {new}"))
        return say("bi-link-45deg", _("{actor} removed the link to {old}"))
    return EventLine(
        "bi-dot",
        format_html(
            _("{actor} changed {field} {old} → {new}"),
            actor=actor,
            field=kind,
            old=old or "—",
            new=new or "—",
        ),
    )
