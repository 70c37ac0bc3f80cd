"""Reference data: what changes rarely, kept in each process's memory and dropped in every
process as soon as any of it changes.

Statuses, departments, the priority matrix, topics, the staff who see a department and each
staff member's rights are read by nearly every desk page and write, and change a few times a
year. `remembered(name, load)` keeps what `load()` returned, per process, under the current
*generation*: a token in the shared cache (the database cache embedded, Redis at scale) that
every change to a registered model replaces (`reference_models`: post_save, post_delete,
many-to-many changes; once at once, for this process and its transaction, and again after
the commit, so other processes never keep what they read before it). A request reads the
token once, on first use (one cache read); outside a request (jobs, commands) it is read on
every use. Nothing here assumes one process: a change anywhere is seen everywhere on the next
request.

Values are shared by the threads of a process: callers must not change them (each call hands
out a new list, the objects in it are shared).
"""

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

GENERATION_KEY = "helpline:reference:generation"
# Long, but not forever: a cache that lost the token simply starts a new generation.
GENERATION_SECONDS = 7 * 24 * 3600

_lock = threading.Lock()
_values: dict[str, tuple[str, object]] = {}
_request = threading.local()


def generation() -> str:
    """The current generation's token: read once per request, created when there is none."""
    token = getattr(_request, "generation", None)
    if token is not None:
        return token
    token = cache.get(GENERATION_KEY)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, token, GENERATION_SECONDS):
            token = cache.get(GENERATION_KEY) or token
    if getattr(_request, "active", False):
        _request.generation = token
    return token


def remembered(name: str, load: Callable[[], T]) -> T:
    """`load()`'s value, computed once per generation in this process."""
    token = generation()
    found = _values.get(name)
    if found is not None and found[0] == token:
        return found[1]  # type: ignore[return-value]
    value = load()
    with _lock:
        _values[name] = (token, value)
    return value


def changed() -> None:
    """Reference data changed: every process reads it afresh (now, and after the commit)."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    token = uuid.uuid4().hex
    cache.set(GENERATION_KEY, token, GENERATION_SECONDS)
    with _lock:
        _values.clear()
    if getattr(_request, "active", False):
        _request.generation = token


def forget() -> None:
    """Drop this process's values (tests start each case from the database as it is)."""
    with _lock:
        _values.clear()
    _request.generation = None


@contextmanager
def scope() -> Iterator[None]:
    """Outside a request (a job, a command, the mail poller's batch): read the generation once
    for what runs inside, as a request does. Inside a request or another scope: nothing more."""
    if getattr(_request, "active", False):
        yield
        return
    _request.active, _request.generation = True, None
    try:
        yield
    finally:
        _request.active, _request.generation = False, None


def _request_begins(**_kwargs) -> None:
    _request.active = True
    _request.generation = None


def _request_ends(**_kwargs) -> None:
    _request.active = False
    _request.generation = None


request_started.connect(_request_begins, dispatch_uid="helpline.reference.begins")
request_finished.connect(_request_ends, dispatch_uid="helpline.reference.ends")


def reference_models(
    models_: Iterable[type[models.Model]],
    *,
    when: Callable[[models.Model, dict[str, Any]], bool] | None = None,
) -> None:
    """Start a new generation whenever a row of one of `models_` is saved or deleted (and their
    many-to-many relations change); `when(instance, signal_kwargs)` may say a save does not
    matter (a sign-in's last-login time)."""

    def on_change(sender, instance=None, **kwargs):
        action = kwargs.get("action")  # many-to-many changes: only once they are made
        if action is not None and not action.startswith("post_"):
            return
        if when is not None and instance is not None and not when(instance, kwargs):
            return
        changed()

    for model in models_:
        uid = f"helpline.reference.{model._meta.label_lower}"
        post_save.connect(on_change, sender=model, dispatch_uid=f"{uid}.save", weak=False)
        post_delete.connect(on_change, sender=model, dispatch_uid=f"{uid}.delete", weak=False)
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                on_change,
                sender=field.remote_field.through,
                dispatch_uid=f"{uid}.{field.name}",
                weak=False,
            )
