"""Writing to the event log, and its one removal path (retention)."""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone

from helpline.core import clock, fixedsql
from helpline.core.middleware import current_ip

from .changes import diff, snapshot
from .models import Event
from .selectors import action_matching

M = TypeVar("M", bound=models.Model)


def event_record(
    *,
    actor: Any,  # a user, an anonymous user or None
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    object_repr: str | None = None,
) -> Event:
    """Append one event; callers run it inside their own transaction so it commits with them.
    A fixed statement (helpline.core.fixedsql): every write of the desk records one."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = Event(
        actor=actor if authenticated else None,
        actor_repr=(actor.email if authenticated else "") or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr if object_repr is not None else str(obj or ""))[:250],
        changes=changes or {},
        ip=current_ip.get(),
    )
    return fixedsql.insert(event)


def saved_with_event(
    obj: M, *, actor: Any, kind: str, before: dict[str, Any], fields: Iterable[str]
) -> M:
    """Save `obj` and record `<kind>.created`, or `<kind>.changed` with what changed (nothing is
    recorded for a save that changed none of `fields`)."""
    created = obj.pk is None
    obj.save()
    changes = diff(before, snapshot(obj, fields))
    if created or changes:
        event_record(
            actor=actor,
            action=f"{kind}.created" if created else f"{kind}.changed",
            obj=obj,
            changes=changes,
        )
    return obj


# Retention records stay: they are the trail of every removal.
KEPT_ACTIONS = frozenset({"events.pruned"})


@dataclass(frozen=True)
class PruneResult:
    deleted: int
    before: datetime.datetime
    action: str
    dry_run: bool = False

    def line(self) -> str:
        verb = "Would remove" if self.dry_run else "Removed"
        which = f"{self.action!r} events" if self.action else "events"
        return f"{verb} {self.deleted} {which} older than {self.before:%Y-%m-%d %H:%M %Z}."


def event_prune(
    *,
    before: datetime.datetime,
    action: str = "",
    batch: int = 1000,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PruneResult:
    """Remove events older than `before` (only `action`, exact or a "family." if given).

    The one removal path of the event log, run by `helpline prune-events`: in one transaction it
    lifts the database's guard (a row in the retention flag table that no other session can see),
    deletes in batches of `batch`, restores the guard and records `events.pruned` with what it
    removed. Retention records themselves are never removed. `dry_run` only counts.
    """
    if timezone.is_naive(before):
        raise ValueError("event_prune needs an aware datetime")
    doomed = Event.objects.filter(created_at__lt=before).exclude(action__in=KEPT_ACTIONS)
    if action.strip():
        doomed = doomed.filter(action_matching(action))
    with transaction.atomic():
        total = doomed.count()
        if dry_run or not total:
            return PruneResult(deleted=total, before=before, action=action, dry_run=dry_run)
        deleted = 0
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_event_retention (id, started_at) VALUES (1, %s)", [clock.now()]
            )
            while ids := list(doomed.values_list("pk", flat=True)[:batch]):
                # The plain base manager: the model's own manager refuses deletes by design.
                deleted += Event._base_manager.filter(pk__in=ids).delete()[0]
                if progress:
                    progress(deleted, total)
            cursor.execute("DELETE FROM audit_event_retention")
        result = PruneResult(deleted=deleted, before=before, action=action)
        event_record(
            actor=None,
            action="events.pruned",
            changes={"older_than": before.isoformat(), "action": action or "*", "removed": deleted},
            object_repr=result.line(),
        )
    return result


def deactivated_with_event(obj: models.Model, *, actor: Any, kind: str) -> None:
    """Switch off `obj.is_active` and record `<kind>.deactivated`; nothing when it already is.
    Things that history refers to are deactivated rather than deleted."""
    if not getattr(obj, "is_active"):  # noqa: B009 - the models share the field, not a type
        return
    setattr(obj, "is_active", False)  # noqa: B010
    fields = ["is_active", *(["updated_at"] if hasattr(obj, "updated_at") else [])]
    obj.save(update_fields=fields)
    event_record(
        actor=actor, action=f"{kind}.deactivated", obj=obj, changes={"is_active": [True, False]}
    )
