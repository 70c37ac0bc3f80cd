"""The answer to a plain reply, built in Python: the new entries, an empty reply form, the toasts.

A reply that changed nothing else on the page (`written_fragments`, parts `{"reply"}`) is
answered with three out-of-band fragments: the entries appended to the thread, the empty reply
form and the messages as toasts. Through the template engine (`desk/ticket.html#oob`, the
composer's `reply_form` partial and `_toasts.html`) they were the largest part of a reply's
server time after the write itself: the context processors, some sixty nodes and a dozen
translations for markup that only changes in a few values. Here they are a few f-strings with
the same markup (`helpline/desk/tests/test_ticket_reply_answer.py` holds them equal to the
templates, which stay for the page, for forms with errors and for every other answer).
"""

from html import escape as _escape

from django.contrib.messages import get_messages
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from helpline.core.submissions import submission_key_new
from helpline.tickets.models import Ticket

from .thread import thread_html

# The toast's colour for each message level (`desk/ticket/_toasts.html`).
TOAST_COLOURS = {"error": "danger", "success": "success", "warning": "warning"}


def _esc(value) -> str:
    return _escape(str(value))


def reply_answer_html(request, page, sent, *, submission: str | None = None) -> SafeString:
    """The answer's fragments after a plain reply: `page.entries` (what the reply added) at the
    end of the thread, an empty reply form in place of `sent` (the reply form that was posted,
    whose status choices it offers again) and the request's messages."""
    ticket = page.ticket
    parts = []
    if page.entries:
        parts.append(thread_appended_html(request, ticket, page.entries))
    parts.append(reply_form_html(request, page, sent, submission=submission))
    parts.append(toasts_html(request))
    return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped


def thread_appended_html(request, ticket: Ticket, entries) -> str:
    """`desk/ticket/_thread.html`'s section with `appended`: entries for the end of the thread."""
    return (
        f'<section id="ticket-{ticket.pk}-thread" class="hl-thread"'
        f' aria-label="{_esc(_("Conversation"))}"'
        f' hx-swap-oob="beforeend:#ticket-{ticket.pk}-thread">\n'
        f"  {thread_html(entries, ticket, request=request, appended=True)}</section>"
    )


def reply_form_html(request, page, sent, *, submission: str | None = None) -> str:
    """`desk/ticket/_composer.html`'s `reply_form` partial with `reply_oob`, empty: no errors,
    no conflict, no text, no template chosen; the version and newest entry of `page` and a new
    one-time key (`submission`, for tests), as a fresh `ReplyForm` would carry. `sent`, the
    form that was posted from the same page, lends its status choices without building a
    second form."""
    ticket = page.ticket
    key = submission_key_new() if submission is None else submission
    hidden = (
        f'<input type="hidden" name="version" value="{ticket.version}" id="reply-version">'
        f'<input type="hidden" name="seen" value="{page.last_entry_id}" id="reply-seen">'
        f'<input type="hidden" name="submission" value="{_esc(key)}" id="reply-submission">'
    )
    status = sent.fields["status"].widget.render("status", None, attrs={"id": "reply-status"})
    skeleton = _skeleton(request.user.role == "external")
    # The request's number first: what is filled in afterwards may contain any digits.
    return (
        skeleton.replace(_PK, str(ticket.pk))
        .replace(_HOLES["csrf"], _esc(get_token(request)))
        .replace(_HOLES["hidden"], hidden)
        .replace(_HOLES["status"], status)
        .replace(_HOLES["name"], _esc(ticket.requester.display_name))
    )


# The form's markup is the same for every request but for these, filled in per answer: the
# request's number (a stand-in in the URLs and ids, as in `helpline.desk.thread`) and the holes.
_PK = "987654321"
_HOLES = {name: f"\x00{name}\x00" for name in ("csrf", "hidden", "status", "name")}
# (language, script prefix, external provider) → the form's markup with its holes.
_SKELETONS: dict[tuple[str, str, bool], str] = {}


def _skeleton(external: bool) -> str:
    """The empty reply form in the current language, translated and its URLs reversed once per
    process (a process serves few languages; labels and URLs do not change while it runs)."""
    found = (get_language(), get_script_prefix(), external)
    markup = _SKELETONS.get(found)
    if markup is None:
        markup = _SKELETONS[found] = _skeleton_built(external)
    return markup


def _skeleton_built(external: bool) -> str:
    pk, holes = _PK, _HOLES
    csrf, hidden, status = holes["csrf"], holes["hidden"], holes["status"]
    action = _esc(reverse("desk:reply", args=[pk]))
    # `{% blocktranslate %}` escapes the name it fills in, not its own text.
    placeholder = _("Write a reply to %(name)s…") % {"name": holes["name"]}
    kb = ""
    if not external:
        kb = f"""
          <details class="hl-kb-insert mt-2" data-hl-kb-target="reply-body">
            <summary class="hl-muted-small"><i class="bi bi-journal-text" aria-hidden="true"></i> {_esc(_("Insert an article"))}</summary>
            <div class="pt-2">
              <label class="visually-hidden" for="ticket-{pk}-kb-q">{_esc(_("Search articles"))}</label>
              <input type="search" class="form-control form-control-sm mb-2" id="ticket-{pk}-kb-q" name="q" autocomplete="off" placeholder="{_esc(_("Search articles…"))}"
                     hx-get="{_esc(reverse("kb_desk:lookup", args=[pk]))}" hx-trigger="input changed delay:300ms, search" hx-target="#ticket-{pk}-kb-results" hx-swap="outerHTML">
              <div id="ticket-{pk}-kb-results"></div>
            </div>
          </details>
          """  # noqa: E501
    return f"""<form class="card-body" id="ticket-{pk}-reply-form" hx-swap-oob="true" method="post" action="{action}" enctype="multipart/form-data" hx-post="{action}" hx-encoding="multipart/form-data" hx-swap="none" hx-disabled-elt="find button[type=submit]">
          <input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">{hidden}<input type="hidden" name="template" value="" data-hl-template-field>
          <div class="hl-template-picker position-relative mb-2" data-hl-template-picker>
            <label class="visually-hidden" for="reply-template-search">{_esc(_("Insert a reply template"))}</label>
            <div class="input-group input-group-sm">
              <span class="input-group-text"><i class="bi bi-chat-square-text" aria-hidden="true"></i></span>
              <input type="search" id="reply-template-search" name="q" class="form-control" autocomplete="off" placeholder="{_esc(_("Templates… (Alt+T)"))}" role="combobox" aria-expanded="false" aria-controls="reply-template-options" aria-autocomplete="list" data-hl-template-search
                     hx-get="{_esc(reverse("replies:suggest", args=[pk]))}" hx-trigger="focus once, input changed delay:200ms" hx-target="#reply-template-options" hx-swap="innerHTML" hx-disabled-elt="unset" hx-sync="this:replace">
            </div>
            <ul id="reply-template-options" class="list-group hl-template-options shadow-sm" role="listbox" aria-label="{_esc(_("Reply templates"))}" hidden></ul>
            <p class="hl-muted-small mb-0 mt-1" data-hl-template-chosen data-hl-macro-note="{_esc(_("its actions run when you send"))}" hidden><i class="bi bi-lightning-charge" aria-hidden="true"></i> <span data-hl-template-chosen-text>{_esc(_("A reply template is attached: its actions run when you send."))}</span> <button type="button" class="btn btn-link btn-sm p-0 align-baseline" data-hl-template-clear>{_esc(_("Detach"))}</button></p>
          </div>
          <label class="visually-hidden" for="reply-body">{_esc(_("Reply to the requester"))}</label>
          <textarea name="body" id="reply-body" rows="5" class="form-control" data-hl-key="r" placeholder="{placeholder}"></textarea>{kb}
          <div class="row g-2 align-items-center mt-1">
            <div class="col-md">
              <label class="visually-hidden" for="reply-attachments">{_esc(_("Attachments"))}</label>
              <input type="file" name="attachments" id="reply-attachments" multiple class="form-control form-control-sm">
            </div>
            <div class="col-md-auto d-flex align-items-center gap-2">
              <label class="hl-muted-small text-nowrap" for="reply-status">{_esc(_("and set status to"))}</label>
              {status}
            </div>
            <div class="col-md-auto">
              <button type="submit" class="btn btn-primary btn-sm w-100"><i class="bi bi-send" aria-hidden="true"></i> {_esc(_("Send reply"))}</button>
            </div>
          </div>
        </form>"""  # noqa: E501


def toasts_html(request) -> str:
    """`desk/ticket/_toasts.html`: the request's messages as toasts (which marks them shown)."""
    shown = list(get_messages(request))
    if not shown:
        return ""
    close = _esc(_("Close"))
    toasts = "".join(
        f"""
  <div class="toast align-items-center border-0 text-bg-{TOAST_COLOURS.get(message.level_tag, "secondary")}" role="status" data-hl-autoshow>
    <div class="d-flex"><div class="toast-body">{conditional_escape(message)}</div><button type="button" class="btn-close btn-close-white me-2 m-auto" data-bs-dismiss="toast" aria-label="{close}"></button></div>
  </div>"""  # noqa: E501
        for message in shown
    )
    return f'<div hx-swap-oob="beforeend:#toasts">{toasts}\n</div>'
