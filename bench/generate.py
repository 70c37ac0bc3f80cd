"""Fill a Helpline database with a large, realistic desk, fast (COPY on PostgreSQL).

    uv run python -m bench.generate --tickets 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/helpline_bench

Three years of requests, most of them closed, spread over a department tree, staff, client
organisations and their requesters, each with a thread of replies, notes and history entries,
and an event log of the staff's actions. Rows go in through the real (migrated) schema with
every constraint in place; only plain indexes are dropped during a big load and rebuilt after.
"""

import argparse
import json
import math
import random
import sys
import time
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from .environment import configure, default_database_url, migrate

YEARS = 3
CHUNK = 10_000
# Below this many tickets the indexes stay in place (the smoke test, small SQLite runs).
DROP_INDEXES_FROM = 50_000
DEFAULT_ENTRIES_PER_TICKET = 4.0
LONG_THREAD = 50  # entries on the persona requester's long ticket (the ticket-page probe)
PERSONA_TICKETS = 100  # requests of the persona requester (the portal probe)

OPEN_WEIGHTS = {"new": 20, "open": 45, "pending": 20, "on_hold": 15}
CLASS_WEIGHTS = {
    "incident": 45,
    "service_request": 30,
    "information_request": 15,
    "documentation_request": 4,
    "change_request": 6,
}
CHANNEL_WEIGHTS = {"portal": 35, "email": 30, "phone": 15, "widget": 8, "api": 5, "staff": 7}
LEVEL_WEIGHTS = {1: 30, 2: 50, 3: 20}
# Kinds of the entries between the request and its resolution.
MIDDLE_WEIGHTS = {"staff_reply": 35, "requester_reply": 25, "note": 15, "event": 25}


class NotEmpty(Exception):
    pass


@dataclass
class Summary:
    tickets: int
    entries: int
    events: int
    rows: int
    seconds: float

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0
        return (
            f"generated {self.tickets:,} tickets, {self.entries:,} entries, {self.events:,} "
            f"events ({self.rows:,} rows) in {self.seconds:,.1f} s: {rate:,.0f} rows/s"
        )


class Picker:
    """Weighted choice by bisecting cumulative weights (faster than random.choices per call)."""

    def __init__(self, rng: random.Random, weights: dict) -> None:
        self.rng = rng
        self.values = list(weights)
        self.cum = list(accumulate(weights.values()))
        self.total = self.cum[-1]

    def __call__(self):
        return self.values[bisect(self.cum, self.rng.random() * self.total)]


def _department_weights(desk) -> dict[int, float]:
    from . import vocabulary as words

    weights: dict[int, float] = {}
    for tree, share in words.TREE_WEIGHTS.items():
        members = [d for d in desk.departments if d.tree == tree]
        if not members:
            continue
        top = [d for d in members if d.path.count("/") == 2]
        rest = [d for d in members if d.path.count("/") > 2]
        for d in top:
            weights[d.id] = share * (0.3 if rest else 1.0) / len(top)
        for d in rest:
            weights[d.id] = share * 0.7 / len(rest)
    for d in desk.departments:
        weights.setdefault(d.id, 0.5)
    return weights


class TicketMaker:
    """Builds the rows of one ticket: the ticket, its thread, its tags and the staff's events."""

    def __init__(self, desk, writer, rng: random.Random, entries_per_ticket: float, now: datetime):
        from . import vocabulary as words

        self.desk, self.writer, self.rng, self.now = desk, writer, rng, now
        self.mean_entries = entries_per_ticket
        self.department = Picker(rng, _department_weights(desk))
        self.departments = {d.id: d for d in desk.departments}
        self.open_category = Picker(rng, OPEN_WEIGHTS)
        self.ticket_class = Picker(rng, CLASS_WEIGHTS)
        self.channel = Picker(rng, CHANNEL_WEIGHTS)
        self.level = Picker(rng, LEVEL_WEIGHTS)
        self.middle = Picker(rng, MIDDLE_WEIGHTS)
        self.subjects = [s.format(thing=t) for s in words.SUBJECTS for t in words.THINGS]
        self.bodies = [
            " ".join(rng.sample(words.PARAGRAPHS, k=rng.randint(1, 3))) for _ in range(500)
        ]
        self.requester_emails: dict[int, str] = {}
        self.any_staff = [pk for pool in desk.pools.values() for pk, _name in pool] or [None]

    def staff_for(self, department_id: int) -> tuple[int | None, str]:
        pool = self.desk.pools.get(department_id)
        if not pool:
            return None, ""
        return pool[int(self.rng.random() * len(pool))]

    def make(self, tid: int, created_ts: float, requester: tuple[int, int | None], long: bool):
        rng, when = self.rng, self.writer.when
        now_ts = self.now.timestamp()
        age = max(now_ts - created_ts, 60.0)
        age_days = age / 86400
        p_open = 0.012 + 0.85 * math.exp(-age_days / 4)
        if rng.random() < p_open:
            category = self.open_category()
        elif age_days < 7 and rng.random() < 0.4:
            category = "resolved"
        else:
            category = "closed"

        department_id = self.department()
        department = self.departments[department_id]
        assign_share = 0.2 if category == "new" else 0.9 if category != "closed" else 0.97
        assignee_id, _assignee_name = (
            self.staff_for(department_id) if rng.random() < assign_share else (None, "")
        )

        resolved_ts = closed_ts = None
        solve = min(rng.lognormvariate(math.log(6 * 3600), 1.4), 60 * 86400, age * 0.8)
        if category == "closed":
            resolved_ts = created_ts + solve
            closed_ts = resolved_ts + min(rng.lognormvariate(math.log(20 * 3600), 1.0), 3 * 86400)
            if closed_ts > now_ts - 60:
                category, closed_ts = "resolved", None
        elif category == "resolved":
            resolved_ts = created_ts + solve
        end_ts = closed_ts or resolved_ts or created_ts + rng.random() * age * 0.9

        # The thread: the request itself, then replies, notes and history; then the lifecycle's
        # own status entries.
        closing = []
        if resolved_ts is not None:
            closing.append(("status", resolved_ts, self.status("open"), self.status("resolved")))
        if closed_ts is not None:
            closing.append(("status", closed_ts, self.status("resolved"), self.status("closed")))
        base = 1 + len(closing)
        if long:
            middle_count = LONG_THREAD - base
        elif category == "new":
            middle_count = 1 if rng.random() < 0.1 else 0
        else:
            spare = self.mean_entries - base + 0.5
            middle_count = min(int(rng.expovariate(1 / spare)), 30) if spare > 0.1 else 0
        length = end_ts - created_ts
        times = sorted(created_ts + rng.random() * length for _ in range(middle_count))

        requester_id = requester[0]
        entries = []
        first_response = None
        entries.append(("reply", requester_id, self._body(), "", None, None, created_ts))
        for n, ts in enumerate(times):
            kind = "requester_reply" if category == "new" else self.middle()
            if n == 0 and category != "new":
                kind = "staff_reply"
            if kind == "requester_reply":
                entries.append(("reply", requester_id, self._body(), "", None, None, ts))
                continue
            author, _name = (
                (assignee_id, _assignee_name) if assignee_id else self.staff_for(department_id)
            )
            if kind == "staff_reply":
                first_response = first_response or ts
                entries.append(("reply", author, self._body(), "", None, None, ts))
            elif kind == "note":
                entries.append(("note", author, self._body(), "", None, None, ts))
            else:
                entries.append(("event", author, "", *self._change(assignee_id), ts))
        for field, ts, old, new in closing:
            author = assignee_id or self.staff_for(department_id)[0]
            entries.append(("event", author, "", field, old, new, ts))

        impact, urgency = self.level(), self.level()
        priority = self.desk.matrix.get((impact, urgency), 2)
        overridden = rng.random() < 0.05
        if overridden:
            priority = min(4, priority + 1)
        deleted = rng.random() < 0.003
        last_ts = max(e[6] for e in entries)
        # What the requester sees move: replies and status changes (approximately: all of them).
        public_ts = max(e[6] for e in entries if e[0] == "reply" or e[3] == "status")
        status_id, _status_name = self.desk.statuses[category]
        subject = self.subjects[int(rng.random() * len(self.subjects))]
        organisation_id = requester[1]
        ticket = (
            tid,
            when(_dt(created_ts)),
            when(_dt(last_ts)),
            subject,
            self.ticket_class(),
            status_id,
            category,
            impact,
            urgency,
            priority,
            overridden,
            department_id,
            assignee_id,
            department.line,
            requester_id,
            organisation_id,
            self.channel(),
            when(_dt(first_response)) if first_response else None,
            when(_dt(resolved_ts)) if resolved_ts else None,
            when(_dt(closed_ts)) if closed_ts else None,
            when(_dt(last_ts)),
            when(_dt(last_ts + 600)) if deleted else None,
            self.any_staff[int(rng.random() * len(self.any_staff))] if deleted else None,
            1 + sum(1 for e in entries if e[0] != "reply" or e[1] != requester_id),
            when(_dt(resolved_ts)) if resolved_ts else None,
            0,
            when(_dt(public_ts)),
        )
        tags = []
        if rng.random() < 0.15 and self.desk.tags:
            tags = rng.sample(self.desk.tags, k=min(len(self.desk.tags), rng.randint(1, 2)))
        return ticket, entries, tags, subject

    def _body(self) -> str:
        return self.bodies[int(self.rng.random() * len(self.bodies))]

    def status(self, category: str) -> dict:
        """A status as history stores it (helpline.tickets.history)."""
        return {"id": self.desk.statuses[category][0], "category": category}

    def _change(self, assignee_id: int | None) -> tuple[str, object, object]:
        roll = self.rng.random()
        if roll < 0.4 and assignee_id:
            return "assignee", None, {"id": assignee_id}
        if roll < 0.7:
            old = int(self.rng.random() * 3) + 1
            return "priority", old, old + 1
        waiting = "pending" if roll < 0.85 else "on_hold"
        return "status", self.status("open"), self.status(waiting)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


TICKET_FIELDS = [
    "id",
    "created_at",
    "updated_at",
    "subject",
    "ticket_class",
    "status",
    "status_category",
    "impact",
    "urgency",
    "priority",
    "priority_overridden",
    "department",
    "assignee",
    "line",
    "requester",
    "organisation",
    "channel",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "last_activity_at",
    "deleted_at",
    "deleted_by",
    "version",
    "first_resolved_at",
    "reopen_count",
    "last_public_activity_at",
    "reply_token",
]
ENTRY_FIELDS = [
    "id",
    "ticket",
    "kind",
    "author",
    "body",
    "field",
    "data",
    "created_at",
]
EVENT_FIELDS = [
    "created_at",
    "actor",
    "actor_repr",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
]
EVENT_ACTIONS = {"reply": "ticket.replied", "note": "ticket.noted", "event": "ticket.updated"}


def generate(
    *,
    tickets: int,
    entries_per_ticket: float = DEFAULT_ENTRIES_PER_TICKET,
    events: bool = True,
    append: bool = False,
    seed: int = 1,
    out=None,
) -> Summary:
    """Write `tickets` requests (and, on an empty database, the desk they belong to).

    Needs a migrated database; refuses one that already has people or tickets unless `append`.
    """
    from django.db import transaction

    from helpline.accounts.models import User
    from helpline.audit.models import Event
    from helpline.tickets.models import Entry, Ticket, reply_token_new

    from .desk import PERSONAS, addresses_fill, desk_create, desk_load, sizes_for
    from .writer import Writer

    out = out or sys.stdout
    started = time.monotonic()
    rng = random.Random(seed)
    writer = Writer()
    now = datetime.now(UTC)
    if not append and (User.objects.exists() or Ticket.objects.exists()):
        raise NotEmpty("the database already has people or tickets; use an empty one, or --append")
    with transaction.atomic():
        if not User.objects.filter(email=PERSONAS["dispatcher"]).exists():
            desk_create(writer, rng, sizes_for(tickets), now)
    addresses_fill()
    desk = desk_load()
    requester_persona = desk.personas["requester"]
    requesters = [r for r in desk.requesters if r[0] != requester_persona]
    persona_requester = next(r for r in desk.requesters if r[0] == requester_persona)
    maker = TicketMaker(desk, writer, rng, entries_per_ticket, now)
    col = _column_names
    ticket_cols, entry_cols, event_cols = (
        col(Ticket, TICKET_FIELDS),
        col(Entry, ENTRY_FIELDS),
        col(Event, EVENT_FIELDS),
    )
    tag_table = Ticket.tags.through._meta.db_table

    big = tickets >= DROP_INDEXES_FROM
    tables = [Ticket._meta.db_table, Entry._meta.db_table, Event._meta.db_table, tag_table]
    indexes = writer.secondary_indexes(tables) if big else []
    keys = writer.foreign_keys(tables) if big else []
    writer.drop_foreign_keys(keys)
    writer.drop_indexes(indexes)

    first_ticket = _next_id(Ticket)
    entry_id = _next_id(Entry)
    start_ts = (now - timedelta(days=365 * YEARS)).timestamp()
    span = now.timestamp() - start_ts - 3600
    step = max(1, tickets // PERSONA_TICKETS)
    long_at = max(0, min(PERSONA_TICKETS, tickets // step) - 10) * step + step // 2
    totals = {"tickets": 0, "entries": 0, "events": 0}
    staff_emails = desk.staff_emails
    last_report = time.monotonic()
    for chunk_start in range(0, tickets, CHUNK):
        ticket_rows, entry_rows, event_rows, tag_rows = [], [], [], []
        for n in range(chunk_start, min(tickets, chunk_start + CHUNK)):
            tid = first_ticket + n
            persona = n % step == step // 2 and n // step < PERSONA_TICKETS
            if persona:
                requester = persona_requester
            else:
                # Skewed: a few requesters ask often, most ask once or twice.
                requester = requesters[int(len(requesters) * rng.random() ** 2)]
            created_ts = start_ts + span * (n + rng.random()) / tickets
            ticket, entries, tags, subject = maker.make(
                tid, created_ts, requester, long=persona and n == long_at
            )
            ticket_rows.append((*ticket, reply_token_new()))
            tag_rows.extend((tid, tag) for tag in tags)
            for kind, author, body, field, old, new, ts in entries:
                data = {"old": old, "new": new} if kind == "event" else {}
                entry_rows.append(
                    (
                        entry_id,
                        tid,
                        kind,
                        author,
                        body,
                        field,
                        json.dumps(data),
                        writer.when(_dt(ts)),
                    )
                )
                if events and author in staff_emails:
                    changes = {"entry": entry_id} if kind != "event" else {field: [old, new]}
                    event_rows.append(
                        (
                            writer.when(_dt(ts)),
                            author,
                            staff_emails[author],
                            EVENT_ACTIONS[kind],
                            "tickets.ticket",
                            str(tid),
                            f"#{tid} {subject}",
                            json.dumps(changes),
                        )
                    )
                entry_id += 1
        with transaction.atomic():
            writer.write(Ticket._meta.db_table, ticket_cols, ticket_rows)
            writer.write(Entry._meta.db_table, entry_cols, entry_rows)
            writer.write(Event._meta.db_table, event_cols, event_rows)
            writer.write(tag_table, ["ticket_id", "tag_id"], tag_rows)
        totals["tickets"] += len(ticket_rows)
        totals["entries"] += len(entry_rows)
        totals["events"] += len(event_rows)
        if time.monotonic() - last_report > 5 or totals["tickets"] == tickets:
            last_report = time.monotonic()
            _progress(out, totals, tickets, writer.rows_written, started)

    if indexes or keys:
        out.write(f"rebuilding {len(indexes)} indexes, checking {len(keys)} foreign keys …\n")
        out.flush()
        writer.create_indexes(indexes)
        writer.add_foreign_keys(keys)
    writer.reset_sequences([Ticket, Entry, Event, User])
    out.write("vacuuming and analysing …\n" if writer.postgres and big else "analysing …\n")
    out.flush()
    writer.analyze(tables, vacuum=big)
    # The search index, through the same bulk path as `helpline reindex`.
    from helpline.search import engine

    out.write("indexing for search …\n")
    out.flush()
    indexed_started = time.monotonic()
    engine.reindex("ticket", batch=1000)
    out.write(f"search index: {time.monotonic() - indexed_started:.0f} s, ")
    size = engine.size_bytes()
    out.write(f"{size / 1_048_576:.0f} MB\n" if size is not None else "size unknown\n")
    summary = Summary(
        tickets=totals["tickets"],
        entries=totals["entries"],
        events=totals["events"],
        rows=writer.rows_written,
        seconds=time.monotonic() - started,
    )
    out.write(summary.line() + "\n")
    return summary


def _column_names(model, names: list[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _progress(out, totals: dict, target: int, rows: int, started: float) -> None:
    elapsed = time.monotonic() - started
    done = totals["tickets"] / target if target else 1
    eta = elapsed / done - elapsed if done else 0
    out.write(
        f"  {totals['tickets']:>10,} / {target:,} tickets ({done:6.1%}), "
        f"{totals['entries']:,} entries, {totals['events']:,} events — "
        f"{rows / elapsed:,.0f} rows/s, {elapsed:,.0f} s, about {eta:,.0f} s to go\n"
    )
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        help="postgres://… or sqlite:///…; default: a SQLite file under var/bench/",
    )
    parser.add_argument(
        "--entries-per-ticket",
        type=float,
        default=DEFAULT_ENTRIES_PER_TICKET,
        help="average thread length (a closed request has at least 3: request, resolved, closed)",
    )
    parser.add_argument("--no-events", action="store_true", help="skip the event log rows")
    parser.add_argument("--append", action="store_true", help="add to a non-empty database")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    configure(args.database_url or default_database_url(args.tickets))
    migrate()
    try:
        generate(
            tickets=args.tickets,
            entries_per_ticket=args.entries_per_ticket,
            events=not args.no_events,
            append=args.append,
            seed=args.seed,
        )
    except NotEmpty as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
