"""What the benchmark times: desk, ticket, portal and event-log pages, and the board's selectors.

Each case names a persona (bench/desk.py PERSONAS) and a URL, or a selector call for the parts
that have no page of their own (the sidebar counts, which pages read from the cache).
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from helpline.accounts.models import Department, User
from helpline.core.submissions import submission_key_new
from helpline.tickets.models import Status, StatusCategory, Ticket

from .desk import AGENT_DEPARTMENT, PERSONAS
from .generate import LONG_THREAD

DEEP_PAGE = 50
# Text-search probes: a word in about one subject in twenty-four, and one in none.
SEARCH_WORD = "printer"
SEARCH_MISS = "zqxj"
SEARCH_NOTE = (
    "the board's text filter is the search engine's match set (helpline.search) inside the "
    "board's keyset page: a common word hands the board every matching request to order"
)
# The search page (helpline.search): a common word, a rarer one, a phrase, an address, nothing.
SEARCH_RARE = "payroll"
SEARCH_PHRASE = '"strange noise"'


def _search(**params) -> str:
    return "/desk/search/?" + urlencode(params)


@dataclass
class Case:
    key: str
    title: str
    persona: str
    url: str = ""
    htmx: bool = False
    # Selector-level timing: a callable taking the persona's (fresh) user.
    selector: Callable | None = None
    # Board queries get their plans shown (EXPLAIN), to prove they stay index scans.
    explain: bool = False
    # Informational: reported, never held to a threshold (a known limit, documented).
    note: str = ""
    # Writes: POST with the form data `data()` returns (called before each request, untimed:
    # every post needs a fresh one-time key, a new address, the ticket's current version).
    data: Callable[[], dict] | None = None
    # The status a successful request answers with (a write redirects, or answers htmx with
    # fragments).
    expect: int = 200

    @property
    def method(self) -> str:
        return "POST" if self.data is not None else "GET"


class MissingPersona(Exception):
    pass


# Clients without a persona: an anonymous portal visitor.
ANONYMOUS = "anonymous"
# Thread lengths of the reply probes (each run adds one entry per timed reply).
WRITE_THREADS = (20, 500)
PROBE_SUBJECT = "Bench write probe"


def personas() -> dict[str, User]:
    found = {u.email: u for u in User.objects.filter(email__in=PERSONAS.values())}
    missing = [key for key, email in PERSONAS.items() if email not in found]
    if missing:
        raise MissingPersona(
            f"no {', '.join(missing)} persona in this database: generate it with bench.generate"
        )
    return {key: found[email] for key, email in PERSONAS.items()}


def _board(**params) -> str:
    return "/desk/" + (f"?{urlencode(params)}" if params else "")


def _open_number(user: User) -> int:
    """The newest open request `user` sees: what an agent types as "#number" in the search."""
    from helpline.desk.selectors import view_tickets

    return view_tickets(user, "open").order_by("-pk").values_list("pk", flat=True).first() or 1


def _deep_cursor(user: User, view: str, pages: int) -> str:
    """The `after` cursor that opens page `pages` of `view` (or its last page, if shorter)."""
    from helpline.desk.selectors import ticket_board, view_tickets

    cursor = ""
    for _page in range(pages - 1):
        page = ticket_board(view_tickets(user, view), after=cursor)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return cursor


def _counts(persona: User):
    """The sidebar's capped counts, straight from the database (pages read them cached)."""
    from helpline.desk.selectors import _capped_counts, view_tickets, visible_views

    user = User.objects.get(pk=persona.pk)  # fresh: no memoised access or counts
    return _capped_counts(
        {v.key: view_tickets(user, v.key) for v in visible_views(user) if v.counted}
    )


def _board_selector(view: str):
    """The board's own reads for `view`, without the page around them."""

    def call(persona: User):
        from helpline.desk.selectors import ticket_board, view_tickets

        user = User.objects.get(pk=persona.pk)
        return ticket_board(view_tickets(user, view))

    return call


def build_cases(people: dict[str, User]) -> list[Case]:
    supervisor, dispatcher, requester = (
        people["supervisor"],
        people["dispatcher"],
        people["requester"],
    )
    pending = Status.objects.filter(category=StatusCategory.PENDING).order_by("order").first()
    hardware = Department.objects.filter(name="Hardware").first()
    long_ticket = (
        Ticket.objects.filter(requester=requester).order_by("pk").values_list("pk", flat=True)
    )
    long_id = _long_thread(list(long_ticket))
    archive_cursor = _deep_cursor(supervisor, "archive", DEEP_PAGE)
    open_cursor = _deep_cursor(dispatcher, "open", DEEP_PAGE)

    cases = [
        Case(
            "board.dispatcher.default",
            "Board, dispatcher (Support tree), all open",
            "dispatcher",
            _board(),
            selector=_board_selector("open"),
            explain=True,
        ),
        Case(
            "board.agent.default",
            f"Board, agent in {AGENT_DEPARTMENT}, all open",
            "agent",
            _board(),
            selector=_board_selector("open"),
            explain=True,
        ),
        Case(
            "board.supervisor.default",
            "Board, supervisor (everything), all open",
            "supervisor",
            _board(),
            selector=_board_selector("open"),
            explain=True,
        ),
        Case(
            "board.dispatcher.mine",
            "Board, dispatcher, my open",
            "dispatcher",
            _board(view="mine"),
            explain=True,
        ),
        Case(
            "board.dispatcher.unassigned",
            "Board, dispatcher, unassigned",
            "dispatcher",
            _board(view="unassigned"),
            explain=True,
        ),
        Case(
            "board.supervisor.archive",
            "Board, supervisor, archive (closed)",
            "supervisor",
            _board(view="archive"),
            explain=True,
        ),
        Case(
            "board.dispatcher.htmx",
            "Board fragment (htmx), dispatcher",
            "dispatcher",
            _board(view="open"),
            htmx=True,
        ),
        Case(
            "board.dispatcher.status",
            "Board, dispatcher, filter status = pending",
            "dispatcher",
            _board(status=pending.pk if pending else ""),
            explain=True,
        ),
        Case(
            "board.supervisor.department",
            "Board, supervisor, filter department = Hardware",
            "supervisor",
            _board(department=hardware.pk if hardware else ""),
            explain=True,
        ),
        Case(
            "board.dispatcher.search",
            f"Board, dispatcher, all open, q={SEARCH_WORD}",
            "dispatcher",
            _board(q=SEARCH_WORD),
            explain=True,
        ),
        Case(
            "board.dispatcher.number",
            "Board, dispatcher, q=#<number> of an open request (goes to it)",
            "dispatcher",
            _board(q=f"#{_open_number(dispatcher)}"),
            expect=302,
        ),
        Case(
            "board.supervisor.search_all",
            f"Board, supervisor, all requests, q={SEARCH_WORD}",
            "supervisor",
            _board(view="all", q=SEARCH_WORD),
            explain=True,
            note=SEARCH_NOTE,
        ),
        Case(
            "board.supervisor.search_miss",
            "Board, supervisor, all requests, q matching none",
            "supervisor",
            _board(view="all", q=SEARCH_MISS),
            explain=True,
            note=SEARCH_NOTE,
        ),
        Case(
            "search.supervisor.common",
            f"Search page, supervisor, common word ({SEARCH_WORD})",
            "supervisor",
            _search(q=SEARCH_WORD),
        ),
        Case(
            "search.dispatcher.common",
            f"Search page, dispatcher (Support tree), common word ({SEARCH_WORD})",
            "dispatcher",
            _search(q=SEARCH_WORD),
        ),
        Case(
            "search.supervisor.rare",
            f"Search page, supervisor, rarer word ({SEARCH_RARE})",
            "supervisor",
            _search(q=SEARCH_RARE),
        ),
        Case(
            "search.supervisor.phrase",
            f"Search page, supervisor, phrase ({SEARCH_PHRASE})",
            "supervisor",
            _search(q=SEARCH_PHRASE),
        ),
        Case(
            "search.supervisor.email",
            "Search page, supervisor, a requester's e-mail address",
            "supervisor",
            _search(q=requester.email),
        ),
        Case(
            "search.supervisor.miss",
            "Search page, supervisor, a word matching nothing",
            "supervisor",
            _search(q=SEARCH_MISS),
        ),
        Case(
            "board.dispatcher.page50",
            f"Board, dispatcher, all open, page {DEEP_PAGE}",
            "dispatcher",
            _board(after=open_cursor),
            explain=True,
        ),
        Case(
            "board.supervisor.page50",
            f"Board, supervisor, archive, page {DEEP_PAGE}",
            "supervisor",
            _board(view="archive", after=archive_cursor),
            explain=True,
        ),
        Case(
            "board.dispatcher.priority",
            "Board, dispatcher, all open by priority",
            "dispatcher",
            _board(sort="priority"),
            explain=True,
        ),
        Case(
            "board.supervisor.priority",
            "Board, supervisor, all open by priority",
            "supervisor",
            _board(sort="priority"),
            explain=True,
        ),
        Case(
            "counts.dispatcher",
            "Sidebar counts, dispatcher (uncached)",
            "dispatcher",
            selector=_counts,
            explain=True,
        ),
        Case(
            "counts.supervisor",
            "Sidebar counts, supervisor (uncached)",
            "supervisor",
            selector=_counts,
            explain=True,
        ),
        Case(
            "ticket.long_thread",
            f"Ticket page, {LONG_THREAD} entries",
            "supervisor",
            f"/desk/tickets/{long_id}/",
        ),
        Case(
            "portal.requests",
            "Portal, my requests (requester with 100)",
            "requester",
            "/requests/?tab=all",
        ),
        Case(
            "portal.request",
            f"Portal, request page ({LONG_THREAD} entries)",
            "requester",
            f"/requests/{long_id}/",
        ),
        # Activity statistics (issue 10), the default period (the last 30 days): everyone's
        # and every department's figures for an administrator, a supervisor's, an agent's own.
        Case("activity.admin", "Activity statistics, administrator", "admin", "/desk/activity/"),
        Case(
            "activity.supervisor",
            "Activity statistics, supervisor",
            "supervisor",
            "/desk/activity/",
        ),
        Case("activity.agent", "Activity statistics, agent (own)", "agent", "/desk/activity/"),
        Case("events.page", "Event log, newest page", "admin", "/manage/events/"),
        Case(
            "events.filtered",
            "Event log, action = ticket.noted",
            "admin",
            "/manage/events/?action=ticket.noted",
        ),
    ]
    return cases + write_cases(people)


def write_cases(people: dict[str, User]) -> list[Case]:
    """Writes through the real forms: a portal submission by a new and by a known requester,
    a staff reply on a short and a long thread, a status change in the side panel.

    Each run posts to fresh probe tickets (`probe_ticket`), so a thread is as long as its name
    says when the run begins; every timed reply adds one entry more.
    """
    from helpline.core.models import SiteSettings

    settings = SiteSettings.current()
    if not settings.anonymous_submission:
        settings.anonymous_submission = True
        settings.save()
    dispatcher = people["dispatcher"]
    # Another requester than the persona, whose requests the read cases time.
    requester = probe_requester(people)
    known = requester.email
    sequence = iter(range(10**9))

    def submission(email_of) -> Callable[[], dict]:
        def data() -> dict:
            n = next(sequence)
            return {
                "submission": submission_key_new(),
                "name": "Bench Visitor",
                "email": email_of(n),
                "website": "",
                "ticket_class": "incident",
                "subject": f"Bench submission {n}: the printer on floor 3 jams",
                "description": "It stopped after lunch; the display says paper jam.",
                **_topic(),
            }

        return data

    cases = [
        Case(
            "write.portal.new",
            "Portal submission, anonymous, new requester",
            ANONYMOUS,
            "/requests/new/",
            data=submission(lambda n: f"new-{submission_key_new()[:12].lower()}@visitors.example"),
            expect=302,
        ),
        Case(
            "write.portal.known",
            "Portal submission, anonymous, known requester",
            ANONYMOUS,
            "/requests/new/",
            data=submission(lambda n: known.upper()),
            expect=302,
        ),
    ]
    for length in WRITE_THREADS:
        ticket = probe_ticket(dispatcher, requester, entries=length)
        cases.append(
            Case(
                f"write.reply.{length}",
                f"Staff reply (htmx), {length}-entry thread",
                "dispatcher",
                f"/desk/tickets/{ticket.pk}/reply/",
                htmx=True,
                data=_reply_data(ticket.pk),
            )
        )
    ticket = probe_ticket(dispatcher, requester, entries=WRITE_THREADS[0])
    cases.append(
        Case(
            "write.status",
            "Status change in the side panel (htmx), open ↔ pending",
            "dispatcher",
            f"/desk/tickets/{ticket.pk}/fields/",
            htmx=True,
            data=_status_data(ticket.pk),
        )
    )
    return cases


def probe_requester(people: dict[str, User]) -> User:
    """The requester the write cases post for and as: the first generated one."""
    found = (
        User.objects.filter(role="requester", is_active=True)
        .exclude(pk=people["requester"].pk)
        .order_by("pk")
        .first()
    )
    if found is None:
        raise MissingPersona("no generated requester besides the persona")
    return found


def _topic() -> dict:
    from helpline.tickets.models import Topic

    topic = Topic.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True).first()
    return {"topic": topic} if topic else {}


def _version(pk: int) -> tuple[int, int]:
    """The ticket's version and newest entry, as the page the agent posts from showed them."""
    from django.db.models import Max

    ticket = Ticket.objects.values("version").get(pk=pk)
    seen = Ticket.objects.filter(pk=pk).aggregate(m=Max("entries__id"))["m"] or 0
    return ticket["version"], seen


def _reply_data(pk: int) -> Callable[[], dict]:
    def data() -> dict:
        version, seen = _version(pk)
        return {
            "submission": submission_key_new(),
            "version": version,
            "seen": seen,
            "body": "Thank you, we have ordered a new fuser unit; it arrives on Monday.",
            "status": "",
        }

    return data


def _status_data(pk: int) -> Callable[[], dict]:
    open_status = Status.objects.filter(category=StatusCategory.OPEN, is_active=True).first()
    pending = Status.objects.filter(category=StatusCategory.PENDING, is_active=True).first()

    def data() -> dict:
        from helpline.desk.ticket_forms import FieldsForm

        ticket = Ticket.objects.get(pk=pk)
        version, seen = _version(pk)
        shown = {k: "" if v is None else v for k, v in FieldsForm.values_of(ticket).items()}
        target = pending if ticket.status_id == open_status.pk else open_status
        return {
            **shown,
            **{f"initial-{k}": v for k, v in shown.items()},
            "status": target.pk,
            "reason": "",
            "version": version,
            "seen": seen,
        }

    return data


def probe_ticket(agent: User, requester: User, *, entries: int) -> Ticket:
    """A fresh open request in the agent's departments whose thread has `entries` entries:
    the request, then replies both ways and internal notes."""
    from helpline.tickets.models import Channel, Entry, EntryKind
    from helpline.tickets.services import ticket_create

    department = Department.objects.get(name=AGENT_DEPARTMENT)
    ticket = ticket_create(
        actor=requester,
        requester=requester,
        subject=f"{PROBE_SUBJECT} ({entries} entries)",
        body="The printer on floor 3 jams on every second page.",
        channel=Channel.PORTAL,
        department=department,
    )
    ticket.status = Status.objects.filter(category=StatusCategory.OPEN, is_active=True).first()
    ticket.status_category = StatusCategory.OPEN
    ticket.save(update_fields=["status", "status_category"])
    rows = []
    for n in range(entries - 1):
        kind, author = [
            (EntryKind.REPLY, agent),
            (EntryKind.REPLY, requester),
            (EntryKind.NOTE, agent),
        ][n % 3]
        rows.append(
            Entry(ticket=ticket, kind=kind, author=author, body=f"Entry {n + 2} of the probe.")
        )
    Entry.objects.bulk_create(rows)
    return ticket


def _long_thread(ticket_ids: list[int]) -> int:
    """The persona requester's ticket with the longest thread (the generator made one of 50)."""
    from django.db.models import Count

    row = (
        Ticket.objects.filter(pk__in=ticket_ids)
        .exclude(subject__startswith=PROBE_SUBJECT)  # written to by the write cases
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if row is None:
        raise MissingPersona("the persona requester has no requests")
    return row
