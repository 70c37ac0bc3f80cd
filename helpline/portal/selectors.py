"""Reads for the portal: a requester's request list (keyset pages) and a request's public thread."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpline.tickets.history import status_category
from helpline.tickets.models import (
    OPEN_CATEGORIES,
    Entry,
    EntryKind,
    StatusCategory,
    Ticket,
    requester_stage,
)

from .permissions import organisation_shares, portal_tickets

PAGE_SIZE = 25

# What a requester reads for each stage of the lifecycle (`REQUESTER_STAGE` maps the status
# categories onto them); staff-side status names stay inside.
STAGE_LABELS = {
    "open": _("Open"),
    "pending": _("Waiting for your reply"),
    "progress": _("In progress"),
    "resolved": _("Solved — please confirm"),
    "closed": _("Closed"),
}

TABS = {
    "open": pgettext_lazy("portal tab: open requests", "Open"),
    "closed": pgettext_lazy("portal tab: closed requests", "Closed"),
    "all": _("All"),
    "organisation": _("My organisation's requests"),
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def portal_status(category: str) -> tuple[str, str]:
    """(label, css class) a requester sees for a status category."""
    stage = requester_stage(category) or "open"
    return STAGE_LABELS[stage], stage


def cursor_encode(ticket: Ticket) -> str:
    micros = (ticket.last_public_activity_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{ticket.pk}"


def cursor_decode(raw: str | None) -> tuple[datetime, int] | None:
    try:
        micros, pk = (raw or "").split(".")
        return _EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass
class RequestPage:
    tab: str
    tabs: list[tuple[str, str]]
    rows: list[Ticket]
    next_cursor: str | None
    is_first: bool


def requester_tabs(user) -> list[tuple[str, str]]:
    keys = ["open", "closed", "all"]
    if organisation_shares(user):
        keys.append("organisation")
    return [(key, TABS[key]) for key in keys]


def requester_requests(user, *, tab: str, cursor: str | None) -> RequestPage:
    """One page of a requester's list, newest public activity first (what the requester sees
    as "last update": replies and visible status changes, not internal work), keyset on
    (last_public_activity_at, id).

    Queries: the organisation (once per request, to know whether it shares) and the page.
    """
    tabs = requester_tabs(user)
    if tab not in dict(tabs):
        tab = "open"
    qs: QuerySet[Ticket] = portal_tickets(user)
    if tab == "organisation":
        qs = qs.filter(organisation_id=user.organisation_id).select_related("requester")
    else:
        qs = qs.filter(requester_id=user.pk)
        if tab == "open":
            qs = qs.filter(status_category__in=[*OPEN_CATEGORIES, StatusCategory.RESOLVED])
        elif tab == "closed":
            qs = qs.filter(status_category=StatusCategory.CLOSED)
    position = cursor_decode(cursor)
    if position is not None:
        when, pk = position
        qs = qs.filter(
            Q(last_public_activity_at__lt=when) | Q(last_public_activity_at=when, pk__lt=pk)
        )
    columns = ["id", "subject", "status_category", "last_public_activity_at", "created_at"]
    if tab == "organisation":
        columns += ["requester", "requester__first_name", "requester__last_name"]
        columns.append("requester__email")
    rows = list(qs.only(*columns).order_by("-last_public_activity_at", "-id")[: PAGE_SIZE + 1])
    next_cursor = cursor_encode(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    return RequestPage(
        tab=tab,
        tabs=tabs,
        rows=rows[:PAGE_SIZE],
        next_cursor=next_cursor,
        is_first=position is None,
    )


@dataclass
class ThreadItem:
    kind: str  # "reply" or "status"
    created_at: datetime
    entry: Entry | None = None
    status_label: str = ""
    status_css: str = ""
    attachments: list = field(default_factory=list)


def public_thread(ticket: Ticket) -> list[ThreadItem]:
    """Public replies and compact status lines, oldest first; internal notes never.

    Status lines show only the requester-facing label, without who changed it or why, and only
    when that label changes; which one is decided by the status category stored in the history,
    never by a status name. Queries: the entries (with authors and mail), their attachments.
    """
    entries = list(
        Entry.objects.filter(ticket=ticket)
        .filter(Q(kind=EntryKind.REPLY) | Q(kind=EntryKind.EVENT, field="status"))
        .select_related("author", "mail")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    items: list[ThreadItem] = []
    shown = portal_status(StatusCategory.NEW)[1]
    for entry in entries:
        if entry.kind == EntryKind.REPLY:
            items.append(
                ThreadItem(
                    kind="reply",
                    created_at=entry.created_at,
                    entry=entry,
                    attachments=list(entry.attachments.all()),
                )
            )
            continue
        category = status_category((entry.data or {}).get("new"))
        if category is None:
            continue
        label, css = portal_status(category)
        if css == shown:
            continue
        shown = css
        items.append(
            ThreadItem(
                kind="status", created_at=entry.created_at, status_label=label, status_css=css
            )
        )
    return items
