"""Writing time: entries, the start/stop timer and the activity types. Each change to a request's
time is written to its history (field `time`) and to the event log."""

import datetime
import math
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.audit.changes import diff, snapshot
from helpline.audit.services import event_record, saved_with_event
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.tickets.models import Entry, EntryKind, Ticket

from .access import require_change, require_log
from .models import MAX_MINUTES, ActivityType, RunningTimer, TimeEntry, today

ENTRY_FIELDS = ("minutes", "date", "activity", "billable", "comment")
ACTIVITY_FIELDS = ("name", "billable_default", "order", "is_active")


def _history(*, ticket: Ticket, actor, old: TimeEntry | None, new: TimeEntry | None) -> None:
    """One history line for the request: `{"old": …, "new": …}` with the entry's id and minutes
    (the shape `helpline.tickets.history` documents for `time`)."""

    def value(entry: TimeEntry | None) -> dict[str, int] | None:
        return None if entry is None else {"id": entry.pk, "minutes": entry.minutes}

    Entry.objects.create(
        ticket=ticket,
        kind=EntryKind.EVENT,
        author=actor,
        field="time",
        data={"old": value(old), "new": value(new)},
    )


def _validate(*, minutes: int, date: datetime.date, activity: ActivityType | None) -> None:
    if not 0 < minutes <= MAX_MINUTES:
        raise ValidationFailed(
            _("Enter between 1 minute and %(hours)d hours.") % {"hours": MAX_MINUTES // 60},
            field="minutes",
        )
    if date > today() + datetime.timedelta(days=1):
        raise ValidationFailed(_("Time cannot be logged for a future day."), field="date")
    if activity is not None and not activity.is_active and activity.pk is not None:
        raise ValidationFailed(_("This activity type is no longer in use."), field="activity")


def _logged(entry: TimeEntry) -> str:
    return f"#{entry.ticket_id}: {entry.minutes} min"


def time_entry_add(
    *,
    ticket: Ticket,
    actor,
    minutes: int,
    date: datetime.date | None = None,
    activity: ActivityType | None = None,
    billable: bool | None = None,
    comment: str = "",
) -> TimeEntry:
    """Log `minutes` of `actor`'s work on `ticket`. Anyone who can open the request at the desk
    may; history and event log record it. Billable defaults to the activity type's setting."""
    require_log(actor, ticket)
    date = date or today()
    _validate(minutes=minutes, date=date, activity=activity)
    if billable is None:
        billable = bool(activity and activity.billable_default)
    with transaction.atomic():
        entry = TimeEntry.objects.create(
            ticket=ticket,
            author=actor,
            minutes=minutes,
            date=date,
            activity=activity,
            billable=billable,
            comment=(comment or "").strip()[:500],
        )
        _history(ticket=ticket, actor=actor, old=None, new=entry)
        event_record(
            actor=actor,
            action="time_entry.created",
            obj=entry,
            changes=diff({}, snapshot(entry, ENTRY_FIELDS)),
            object_repr=_logged(entry),
        )
    return entry


def time_entry_change(*, entry: TimeEntry, actor, **values: Any) -> TimeEntry:
    """Change an entry's minutes, date, activity, billable flag or comment: its author, a
    supervisor of the request's department or an administrator."""
    unknown = set(values) - set(ENTRY_FIELDS)
    if unknown:
        raise TypeError(f"time_entry_change() got unexpected fields {sorted(unknown)}")
    with transaction.atomic():
        current = (
            TimeEntry.objects.select_for_update(of=("self",))
            .select_related("ticket", "activity")
            .get(pk=entry.pk)
        )
        require_change(actor, current, current.ticket)
        before = snapshot(current, ENTRY_FIELDS)
        old = TimeEntry(pk=current.pk, minutes=current.minutes)
        for name, value in values.items():
            setattr(current, name, value)
        if "comment" in values:
            current.comment = (current.comment or "").strip()[:500]
        _validate(
            minutes=current.minutes,
            date=current.date,
            activity=current.activity if "activity" in values else None,
        )
        changes = diff(before, snapshot(current, ENTRY_FIELDS))
        if not changes:
            return current
        current.save()
        _history(ticket=current.ticket, actor=actor, old=old, new=current)
        event_record(
            actor=actor,
            action="time_entry.changed",
            obj=current,
            changes=changes,
            object_repr=_logged(current),
        )
    return current


def time_entry_delete(*, entry: TimeEntry, actor) -> None:
    """Remove an entry: its author, a supervisor of the request's department or an
    administrator. The history keeps that it was there."""
    with transaction.atomic():
        current = (
            TimeEntry.objects.select_for_update(of=("self",))
            .select_related("ticket", "activity")
            .get(pk=entry.pk)
        )
        require_change(actor, current, current.ticket)
        _history(ticket=current.ticket, actor=actor, old=current, new=None)
        event_record(
            actor=actor,
            action="time_entry.deleted",
            obj=current,
            changes={k: [v, None] for k, v in snapshot(current, ENTRY_FIELDS).items()},
            object_repr=_logged(current),
        )
        current.delete()


def timer_start(*, ticket: Ticket, actor) -> RunningTimer:
    """Start `actor`'s stopwatch on `ticket`, kept on the server (reloads and other tabs see it).
    Starting a running timer changes nothing."""
    require_log(actor, ticket)
    with transaction.atomic():
        timer, created = RunningTimer.objects.get_or_create(ticket=ticket, author=actor)
        if created:
            event_record(
                actor=actor,
                action="time_timer.started",
                obj=ticket,
                changes={"started_at": [None, timer.started_at.isoformat()]},
            )
    return timer


def timer_stop(
    *,
    ticket: Ticket,
    actor,
    activity: ActivityType | None = None,
    billable: bool | None = None,
    comment: str = "",
) -> TimeEntry:
    """Stop `actor`'s stopwatch on `ticket` and log the time it ran (whole minutes, rounded up,
    at most a day) as a time entry dated today."""
    require_log(actor, ticket)
    with transaction.atomic():
        timer = RunningTimer.objects.select_for_update().filter(ticket=ticket, author=actor).first()
        if timer is None:
            raise ValidationFailed(_("No timer is running on this request."))
        seconds = (clock.now() - timer.started_at).total_seconds()
        minutes = min(MAX_MINUTES, max(1, math.ceil(seconds / 60)))
        event_record(
            actor=actor,
            action="time_timer.stopped",
            obj=ticket,
            changes={"started_at": [timer.started_at.isoformat(), None]},
        )
        timer.delete()
        return time_entry_add(
            ticket=ticket,
            actor=actor,
            minutes=minutes,
            activity=activity,
            billable=billable,
            comment=comment,
        )


def timer_discard(*, ticket: Ticket, actor) -> None:
    """Throw away `actor`'s running stopwatch on `ticket` without logging anything."""
    with transaction.atomic():
        deleted, _rows = RunningTimer.objects.filter(ticket=ticket, author=actor).delete()
        if deleted:
            event_record(actor=actor, action="time_timer.discarded", obj=ticket)


def activity_type_save(*, activity_type: ActivityType, actor) -> ActivityType:
    """Create or change an activity type: administrators only; names are unique ignoring case."""
    if not (actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators can change activity types."))
    activity_type.name = (activity_type.name or "").strip()
    if not activity_type.name:
        raise ValidationFailed(_("The activity type needs a name."), field="name")
    with transaction.atomic():
        clash = ActivityType.objects.filter(name__iexact=activity_type.name)
        before: dict[str, Any] = {}
        if activity_type.pk:
            clash = clash.exclude(pk=activity_type.pk)
            before = snapshot(
                ActivityType.objects.select_for_update().get(pk=activity_type.pk),
                ACTIVITY_FIELDS,
            )
        if clash.exists():
            raise ValidationFailed(
                _("An activity type with this name already exists."), field="name"
            )
        return saved_with_event(
            activity_type,
            actor=actor,
            kind="activity_type",
            before=before,
            fields=ACTIVITY_FIELDS,
        )
