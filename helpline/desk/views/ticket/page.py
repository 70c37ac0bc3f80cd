"""The ticket page itself and the responses every ticket view answers with."""

import json
from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from helpline.core.decorators import staff_required
from helpline.core.errors import Conflict, DomainError, PermissionDenied
from helpline.desk import ticket_forms as tf
from helpline.desk.answers import reply_answer_html
from helpline.desk.candidates import ticket_candidates
from helpline.desk.requester_panel import requester_panel
from helpline.desk.selectors import view_counts_forget
from helpline.desk.timeline import (
    TicketPage,
    changes_since,
    entries_since,
    ticket_page,
    ticket_page_written,
)
from helpline.desk.views.ticket.candidates import FIELDS as SUGGESTING
from helpline.mail.selectors import ticket_mail_problems
from helpline.teamwork.presence import POLL_SECONDS as PRESENCE_SECONDS
from helpline.tickets.models import Entry, Ticket

TEMPLATE = "desk/ticket.html"
# Fragments of the page, each a {% partialdef %} with a stable id (ticket-<pk>-<name>).
FRAGMENTS = ("header", "thread", "composer", "side")
# "forms" stands for the forms inside the action dialogs.
EVERYTHING = (*FRAGMENTS, "forms")
# The action dialogs: the page carries each one's form without its fields, which load when the
# dialog first opens (`?part=dialog&dialog=<name>`, desk/ticket/forms/_lazy.html).
DIALOGS = ("escalate", "supervisor", "transfer", "merge", "link")

# name in the template context → (form class, id prefix of its fields)
FORMS = {
    "reply_form": (tf.ReplyForm, "reply-%s"),
    "note_form": (tf.NoteForm, "note-%s"),
    "fields_form": (tf.FieldsForm, "fields-%s"),
    "tags_form": (tf.TagsForm, "tags-%s"),
    "escalate_form": (tf.EscalateForm, "escalate-%s"),
    "transfer_form": (tf.TransferForm, "transfer-%s"),
    "supervisor_form": (tf.SupervisorForm, "supervisor-%s"),
    "merge_form": (tf.MergeForm, "merge-%s"),
    "link_form": (tf.LinkForm, "link-%s"),
    "take_form": (tf.TakeForm, "take-%s"),
}


def make_form(name: str, page: TicketPage, data=None, files=None):
    form_class, auto_id = FORMS[name]
    kwargs = {"auto_id": auto_id, "page": page}
    if name == "tags_form":
        kwargs["initial"] = {"tags": ", ".join(tag.name for tag in page.tags)}
    return form_class(data, files, **kwargs)


@dataclass
class ConflictNotice:
    """A change refused because the page was old: which form, and what happened since."""

    form: object
    changes: list
    files_dropped: bool = False


class LazyForm:
    """A form built the first time the template uses it (the template engine calls it): a
    fragment builds only the forms it shows. Always the same instance once built."""

    def __init__(self, name: str, page: TicketPage) -> None:
        self.name, self.page, self.form = name, page, None

    def __call__(self):
        if self.form is None:
            self.form = make_form(self.name, self.page)
        return self.form


def page_context(page: TicketPage, **extra) -> dict:
    context: dict[str, object] = {
        "conflict": None,
        "presence_seconds": PRESENCE_SECONDS,
        "page": page,
        "ticket": page.ticket,
        "rights": page.rights,
        "active_tab": "reply",
        "modal_open": None,
        "action_error": None,
        # Read only where the side panel is drawn (a template calls it): one query.
        "mail_problems": partial(ticket_mail_problems, page.ticket.pk),
    }
    for name in FORMS:
        form = extra.pop(name, None)
        context[name] = form if form is not None else LazyForm(name, page)
    context.update(extra)
    return context


@dataclass
class Written:
    """What a write from the ticket page did, so the answer can show just that.

    `page` is the page the form was posted from, read without its thread; `shown_version` and
    `seen` what the form carried; `version` the ticket's version after the write; `fields`
    whether the write changed what the header and side panel show.
    """

    page: TicketPage
    shown_version: int | None
    seen: int | None
    version: int
    # The ticket as the write left it (the row its service locked, changed and returned).
    ticket: Ticket | None = None
    fields: bool = False
    # Written from the composer (a reply or note): the answer brings an empty one. False for
    # the side panel's properties, whose answer is those cards alone (`side_panel_parts`).
    composer: bool = True
    # The request opened or closed, or moved department: the requester panel's counts may change.
    panel: bool = False
    # "reply": when nothing else changed, the answer redraws only the reply form (the note
    # form keeps what is typed in it; its version follows `hl-ticket-version`). Empty: the
    # whole composer.
    form_only: str = ""
    # The one entry the write added, with no files (a plain reply or note), when the answer may
    # show it as saved instead of reading it back (`entries_since`).
    entry: Entry | None = None
    # The form that was posted (the reply form lends its choices to the empty one answered).
    form: object = None

    @property
    def alone(self) -> bool:
        """Nobody else changed the request since the page was shown: the page plus this
        write's entries is the request as it is now."""
        return (
            self.shown_version is not None
            and self.seen is not None
            and self.version in (self.shown_version, self.shown_version + 1)
        )


def written_fragments(request, written: Written, **extra) -> HttpResponse:
    """The answer to an htmx write nobody else interfered with: the entries it added (appended
    to the thread), a fresh composer, the header and side panel only if their fields changed,
    and the new version for every other form on the page (`hl-ticket-version`, app.js) —
    however long the thread, nothing of it is read or rendered again."""
    page = written.page
    if not written.composer:
        page, parts = side_panel_parts(request.user, written)
    elif written.fields:
        page = ticket_page(request.user, page.ticket.pk, thread=False)
        parts = {"header", "composer", "side"}
    else:
        page.ticket.version = written.version
        parts = {written.form_only or "composer"}
    page.entries = entries_since(
        page, written.seen or 0, also=[request.user], written=written.entry
    )
    page.shown_up_to = written.seen or 0
    if parts == {"reply"} and not extra:
        # The common answer, a plain reply: built in Python with the templates' markup.
        sent = written.form if written.form is not None else make_form("reply_form", page)
        html = reply_answer_html(request, page, sent)
    else:
        context = page_context(page, oob=True, parts=parts, appended=True, **extra)
        html = render_to_string(f"{TEMPLATE}#oob", context, request=request)
    response = HttpResponse(html)
    response["HX-Trigger"] = json.dumps(
        {
            "hl-close-modals": None,
            "hl-sidebar-stale": None,
            "hl-ticket-version": {
                "ticket": page.ticket.pk,
                "shown": written.shown_version,
                "version": page.ticket.version,
                "seen": page.last_entry_id,
            },
        }
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


def side_panel_parts(user, written: Written) -> tuple[TicketPage, set[str]]:
    """What a change made with the side panel's properties redraws: the properties (the form
    with the values now and the new version), and when fields changed the header, the dates
    and, if the request opened, closed or moved department, the requester panel (its counts). The
    composer keeps what is typed in it (its version follows `hl-ticket-version`); the tags,
    watchers and links did not change. Read without the thread and what is shown beside it."""
    page = written.page
    if not written.fields:
        page.ticket.version = written.version
        return page, {"props"}
    if written.ticket is not None:
        page = ticket_page_written(user, page, written.ticket)
    else:
        page = ticket_page(user, page.ticket.pk, thread=False, related=False)
    parts = {"header", "props", "details"}
    if written.panel:
        page.requester_panel = requester_panel(user, page.ticket)
        parts.add("requester")
    return page, parts


def full_page(request, page: TicketPage, *, status: int = 200, **extra) -> HttpResponse:
    response = render(request, TEMPLATE, page_context(page, **extra), status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def fragments(request, page: TicketPage, parts, *, status: int = 200, **extra) -> HttpResponse:
    """Out-of-band fragments for an htmx request: each swaps itself in by its id."""
    context = page_context(page, oob=True, parts=set(parts), **extra)
    response = HttpResponse(
        render_to_string(f"{TEMPLATE}#oob", context, request=request), status=status
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


def status_for(exc: DomainError) -> int:
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, PermissionDenied):
        return 403
    return 422


def changed(
    request, pk: int, message: str, *, anchor: str = "", written: Written | None = None, **extra
) -> HttpResponse:
    """The answer to a change that worked: fragments for htmx, a redirect otherwise.

    With `written` (the write says what it did) and nobody else's change in between, htmx gets
    only what the write changed; otherwise the page's fragments, read afresh."""
    messages.success(request, message)
    # The actor's own sidebar counts must show their change at once; others' catch up within the
    # counts' short cache time. The answer does not recount them: the page's sidebar fetches
    # itself on `hl-sidebar-stale` (desk:sidebar), after the write's answer is shown.
    view_counts_forget(request.user)
    if request.htmx and written is not None and written.alone:
        return written_fragments(request, written, **extra)
    if request.htmx:
        response = fragments(request, ticket_page(request.user, pk), EVERYTHING, **extra)
        response["HX-Trigger"] = json.dumps({"hl-close-modals": None, "hl-sidebar-stale": None})
        return response
    return redirect(reverse("desk:ticket", args=[pk]) + anchor)


def refused(
    request, page: TicketPage, *, parts, status: int = 422, message: str | None = None, **extra
) -> HttpResponse:
    """The answer to a change that did not happen: the form again with its message."""
    if request.htmx:
        if message:
            messages.error(request, message)
        return fragments(request, page, parts, status=status, **extra)
    return full_page(request, page, status=status, action_error=message, **extra)


def conflicted(request, pk: int, name: str, form, *, parts, **extra) -> HttpResponse:
    """The answer to a change made on an old page (409): the same form, with what was typed and
    the current version, above it what changed since and by whom, "anyway" and "reload"."""
    page = ticket_page(request.user, pk)
    form.carry_current(page)
    notice = ConflictNotice(
        form=form,
        changes=changes_since(page, form.cleaned_data.get("seen")),
        files_dropped=bool(form.files),
    )
    return refused(
        request, page, parts=parts, status=409, conflict=notice, **{f"{name}_form": form}, **extra
    )


def refused_by_service(request, page: TicketPage, exc: DomainError) -> HttpResponse:
    """A one-button action the service turned down: say why, change nothing."""
    if request.htmx:
        messages.error(request, exc.message)
        return fragments(request, page, ("header", "side"), status=status_for(exc))
    messages.error(request, exc.message)
    return redirect("desk:ticket", pk=page.ticket.pk)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@staff_required
@require_GET
def detail(request, pk: int):
    """The ticket page; with htmx and `?part=<fragment>` just that fragment."""
    part = request.GET.get("part")
    if request.htmx and part == "dialog":
        return dialog_fields(request, pk, request.GET.get("dialog", ""))
    page = ticket_page(request.user, pk)
    if request.htmx and part == "assignee":
        # The side panel's department changed: whom can the request be given to there?
        form = tf.FieldsForm(
            page=page,
            auto_id=FORMS["fields_form"][1],
            department_id=_int_or_none(request.GET.get("department")),
        )
        context = page_context(page, fields_form=form)
        response = render(request, f"{TEMPLATE}#assignee", context)
        patch_vary_headers(response, ("HX-Request",))
        return response
    if request.htmx and part in FRAGMENTS:
        response = render(request, f"{TEMPLATE}#{part}", page_context(page))
        patch_vary_headers(response, ("HX-Request",))
        return response
    return full_page(request, page)


def dialog_fields(request, pk: int, name: str) -> HttpResponse:
    """An action dialog's fields and buttons, when it first opens. The form around them, in
    the page since it was shown, already carries the version and newest entry the page showed,
    so a change made from a page that has grown old is still refused."""
    if name not in DIALOGS:
        raise Http404
    # The dialogs' choices need the ticket and the reference data, not the thread.
    page = ticket_page(request.user, pk, thread=False, related=False)
    form = make_form(f"{name}_form", page)
    context = page_context(page, form=form, **{f"{name}_form": form})
    if name in SUGGESTING:  # the merge and link dialogs (views/ticket/candidates.py)
        # The first suggestions come with the fields, so they never wait for a focus event
        # that may fire before htmx has wired the field.
        context["candidates"] = ticket_candidates(request.user, page.ticket, "", purpose=name)
    response = render(request, f"desk/ticket/forms/_{name}.html#body", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
