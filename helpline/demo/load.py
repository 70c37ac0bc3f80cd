"""Load the demo organisation once: the desk, then ~300 requests played through the services."""

import random
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from helpline.accounts.models import User
from helpline.accounts.services import requester_register
from helpline.core import clock
from helpline.mail.notifications import notifications_skip_pending
from helpline.tickets.models import Channel, Entry, Status, StatusCategory, Ticket
from helpline.tickets.services import (
    ticket_confirm_solved,
    ticket_create,
    ticket_delete,
    ticket_escalate,
    ticket_hand_to_supervisor,
    ticket_link,
    ticket_merge,
    ticket_note_add,
    ticket_reopen,
    ticket_reply_add,
    ticket_tags_set,
    ticket_take,
    ticket_transfer,
    ticket_update,
    ticket_watch,
)

from .knowledge import knowledge_base_create
from .people import MARKER_EMAIL, Cast, cast_create
from .scenarios import FILL, FOLLOW_UPS, FOLLOW_UPS_NB, SCENARIOS, SPAM, Scenario

TICKETS = 300
DAYS = 90
SEED = 20250101

# How many of the requests end in each status category.
FINAL_WEIGHTS = {
    StatusCategory.NEW: 10,
    StatusCategory.OPEN: 20,
    StatusCategory.PENDING: 11,
    StatusCategory.ON_HOLD: 8,
    StatusCategory.RESOLVED: 13,
    StatusCategory.CLOSED: 38,
}
CHANNEL_WEIGHTS = {
    Channel.PORTAL: 35,
    Channel.EMAIL: 30,
    Channel.PHONE: 15,
    Channel.WIDGET: 8,
    Channel.API: 5,
    Channel.STAFF: 7,
}
SUPPORT_TREE = {"support", "hardware", "software", "network"}
BILLING_TREE = {"billing", "payments", "refunds"}
SPECIALIST = {"hardware": "hardware", "software": "software", "network": "expert"}


ACKNOWLEDGE = "Thank you, we have received your request and are looking into it."
ACKNOWLEDGE_NB = "Takk, vi har mottatt henvendelsen din og ser på den."


class DemoAlreadyLoaded(Exception):
    pass


class NotAnEmptyDesk(Exception):
    pass


@dataclass
class DemoSummary:
    tickets: int
    entries: int
    people: int
    seconds: float
    by_category: dict[str, int]

    def line(self) -> str:
        categories = ", ".join(f"{count} {name}" for name, count in self.by_category.items())
        return (
            f"Demo loaded in {self.seconds:.1f} s: {self.tickets} requests ({categories}), "
            f"{self.entries} thread entries, {self.people} people."
        )


def demo_loaded() -> bool:
    return User.objects.filter(email__iexact=MARKER_EMAIL).exists()


class Clock:
    """Plays each step at a moment in the past.

    Within `at(when)` the application's clock reads `when` (`helpline.core.clock`), so services,
    thread entries and events are written with the step's moment as they are inserted; nothing
    is rewritten afterwards (the event log refuses that) and Django's clock is never patched.
    """

    def __init__(self) -> None:
        self.started = clock.now()

    def at(self, when: datetime) -> AbstractContextManager[None]:
        return clock.replaying_at(min(when, self.started - timedelta(minutes=1)))


class Director:
    """Plays one request's story from its opening to its final status."""

    def __init__(self, cast: Cast, story: Clock, rng: random.Random) -> None:
        self.cast = cast
        self.clock = story
        self.rng = rng
        self.status = {s.category: s for s in Status.objects.filter(is_default=True)}
        self.staff = cast.staff

    # -- helpers ---------------------------------------------------------------------------
    def text(self, template: str, values: dict[str, str]) -> str:
        return template.format(**values)

    def later(
        self, when: datetime, low_minutes: int, high_minutes: int, *, staff: bool = True
    ) -> datetime:
        """A moment after `when`; staff work on weekdays between 08 and 17 (UTC, for the demo)."""
        when = when + timedelta(minutes=self.rng.randint(low_minutes, high_minutes))
        if not staff:
            return when
        if when.hour >= 17:
            when += timedelta(days=1)
        if when.hour >= 17 or when.hour < 8:
            when = when.replace(hour=self.rng.randint(8, 10), minute=self.rng.randint(0, 59))
        while when.weekday() >= 5:
            when += timedelta(days=1)
        return when

    def first_line(self, department: str) -> User:
        """Who picks a request up from the department's queue."""
        if department in BILLING_TREE:
            return self.staff["billing"]
        if department in SPECIALIST:
            return self.staff[SPECIALIST[department]]
        return self.staff["dispatcher"]

    def requester_for(self, scenario: Scenario) -> User:
        requesters = self.cast.requesters
        if scenario.norwegian:
            requesters = [u for u in requesters if u.email.endswith("nordlys.example")]
        return self.rng.choice(requesters)

    def levels(self, scenario: Scenario) -> tuple[int, int]:
        spread = {1: (0, 0, 1), 2: (-1, 0, 0, 0, 1), 3: (-1, 0, 0, 0)}[scenario.severity]
        impact = scenario.severity + self.rng.choice(spread)
        urgency = scenario.severity + self.rng.choice(spread)
        return impact, urgency

    # -- the story -------------------------------------------------------------------------
    def play(self, scenario: Scenario, final: str, channel: str, start: datetime) -> Ticket:
        rng, staff, cast = self.rng, self.staff, self.cast
        values = {key: rng.choice(options) for key, options in FILL.items()}
        requester = self.requester_for(scenario)
        target = scenario.department
        # Support-tree requests arrive at the 1st line unless the requester picked a topic.
        via_topic = channel == Channel.PORTAL and target in cast.topics
        intake = target if via_topic or target not in SUPPORT_TREE | {"vendor"} else "support"
        first = self.first_line(intake)
        topic = cast.topics.get(target) if via_topic else None
        impact, urgency = self.levels(scenario)
        actor = first if channel in (Channel.PHONE, Channel.STAFF) else requester
        when = start
        with self.clock.at(when):
            ticket = ticket_create(
                actor=actor,
                requester=requester,
                subject=self.text(scenario.subject, values),
                body=self.text(scenario.opening, values),
                channel=channel,
                department=None if topic else cast.departments[intake],
                topic=topic,
                ticket_class=scenario.ticket_class,
                impact=impact,
                urgency=urgency,
            )
        if final == StatusCategory.NEW:
            if rng.random() < 0.3:
                follow = rng.choice(FOLLOW_UPS_NB if scenario.norwegian else FOLLOW_UPS)
                with self.clock.at(self.later(when, 30, 600, staff=False)):
                    ticket_reply_add(ticket=ticket, actor=requester, body=follow)
            return ticket

        # The first line picks it up, classifies and tags.
        when = self.later(when, 5, 240)
        with self.clock.at(when):
            ticket = ticket_take(ticket=ticket, actor=first)
            if scenario.tags:
                ticket_tags_set(ticket=ticket, actor=first, names=list(scenario.tags))
            if rng.random() < 0.5:
                ticket_reply_add(
                    ticket=ticket,
                    actor=first,
                    body=ACKNOWLEDGE_NB if scenario.norwegian else ACKNOWLEDGE,
                )
            if impact == urgency == 3:
                ticket_watch(ticket=ticket, actor=staff["supervisor"], watch=True)
            elif rng.random() < 0.08:
                ticket = ticket_update(
                    ticket=ticket,
                    actor=first,
                    priority=min(4, ticket.priority + 1),
                    reason="Customer has a deadline today.",
                )
        worker = first

        # Routing: to the 2nd line (escalation or transfer), or to the vendor.
        if target in SPECIALIST and intake == "support":
            when = self.later(when, 10, 180)
            with self.clock.at(when):
                ticket_note_add(ticket=ticket, actor=first, body=self.text(scenario.note, values))
                if rng.random() < 0.6:
                    ticket = ticket_escalate(
                        ticket=ticket,
                        actor=first,
                        department=cast.departments[target],
                        reason="Needs a specialist.",
                    )
                else:
                    ticket = ticket_transfer(
                        ticket=ticket,
                        actor=first,
                        department=cast.departments[target],
                        reason="Belongs to the specialists.",
                    )
            worker = staff[SPECIALIST[target]]
            when = self.later(when, 15, 300)
            with self.clock.at(when):
                ticket = ticket_take(ticket=ticket, actor=worker)
        elif target == "vendor":
            when = self.later(when, 10, 180)
            with self.clock.at(when):
                ticket_note_add(ticket=ticket, actor=first, body=self.text(scenario.note, values))
                ticket = ticket_update(
                    ticket=ticket,
                    actor=first,
                    department=cast.departments["vendor"],
                    assignee=staff["vendor"],
                    line=3,
                    reason="Covered by the printer service contract.",
                )
            worker = staff["vendor"]
        else:
            when = self.later(when, 10, 120)
            with self.clock.at(when):
                ticket_note_add(ticket=ticket, actor=first, body=self.text(scenario.note, values))
        if (
            target in {"hardware", "software"}
            and worker.support_line == 2
            and scenario.severity == 3
            and rng.random() < 0.5
        ):
            when = self.later(when, 30, 240)
            with self.clock.at(when):
                ticket = ticket_escalate(
                    ticket=ticket, actor=worker, reason="Root cause beyond the 2nd line."
                )
                worker = staff["expert"]
                ticket = ticket_take(ticket=ticket, actor=worker)
        if target == "complaints" and rng.random() < 0.4 and worker != staff["supervisor"]:
            with self.clock.at(self.later(when, 5, 60)):
                ticket = ticket_hand_to_supervisor(
                    ticket=ticket,
                    actor=worker,
                    supervisor=staff["supervisor"],
                    reason="Customer is upset; needs the manager.",
                )
            worker = staff["supervisor"]

        # The conversation.
        asks = final == StatusCategory.PENDING or rng.random() < 0.6
        if asks:
            when = self.later(when, 10, 240)
            with self.clock.at(when):
                ticket_reply_add(
                    ticket=ticket,
                    actor=worker,
                    body=self.text(scenario.ask, values),
                    status=self.status[StatusCategory.PENDING],
                )
            if final == StatusCategory.PENDING:
                return ticket
            when = self.later(when, 30, 1440, staff=False)
            with self.clock.at(when):
                ticket_reply_add(
                    ticket=ticket, actor=requester, body=self.text(scenario.answer, values)
                )
        if final == StatusCategory.ON_HOLD:
            when = self.later(when, 10, 240)
            with self.clock.at(when):
                ticket_reply_add(
                    ticket=ticket,
                    actor=worker,
                    body="We are waiting for a part from our supplier and will update you.",
                    status=self.status[StatusCategory.ON_HOLD],
                )
            return ticket
        if final == StatusCategory.OPEN:
            if not asks:
                when = self.later(when, 10, 240)
                with self.clock.at(when):
                    ticket_reply_add(
                        ticket=ticket,
                        actor=worker,
                        body="Thank you, we are looking into it and will get back to you.",
                    )
            return ticket

        when = self.later(when, 60, 2880)
        with self.clock.at(when):
            ticket_reply_add(
                ticket=ticket,
                actor=worker,
                body=self.text(scenario.fix, values),
                status=self.status[StatusCategory.RESOLVED],
            )
        if final == StatusCategory.RESOLVED:
            return ticket
        if rng.random() < 0.12:
            when = self.later(when, 60, 1440, staff=False)
            with self.clock.at(when):
                ticket_reopen(ticket=ticket, actor=requester, reason=scenario.reopen)
            when = self.later(when, 60, 1440)
            with self.clock.at(when):
                ticket_reply_add(
                    ticket=ticket,
                    actor=worker,
                    body="We had another look and fixed the remaining cause. Sorry about that.",
                    status=self.status[StatusCategory.RESOLVED],
                )
        if rng.random() < 0.7:
            with self.clock.at(self.later(when, 60, 4320, staff=False)):
                ticket = ticket_confirm_solved(ticket=ticket, actor=requester)
        else:
            with self.clock.at(self.later(when, 3 * 1440, 7 * 1440)):
                ticket = ticket_update(
                    ticket=ticket,
                    actor=worker,
                    status=self.status[StatusCategory.CLOSED],
                    reason="No answer from the requester; closed.",
                )
        return ticket

    def duplicate(self, ticket: Ticket, when: datetime) -> None:
        """The requester writes again by mail; the dispatcher merges it into the original."""
        dispatcher = self.staff["dispatcher"]
        with self.clock.at(when):
            copy = ticket_create(
                actor=ticket.requester,
                requester=ticket.requester,
                subject=f"Re: {ticket.subject}",
                body="Sending this again in case the first one got lost.",
                channel=Channel.EMAIL,
                department=self.cast.departments["support"],
            )
            ticket_merge(source=copy, target=ticket, actor=dispatcher)

    def spam(self, when: datetime, subject: str, body: str, index: int) -> None:
        sender = requester_register(email=f"offers{index}@bulk-mail.example")
        with self.clock.at(when):
            ticket = ticket_create(
                actor=sender,
                requester=sender,
                subject=subject,
                body=body,
                channel=Channel.EMAIL,
                department=self.cast.departments["support"],
            )
            ticket_delete(ticket=ticket, actor=self.staff["supervisor"], reason="Spam.")


def _spread(weights: dict[str, int], total: int) -> list[str]:
    """`total` values in proportion to their weights (rounding fills up from the heaviest)."""
    whole = sum(weights.values())
    values = [value for value, weight in weights.items() for _ in range(total * weight // whole)]
    heaviest = sorted(weights, key=weights.get, reverse=True)
    values += heaviest[: total - len(values)]
    return values


def _start_time(rng: random.Random, final: str, midnight: datetime) -> datetime:
    # Finished requests are older; new ones arrived in the last days.
    days = {
        StatusCategory.NEW: (0.05, 3),
        StatusCategory.OPEN: (0.5, 20),
        StatusCategory.PENDING: (1, 25),
        StatusCategory.ON_HOLD: (2, 30),
        StatusCategory.RESOLVED: (3, 12),
        StatusCategory.CLOSED: (8, DAYS),
    }[final]
    start = midnight - timedelta(days=rng.uniform(*days))
    # Mostly office hours: requests are made by people at work.
    return start.replace(hour=rng.choice((8, 9, 9, 10, 10, 11, 12, 13, 14, 14, 15, 16, 20)))


def demo_load(
    *, tickets: int = TICKETS, progress: Callable[[int, int], None] | None = None
) -> DemoSummary:
    """Create the demo desk once; raise DemoAlreadyLoaded on a second call.

    Everything is one transaction, so an interrupted load leaves nothing behind. Refuses a
    database that already has requests of its own (NotAnEmptyDesk).
    """
    began = time.monotonic()
    if demo_loaded():
        raise DemoAlreadyLoaded
    if Ticket.objects.exists():
        raise NotAnEmptyDesk
    rng = random.Random(SEED)
    with transaction.atomic():
        story = Clock()
        founded = story.started - timedelta(days=DAYS + 1)
        with story.at(founded):
            cast = cast_create()
        User.objects.update(date_joined=founded)
        director = Director(cast, story, rng)
        finals = _spread(FINAL_WEIGHTS, tickets)
        channels = _spread(CHANNEL_WEIGHTS, len(finals))
        rng.shuffle(channels)
        # Scenarios in a fixed rotation, so the classes spread over every status category.
        midnight = story.started.replace(hour=0, minute=0, second=0, microsecond=0)
        plan = [
            (
                SCENARIOS[(i * 7) % len(SCENARIOS)],
                final,
                channel,
                _start_time(rng, final, midnight),
            )
            for i, (final, channel) in enumerate(zip(finals, channels, strict=True))
        ]
        plan.sort(key=lambda item: item[3])
        played: list[Ticket] = []
        support_ids = {cast.departments[key].pk for key in SUPPORT_TREE}
        for done, (scenario, final, channel, start) in enumerate(plan, start=1):
            ticket = director.play(scenario, final, channel, start)
            played.append(ticket)
            # Merging needs an open target: a duplicate of a request that ends resolved, closed or
            # in the trash would be refused (and is linked in real life instead).
            if (
                final in (StatusCategory.OPEN, StatusCategory.PENDING, StatusCategory.ON_HOLD)
                and not ticket.is_deleted
                and ticket.department_id in support_ids
                and rng.random() < 0.05
            ):
                director.duplicate(ticket, start + timedelta(minutes=rng.randint(20, 90)))
            if progress and (done % 50 == 0 or done == len(plan)):
                progress(done, len(plan))
        _link_outages(director, played)
        with story.at(story.started - timedelta(days=3)):
            knowledge_base_create(cast)
        for index, (subject, body) in enumerate(SPAM):
            start = story.started - timedelta(days=rng.uniform(1, 60))
            director.spam(start, subject, body, index)
        # The story is made up: nobody in it is to get its letters.
        notifications_skip_pending(reason="demo history")
    by_category = Counter(Ticket.objects.values_list("status_category", flat=True))
    return DemoSummary(
        tickets=Ticket.objects.count(),
        entries=Entry.objects.count(),
        people=User.objects.count(),
        seconds=time.monotonic() - began,
        by_category={c.label: by_category.get(c.value, 0) for c in StatusCategory},
    )


def _link_outages(director: Director, played: list[Ticket]) -> None:
    """Incidents about the same outage within a day are linked to the first report."""
    outages = [t for t in played if "is down" in t.subject and t.deleted_at is None]
    supervisor = director.staff["supervisor"]
    for first, second in zip(outages, outages[1:], strict=False):
        if abs(second.created_at - first.created_at) < timedelta(days=3):
            with director.clock.at(max(first.last_activity_at, second.last_activity_at)):
                ticket_link(ticket=first, other=second, actor=supervisor)
