"""Internal mail as a search source (helpline.search): a message's subject (the title), its body
and, as exact tokens, its sender's name and address, in the installation's language.

`message_send` indexes each message (a reply too) in its transaction; a deleted message (a thread
goes with its first message) leaves the index with its row; a sender's new name or address
reindexes the messages they sent, in the transaction that saves the person. Who may find a
message is the search's `among`: the messages the person sent or received, never the index's
business."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from helpline.search import engine
from helpline.search.engine import Document

from .models import Message

KIND = "staffmail"


class MessageSource:
    kind = KIND
    private_only_grows = True  # no private part: nothing to delete on each index

    def documents(self, ids: Iterable[int]) -> Iterable[Document]:
        rows = Message.objects.filter(pk__in=list(ids)).values_list(
            "pk",
            "subject",
            "body",
            "created_at",
            "sender__first_name",
            "sender__last_name",
            "sender__email",
        )
        return [
            Document(
                object_id=pk,
                language=settings.LANGUAGE_CODE,
                title=subject,
                body=body,
                exact=" ".join(t for t in (first, last, email) if t),
                when=when,
            )
            for pk, subject, body, when, first, last, email in rows
        ]

    def all_ids(self) -> Iterator[int]:
        last = 0
        while True:
            batch = list(
                Message.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:2000]
            )
            if not batch:
                return
            yield from batch
            last = batch[-1]


def index_messages(*messages: Message) -> None:
    """Bring these messages' index rows up to date, in the caller's transaction."""
    engine.index(KIND, [m.pk for m in messages])


# What a message's document holds of its sender: a change to any of these reindexes the
# messages they sent (a save naming other fields only, such as the last login, does not).
SENDER_FIELDS = frozenset({"first_name", "last_name", "email"})
REINDEX_BATCH = 500


def sender_messages_reindex(user_id: int) -> int:
    """Reindex every message this person sent, in the caller's transaction and in batches (their
    name or address changed). Returns how many."""
    return engine.index_where(KIND, Message.objects.filter(sender_id=user_id), batch=REINDEX_BATCH)


def _user_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kw: Any
) -> None:
    if created or kw.get("raw"):
        return
    if update_fields is not None and not SENDER_FIELDS.intersection(update_fields):
        return
    sender_messages_reindex(instance.pk)


def _message_deleted(sender: Any, instance: Message, **kw: Any) -> None:
    engine.remove(KIND, [instance.pk])


def connect() -> None:
    engine.register(MessageSource())
    post_delete.connect(_message_deleted, sender=Message, dispatch_uid="staffmail.search.gone")
    # Every way a staff member's name or address changes (the administrators' service, their own
    # profile) saves the person: the signal runs in that transaction, so the index changes with it.
    post_save.connect(
        _user_saved,
        sender=Message._meta.get_field("sender").related_model,
        dispatch_uid="staffmail.search.sender",
    )
