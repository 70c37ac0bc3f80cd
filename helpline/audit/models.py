"""The event log: an append-only record of every staff action and sign-in.

The database itself refuses UPDATE and DELETE on the table (triggers, migration 0002); the
guards below only fail earlier and more readably. The one way to remove events is retention
(`event_prune`, the `helpline prune-events` command).
"""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.core import clock


class AppendOnlyError(RuntimeError):
    pass


class EventQuerySet(models.QuerySet["Event"]):
    """Refuses bulk changes: `QuerySet.delete()` and `update()` bypass the model's own guards."""

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Events are never deleted")

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Events are never changed")

    delete.queryset_only = True  # type: ignore[attr-defined]


class Event(models.Model):
    created_at = models.DateTimeField(_("when"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        # No constraint and no cascade: deleting a person must not touch the log (the triggers
        # would refuse setting the column to NULL). The id stays as written; `actor` is None
        # through `select_related` once the account is gone, and `actor_repr` keeps the name.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Kept as text too, so the log still names the person after their account is gone.
    actor_repr = models.CharField(max_length=250, blank=True)
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=250, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        indexes = [
            models.Index(fields=["action", "-created_at"], name="event_action"),
            models.Index(fields=["actor", "-created_at"], name="event_actor"),
            models.Index(fields=["object_type", "object_id"], name="event_object"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Events are never deleted")
