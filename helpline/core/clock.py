"""The application's clock: Django's `timezone.now()`, unless a replay plays a moment in the past.

Every timestamp Helpline writes comes from `now()` (model defaults, `auto_now` fields, services),
so the demo loader can play a request's story at the moments it happened by saying so
(`replaying_at`) instead of patching Django's clock or rewriting rows afterwards, which the
event log's triggers refuse. Tests move time with time-machine, which this clock follows.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import models
from django.utils import timezone

_replayed: ContextVar[datetime | None] = ContextVar("helpline_replayed_now", default=None)


def now() -> datetime:
    """The current moment, or the moment being replayed."""
    return _replayed.get() or timezone.now()


@contextmanager
def replaying_at(when: datetime) -> Iterator[None]:
    """Within the block, `now()` is `when` (an aware datetime) for this thread or task only."""
    if timezone.is_naive(when):
        raise ValueError("replaying_at needs an aware datetime")
    token = _replayed.set(when)
    try:
        yield
    finally:
        _replayed.reset(token)


class ClockDateTimeField(models.DateTimeField):
    """A DateTimeField whose `auto_now` / `auto_now_add` read `now()` above."""

    def pre_save(self, model_instance, add):
        if self.auto_now or (self.auto_now_add and add):
            value = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self):
        # The column and the migrations' view of it are a plain DateTimeField; only where the
        # value comes from differs, which no migration needs to know.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
