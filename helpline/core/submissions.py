"""One-time submission keys: a write retried with the same key happens once.

Every channel uses the same helper: page forms carry a hidden key generated when the form is
shown (`SubmissionKeyField`), the API will take an Idempotency-Key header and the mail channel
a message's Message-ID. The key row is inserted in the transaction of the write itself, so
either both are committed or neither is: a retry after a lost response finds the key and gets
the first result back; a retry after a failed write simply writes.
"""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from django import forms
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from . import clock
from .errors import ValidationFailed
from .models import SubmissionKey

T = TypeVar("T", bound=models.Model)

# Long enough for a browser's retries, a client's back-off and a slow mail server's redelivery.
KEEP_FOR = timedelta(days=7)
KEY_FIELD = "submission"


def submission_key_new() -> str:
    return secrets.token_urlsafe(24)


class SubmissionKeyField(forms.CharField):
    """A hidden field holding a fresh key each time its form is shown; empty is accepted (the
    write then simply has no protection against a repeat)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("initial", submission_key_new)
        super().__init__(**kwargs)


@dataclass(frozen=True)
class Submitted(Generic[T]):
    """What a keyed write produced: the object, and whether this call created it (False: a
    repeat answered with the first call's object, which may be None if it was deleted since)."""

    result: T | None
    created: bool


def _digest(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()


def submission_once(*, key: str | None, scope: str, user, write: Callable[[], T]) -> Submitted[T]:
    """Run `write` once per (scope, key); a repeat returns the first result without writing.

    `write` returns the model instance the submission created (a ticket, an entry). A key used
    by another user is refused. Two requests with the same key at the same moment: the second
    one's insert waits on the first's uncommitted key and, once that commits, finds it.
    """
    if not key:
        return Submitted(write(), True)
    user_id = user.pk if user is not None and user.is_authenticated else None
    digest = _digest(scope, key)
    record = None
    try:
        with transaction.atomic():
            # The key first, alone: a repeat is refused here, before anything is written (and
            # the transaction, or the caller's savepoint, is rolled back with nothing in it).
            record = SubmissionKey.objects.create(digest=digest, scope=scope, user_id=user_id)
            result = write()
            SubmissionKey.objects.filter(pk=record.pk).update(
                result_type=result._meta.label_lower, result_id=result.pk
            )
            return Submitted(result, True)
    except IntegrityError:
        if record is not None:  # the write's own, not the key's
            raise
        return _repeat(digest, user_id)


def _repeat(digest: str, user_id: int | None) -> Submitted:
    record = SubmissionKey.objects.get(digest=digest)
    if record.user_id != user_id:
        raise ValidationFailed(_("This form was already sent by someone else; reload the page."))
    model = apps.get_model(record.result_type) if record.result_type else None
    result = model.objects.filter(pk=record.result_id).first() if model else None
    return Submitted(result, False)


def submission_keys_forget(*, older_than: timedelta = KEEP_FOR) -> int:
    """Delete keys older than `older_than` (a periodic job); returns how many went."""
    deleted, _by_model = SubmissionKey.objects.filter(
        created_at__lt=clock.now() - older_than
    ).delete()
    return deleted
