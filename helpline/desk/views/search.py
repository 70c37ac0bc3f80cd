"""The desk's search page: requests found by their words, with highlighted snippets, the entry
that matched and the board's filters combined with the text (helpline.tickets.search)."""

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from helpline.core.decorators import staff_required
from helpline.tickets.models import Entry, EntryKind, Ticket
from helpline.tickets.search import tickets_search

from ..forms import TicketSearchForm
from ..selectors import (
    board_choices,
    desk_context,
    filter_tickets,
    ticket_number,
    visible_ticket_id,
)

PAGE_SIZE = 20


@dataclass
class Found:
    ticket: Ticket
    title_html: SafeString
    snippet_html: SafeString
    private: bool
    entry: dict | None  # id, kind, author name, created_at of the entry the snippet comes from


def _day_start(day, *, end: bool = False) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def _matched_entries(hits) -> dict[int, dict]:
    """For each hit, the entry its snippet comes from: the snippet names the passage, and the
    passages are the ticket's replies (or notes) in thread order, as indexed. One query."""
    if not hits:
        return {}
    rows: dict[tuple[int, str], list[Any]] = {}
    for row in (
        Entry.objects.filter(
            ticket_id__in=[h.object_id for h in hits], kind__in=[EntryKind.REPLY, EntryKind.NOTE]
        )
        .order_by("ticket_id", "created_at", "id")
        .values("id", "ticket_id", "kind", "created_at", "author__first_name", "author__email")
    ):
        rows.setdefault((row["ticket_id"], row["kind"]), []).append(row)
    found = {}
    for hit in hits:
        if not hit.snippet_html:
            continue
        kind = EntryKind.NOTE if hit.private else EntryKind.REPLY
        entries = rows.get((hit.object_id, kind), [])
        if hit.passage < len(entries):
            found[hit.object_id] = entries[hit.passage]
    return found


@staff_required
@require_GET
def search(request):
    user = request.user
    choices = board_choices(user)
    form = TicketSearchForm(request.GET or None, choices=choices)
    text = (form.value("q") or "").strip() if form.is_bound else ""
    number = ticket_number(text)
    if number is not None and (pk := visible_ticket_id(user, number)) is not None:
        return redirect(reverse("desk:ticket", args=[pk]))

    results = None
    found: list[Found] = []
    page = form.value("page") or 1
    if text:
        narrow = filter_tickets(Ticket.objects.all(), form.filters(), user)
        since, until = form.value("since"), form.value("until")
        if since:
            narrow = narrow.filter(last_activity_at__gte=_day_start(since))
        if until:
            narrow = narrow.filter(last_activity_at__lte=_day_start(until, end=True))
        results = tickets_search(
            user, text, narrow=narrow, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        tickets = Ticket.objects.select_related(
            "status", "department", "assignee", "requester"
        ).in_bulk([hit.object_id for hit in results.hits])
        entries = _matched_entries(results.hits)
        for hit in results.hits:
            ticket = tickets.get(hit.object_id)
            if ticket is None:
                continue
            found.append(
                Found(
                    ticket=ticket,
                    # The engine escapes everything but its own <mark> tags.
                    title_html=mark_safe(hit.title_html),  # noqa: S308
                    snippet_html=mark_safe(hit.snippet_html),  # noqa: S308
                    private=hit.private,
                    entry=entries.get(hit.object_id),
                )
            )

    def page_url(number: int) -> str:
        query = {k: v for k, v in request.GET.items() if k != "page" and v}
        if number > 1:
            query["page"] = str(number)
        return f"{reverse('desk:search')}?{urlencode(query)}"

    pages = {}
    if results is not None and results.total:
        last = (results.total + PAGE_SIZE - 1) // PAGE_SIZE
        if page > 1:
            pages["previous"] = page_url(page - 1)
        if page < last:
            pages["next"] = page_url(page + 1)
    context = {
        "form": form,
        "text": text,
        "results": results,
        "found": found,
        "page_number": page,
        "pages": pages,
        **desk_context(request, current_view="search"),
    }
    return render(request, "desk/search.html", context)
