"""The ticket page's thread as HTML, built in Python once per page (`thread_html`).

A 50-entry thread through the template engine cost about 0.5 ms an entry on this machine: each
entry resolved some forty variables, translated its labels again, reversed its URLs and ran the
date tag. Here every label is translated and every URL reversed once per page, a moment is
formatted with one "now", and each entry is a few f-strings with the same markup as before
(`desk/ticket/_thread.html` keeps the section around it). A mail entry's body, rare and richer,
still goes through its template (`desk/ticket/_mail.html`).
"""

from dataclasses import dataclass
from datetime import datetime
from html import escape as _escape

from django.template.defaultfilters import filesizeformat
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from helpline.core import clock, moments
from helpline.mail.models import MailMessage
from helpline.tickets.models import EntryKind, Ticket

from .templatetags.ticket_page import file_icon, initial

# A stand-in primary key, replaced per entry: one reverse() per URL name and page.
_PK = 987654321


def _esc(value) -> str:
    """Django's escape (the standard library's, which Django's wraps) for plain text."""
    return _escape(str(value))


@dataclass(frozen=True)
class _Labels:
    """What the thread says, translated once per page (`{% translate %}` output is escaped)."""

    internal_note: str
    note_badge: str
    replied: str
    make_article: str
    requester: str
    unknown: str
    attachments: str
    nothing: str
    logged: str  # the translated sentence; its value is escaped when filled in

    @classmethod
    def current(cls) -> "_Labels":
        """In the current language: translated once per process and language (a reply's answer
        shows one entry, and its labels cost more than its markup)."""
        language = get_language()
        found = _LABELS.get(language)
        if found is None:
            found = _LABELS[language] = cls._translated()
        return found

    @classmethod
    def _translated(cls) -> "_Labels":
        return cls(
            internal_note=_esc(_("Internal note")),
            note_badge=_esc(_("Internal note — not visible to the requester")),
            replied=_esc(_("replied to the requester")),
            make_article=_esc(_("Make an article from this answer")),
            requester=_esc(_("Requester")),
            unknown=_esc(_("Unknown sender")),
            attachments=_esc(_("Attachments")),
            nothing=_esc(_("Nothing has been written yet.")),
            logged=_("logged the request (%(channel)s)"),
        )


_LABELS: dict[str | None, _Labels] = {}


class _Moments:
    """`{% moment %}`'s markup with one "now" for the whole thread."""

    def __init__(self) -> None:
        self.now = clock.now()

    def __call__(self, value: datetime | None, css: str = "") -> str:
        shown = moments.moment(value, now=self.now)
        if shown is None:
            return ""
        iso, exact, text = _esc(shown.iso), _esc(shown.exact), _esc(shown.text)
        if css:
            return f'<time class="{_esc(css)}" datetime="{iso}" title="{exact}">{text}</time>'
        return f'<time datetime="{iso}" title="{exact}">{text}</time>'


def _mail_of(entry) -> MailMessage | None:
    try:
        return entry.mail
    except MailMessage.DoesNotExist:
        return None


def thread_html(entries, ticket: Ticket, *, request, appended: bool = False) -> SafeString:
    """The entries of `desk/ticket/_thread.html`'s section, in order: history lines (runs of
    them folded into one line the agent can open), replies and notes with their attachments.
    `appended`: the entries a write added, sent to the end of a thread already on the page."""
    labels = _Labels.current()
    moment = _Moments()
    attachment_url = reverse("desk:attachment", args=[_PK])
    article_url = reverse("kb_desk:from_entry", args=[_PK])
    user = getattr(request, "user", None)
    may_make_article = getattr(user, "role", None) != "external"
    mail_template = None
    parts: list[str] = []
    add = parts.append
    for position, entry in enumerate(entries):
        if entry.kind == EntryKind.EVENT:
            run_size = getattr(entry, "run_size", 0)
            if run_size:
                last = entry.run_last
                count = ngettext("%(n)s change", "%(n)s changes", run_size) % {"n": run_size}
                add(
                    '\n      <details class="hl-event-run" data-hl-event-run>\n'
                    '        <summary class="hl-event"><i class="bi bi-clock-history"'
                    ' aria-hidden="true"></i>\n'
                    '          <span class="flex-grow-1 hl-min-w-0"><span class="hl-run-count">'
                    f'{count}</span> · <span class="hl-run-last">{last.line.text}</span></span>\n'
                    f"          {moment(last.created_at)}\n"
                    "        </summary>"
                )
            line = entry.line
            handover = " hl-event-handover" if line.handover else ""
            reason = ""
            if entry.body and not getattr(entry, "repeats_reason", False):
                reason = f' <span class="hl-event-reason">· {_esc(entry.body)}</span>'
            add(
                f'\n      <div class="hl-event{handover}" id="entry-{entry.pk}">\n'
                f'        <i class="bi {_esc(line.icon)}" aria-hidden="true"></i>\n'
                f'        <span class="flex-grow-1">{line.text}{reason}</span>\n'
                f"        {moment(entry.created_at)}\n      </div>"
            )
            if getattr(entry, "run_closes", False):
                add("</details>")
            continue
        author = entry.author
        note = entry.kind == EntryKind.NOTE
        staff = author is not None and author.pk != ticket.requester_id and author.is_agent_side
        if note:
            add(
                f'\n      <article class="hl-entry hl-entry-note" id="entry-{entry.pk}"'
                f' aria-label="{labels.internal_note}">'
            )
            avatar = " hl-avatar-note"
        elif staff:
            add(f'\n      <article class="hl-entry hl-entry-staff" id="entry-{entry.pk}">')
            avatar = " hl-avatar-staff"
        else:
            add(f'\n      <article class="hl-entry hl-entry-requester" id="entry-{entry.pk}">')
            avatar = ""
        name = author.display_name if author is not None else ""
        shown_name = _esc(name) if author is not None else labels.unknown
        add(
            '\n        <header class="hl-entry-header d-flex align-items-center gap-2 flex-wrap">'
            f'\n          <span class="hl-avatar{avatar}" aria-hidden="true">'
            f"{_esc(initial(name or '?'))}</span>"
            f"\n          <strong>{shown_name}</strong>\n          "
        )
        if note:
            add(
                '<span class="badge text-bg-warning hl-note-badge"><i class="bi bi-lock-fill"'
                f' aria-hidden="true"></i> {labels.note_badge}</span>'
            )
        elif staff:
            if position == 0 and not appended:
                channel = _esc(str(ticket.get_channel_display()).lower())
                add(
                    '<span class="hl-muted-small"><i class="bi bi-telephone-inbound"'
                    ' aria-hidden="true"></i> '
                    f"{labels.logged % {'channel': channel}}</span>"
                )
            else:
                add(
                    '<span class="hl-muted-small"><i class="bi bi-reply" aria-hidden="true"></i> '
                    f"{labels.replied}</span>"
                )
                if entry.kind == EntryKind.REPLY and may_make_article:
                    url = article_url.replace(str(_PK), str(entry.pk))
                    add(
                        f'\n              <a class="hl-muted-small" href="{_esc(url)}"'
                        ' data-hl-from-answer><i class="bi bi-journal-plus"'
                        f' aria-hidden="true"></i> {labels.make_article}</a>'
                    )
        else:
            add(f'<span class="badge rounded-pill hl-badge-requester">{labels.requester}</span>')
        stamp = moment(entry.created_at, "ms-auto hl-muted-small")
        add(f"\n          {stamp}\n        </header>\n")
        mail = _mail_of(entry)
        if mail is not None:
            if mail_template is None:
                mail_template = get_template("desk/ticket/_mail.html")
            add(mail_template.render({"mail": mail, "entry": entry}, request))
        else:
            add(f'        <div class="hl-entry-body">{_esc(entry.body)}</div>')
        files = entry.attachments.all()
        if files:
            add(
                '\n          <ul class="hl-attachments list-unstyled d-flex flex-wrap gap-2 px-3'
                f' pb-3 mb-0" aria-label="{labels.attachments}">'
            )
            for file in files:
                url = attachment_url.replace(str(_PK), str(file.pk))
                add(
                    f'\n              <li><a class="hl-attachment" href="{_esc(url)}" download>'
                    f'\n                <i class="bi {_esc(file_icon(file.content_type))}"'
                    ' aria-hidden="true"></i>'
                    f'\n  <span class="hl-attachment-name">{_esc(file.filename)}</span>'
                    f'\n  <span class="hl-muted-small">{_esc(filesizeformat(file.size))}'
                    f" · {_esc(file.content_type)}</span>\n</a></li>"
                )
            add("\n          </ul>")
        add("\n      </article>")
    if not parts:
        add(f'\n    <p class="text-body-secondary">{labels.nothing}</p>')
    # Every value above went through escape(); the history lines are SafeStrings already.
    return mark_safe("".join(parts) + "\n")  # noqa: S308
