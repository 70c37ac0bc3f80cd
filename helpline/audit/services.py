"""Writing to the event log."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from helpline.core.middleware import current_ip

from .changes import diff, snapshot
from .models import Event


def event_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    object_repr: str | None = None,
) -> Event:
    """Append one event; callers run it inside their own transaction so it commits with them."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return Event.objects.create(
        actor=actor if authenticated else None,
        actor_repr=(actor.email if authenticated else "") or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr if object_repr is not None else str(obj or ""))[:250],
        changes=changes or {},
        ip=current_ip.get(),
    )


def saved_with_event(
    obj: models.Model, *, actor, kind: str, before: dict[str, Any], fields: Iterable[str]
) -> models.Model:
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
