"""Reading the event log: filtered, newest first, one keyset page at a time (never a COUNT)."""

import datetime
import functools
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from .models import Event

PAGE_SIZE = 100


@dataclass(frozen=True)
class EventFilters:
    actor_id: int | None = None
    # "ticket.updated" matches exactly; "ticket." or "ticket.*" matches the whole family.
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@dataclass
class EventPage:
    events: list[Event]
    older: str | None = None
    newer: str | None = None
    filters: EventFilters = field(default_factory=EventFilters)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def event_cursor(event: Event) -> str:
    return f"{event.created_at.isoformat()}~{event.pk}"


def _parse_cursor(raw: str | None) -> tuple[datetime.datetime, int] | None:
    if not raw:
        return None
    stamp, _sep, pk = raw.rpartition("~")
    try:
        when = datetime.datetime.fromisoformat(stamp.replace(" ", "+"))
        return (when if timezone.is_aware(when) else timezone.make_aware(when)), int(pk)
    except ValueError:
        return None


def action_matching(action: str) -> Q:
    """ "ticket.updated" matches exactly; "ticket." or "ticket.*" matches the whole family."""
    action = action.strip()
    if action.endswith(("*", ".")):
        return Q(action__startswith=action.rstrip("*"))
    return Q(action=action)


def event_filtered(filters: EventFilters) -> QuerySet[Event]:
    qs = Event.objects.select_related("actor")
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.action.strip():
        qs = qs.filter(action_matching(filters.action))
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id.strip())
    if filters.date_from:
        qs = qs.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_start_of(filters.date_to + datetime.timedelta(days=1)))
    return qs


def event_page(
    filters: EventFilters,
    *,
    older_than: str | None = None,
    newer_than: str | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """One page of events (one query): newest first, before `older_than` or after `newer_than`.

    The cursor is the (created_at, id) pair of the edge row, so pages stay stable while new
    events arrive and no query counts the table.
    """
    qs = event_filtered(filters)
    older, newer = _parse_cursor(older_than), _parse_cursor(newer_than)
    if newer is not None:
        when, pk = newer
        rows = list(
            qs.filter(Q(created_at__gt=when) | Q(created_at=when, id__gt=pk)).order_by(
                "created_at", "id"
            )[: size + 1]
        )
        has_more_newer = len(rows) > size
        events = rows[:size][::-1]
        return EventPage(
            events=events,
            older=event_cursor(events[-1]) if events else None,
            newer=event_cursor(events[0]) if events and has_more_newer else None,
            filters=filters,
        )
    if older is not None:
        when, pk = older
        qs = qs.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))
    rows = list(qs.order_by("-created_at", "-id")[: size + 1])
    events = rows[:size]
    return EventPage(
        events=events,
        older=event_cursor(events[-1]) if len(rows) > size else None,
        newer=event_cursor(events[0]) if older is not None and events else None,
        filters=filters,
    )


def event_object_types() -> list[tuple[str, str]]:
    """(label_lower, readable name) of Helpline's own models: what events can be about."""
    return list(_object_types(get_language()))


def event_object_type_names() -> dict[str, str]:
    """label_lower → readable name, in the active language (the event log names each row's)."""
    return _object_type_names(get_language())


# The models do not change while the process runs: their names are worked out once per language
# (the event log asked for them on every row: a third of its page).
@functools.cache
def _object_types(language: str | None) -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(
            (
                (model._meta.label_lower, str(model._meta.verbose_name).capitalize())
                for model in apps.get_models()
                if model.__module__.startswith("helpline.") and model is not Event
            ),
            key=lambda pair: pair[1],
        )
    )


@functools.cache
def _object_type_names(language: str | None) -> dict[str, str]:
    return dict(_object_types(language))
