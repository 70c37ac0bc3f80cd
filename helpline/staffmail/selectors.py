"""Reads of internal mail: the boxes, a thread, a request's messages, and search."""

from django.db.models import Prefetch, Q, QuerySet

from helpline.search import engine
from helpline.tickets.access import Action, can
from helpline.tickets.models import Ticket

from .access import messages_visible
from .models import Message, Recipient
from .search import KIND

PAGE_SIZE = 50
BOXES = ("inbox", "archive", "sent")
SEARCH_LIMIT = 200  # the engine's largest page; the box shows the newest PAGE_SIZE of them


def messages_search(qs: QuerySet, text: str, prefix: str = "") -> QuerySet:
    """Narrow `qs` (messages, or rows pointing to them through `prefix`) to those matching
    `text` in subject, body or sender, through the search engine (stems in the installation's
    language, quoted phrases, OR, -exclude, the last word as a prefix). The engine looks only
    among the messages `qs` holds (the person's own box); the best SEARCH_LIMIT matches are kept,
    in `qs`'s order. A query that cannot be read finds nothing, never an error."""
    if not (text or "").strip():
        return qs
    messages = Message.objects.filter(pk__in=qs.values(f"{prefix}pk"))
    found = engine.search(KIND, text, among=messages, limit=SEARCH_LIMIT)
    return qs.filter(**{f"{prefix}pk__in": [hit.object_id for hit in found.hits]})


def box_rows(user, box: str, text: str = "") -> QuerySet:
    """One page of `box`: recipient rows (inbox, archive) or messages (sent), newest first,
    joined for the page (one query)."""
    if box == "sent":
        sent = (
            Message.objects.filter(sender_id=user.pk)
            .select_related("ticket")
            .prefetch_related(
                Prefetch("recipients", Recipient.objects.select_related("user").order_by("pk"))
            )
            .order_by("-created_at", "-id")
        )
        return messages_search(sent, text)
    rows = Recipient.objects.filter(user_id=user.pk, archived_at__isnull=(box == "inbox"))
    rows = messages_search(rows, text, prefix="message__")
    return rows.select_related("message", "message__sender", "message__ticket").order_by(
        "-created_at", "-id"
    )


def thread_messages(user, message: Message) -> list[Message]:
    """The thread `message` belongs to, as far as `user` sent or received it, oldest first,
    with each one's recipients, files and the user's own copy."""
    root = message.thread_root_id
    qs = (
        messages_visible(user)
        .filter(Q(pk=root) | Q(thread_id=root))
        .select_related("sender", "ticket")
        .prefetch_related(
            Prefetch("recipients", Recipient.objects.select_related("user").order_by("pk")),
            "files",
            "departments",
        )
        .order_by("created_at", "id")
    )
    return list(qs)


def ticket_messages(user, ticket: Ticket) -> list[Message]:
    """Internal mail attached to `ticket`, for staff who may see the request (oldest first)."""
    if not (user.is_agent_side and can(user, Action.VIEW, ticket)):
        return []
    return list(
        Message.objects.filter(ticket_id=ticket.pk)
        .select_related("sender")
        .prefetch_related(
            Prefetch("recipients", Recipient.objects.select_related("user").order_by("pk")),
            "files",
            "departments",
        )
        .order_by("created_at", "id")
    )
