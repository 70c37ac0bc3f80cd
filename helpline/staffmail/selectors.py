"""Reads of internal mail: the boxes, a thread, a request's messages, and search."""

from django.db.models import Prefetch, Q, QuerySet

from helpline.tickets.access import Action, can
from helpline.tickets.models import Ticket

from .access import messages_visible
from .models import Message, Recipient

PAGE_SIZE = 50
BOXES = ("inbox", "archive", "sent")


def messages_search(qs: QuerySet, text: str, prefix: str = "") -> QuerySet:
    """Narrow `qs` (messages, or rows pointing to them through `prefix`) to those matching every
    word of `text` in subject, body or sender. The one place search lives: the search engine
    (another branch) replaces this body, not its callers."""
    for word in (text or "").split()[:8]:
        qs = qs.filter(
            Q(**{f"{prefix}subject__icontains": word})
            | Q(**{f"{prefix}body__icontains": word})
            | Q(**{f"{prefix}sender__first_name__icontains": word})
            | Q(**{f"{prefix}sender__last_name__icontains": word})
            | Q(**{f"{prefix}sender__email__icontains": word})
        )
    return qs


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
