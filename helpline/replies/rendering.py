"""Reply templates' placeholders, their checks, the language a requester reads, and rendering.

The syntax and its checks are the letters' (helpline.core.placeholders): `{{ name }}` and
nothing else. Rendered replies are plain text (the thread escapes what it shows); the preview on
the template pages is escaped HTML, so a requester's name or subject never becomes markup.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.core import clock
from helpline.core.errors import ValidationFailed
from helpline.core.placeholders import placeholders_html, placeholders_parse, placeholders_text
from helpline.tickets.models import Ticket

from .models import ReplyTemplate, ReplyText

# The values a reply template may use, with what each holds (shown beside the editor).
PLACEHOLDERS: dict[str, object] = {
    "requester_name": gettext_lazy("the requester's name (or address)"),
    "requester_first_name": gettext_lazy("the requester's first name (or their name)"),
    "ticket_number": gettext_lazy("the request's number, e.g. #1234"),
    "subject": gettext_lazy("the request's subject"),
    "agent_name": gettext_lazy("your name (whoever uses the template)"),
    "department": gettext_lazy("the request's department"),
    "portal_link": gettext_lazy("the address of the request in the portal"),
    "today": gettext_lazy("today's date"),
    "created_date": gettext_lazy("the date the request was opened"),
}

LANGUAGES = [code for code, _label in settings.LANGUAGES]


@dataclass(frozen=True)
class Rendered:
    text: str
    language: str  # the variant used ("" when the template has no text)


def text_check(text: str, *, field: str) -> None:
    """Refuse a text with an unknown placeholder or stray braces (the message names the line
    and the placeholder)."""
    placeholders_parse(text, known=PLACEHOLDERS, field=field)


def language_pick(available: list[str], wanted: str | None) -> str | None:
    """The variant a requester reads: their language (or its base, "nb-NO" -> "nb"), else the
    installation's language, else English, else the first one there is."""
    code = (wanted or "").lower()
    for candidate in (code, code.split("-")[0], settings.LANGUAGE_CODE[:2], "en"):
        if candidate and candidate in available:
            return candidate
    return available[0] if available else None


def _date(value, language: str) -> str:
    with translation.override(language):
        return formats.date_format(timezone.localtime(value).date(), "DATE_FORMAT")


def reply_values(ticket: Ticket, actor, language: str) -> dict[str, str]:
    """The placeholders' values for `ticket` written by `actor` (the requester, department and
    status must be loaded with the ticket)."""
    requester = ticket.requester
    return {
        "requester_name": requester.display_name,
        "requester_first_name": requester.first_name or requester.display_name,
        "ticket_number": ticket.reference,
        "subject": ticket.subject,
        "agent_name": actor.display_name,
        "department": ticket.department.name,
        "portal_link": f"{settings.SITE_URL}{reverse('portal:request', args=[ticket.pk])}",
        "today": _date(clock.now(), language),
        "created_date": _date(ticket.created_at, language),
    }


def _texts(template: ReplyTemplate) -> dict[str, str]:
    # Prefetched texts when there are (the typeahead and the board load them with the list).
    return {text.language: text.body for text in template.texts.all()}


def template_render(
    template: ReplyTemplate, ticket: Ticket, actor, *, values: Mapping[str, str] | None = None
) -> Rendered:
    """The template's text for `ticket`, in its requester's language (or the nearest there is),
    placeholders filled in."""
    texts = _texts(template)
    language = language_pick(list(texts), ticket.requester.language)
    if language is None:
        return Rendered(text="", language="")
    values = values or reply_values(ticket, actor, language)
    parts = placeholders_parse(texts[language], known=PLACEHOLDERS, field="body")
    return Rendered(text=placeholders_text(parts, values).strip(), language=language)


def note_render(template: ReplyTemplate, ticket: Ticket, actor) -> str:
    """A macro's internal note for `ticket`, in the language of whoever applies it."""
    language = language_pick(LANGUAGES, translation.get_language())
    parts = placeholders_parse(template.note, known=PLACEHOLDERS, field="note")
    return placeholders_text(parts, reply_values(ticket, actor, language or "en")).strip()


def sample_values(actor) -> dict[str, str]:
    """Made-up values for the preview on the template pages."""
    now = clock.now()
    return {
        "requester_name": "Kari Nordmann",
        "requester_first_name": "Kari",
        "ticket_number": "#1234",
        "subject": _("Printer on the second floor"),
        "agent_name": actor.display_name,
        "department": _("Service desk"),
        "portal_link": f"{settings.SITE_URL}{reverse('portal:request', args=[1234])}",
        "today": _date(now, translation.get_language() or "en"),
        "created_date": _date(now, translation.get_language() or "en"),
    }


def preview_html(text: ReplyText | str, actor) -> SafeString:
    """Escaped HTML paragraphs of a text with sample values (a broken text previews as is)."""
    body = text.body if isinstance(text, ReplyText) else text
    try:
        parts = placeholders_parse(body, known=PLACEHOLDERS, field="body")
    except ValidationFailed:
        parts = [("text", body)]
    # Every piece and value went through escape() in placeholders_html.
    return mark_safe(placeholders_html(parts, sample_values(actor), link="portal_link"))  # noqa: S308
