"""Letter templates: their placeholders, checks, and rendering to text and HTML.

The syntax (plain text with `{{ name }}` placeholders, nothing else is code) and its checks live
in helpline.core.placeholders, shared with reply templates. The HTML part is built from the
text: every value and every piece of the template is escaped, paragraphs and line breaks are
kept, and only the request's own link becomes a link.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.core.errors import ValidationFailed
from helpline.core.placeholders import (
    Parts,
    placeholders_html,
    placeholders_parse,
    placeholders_text,
)

from .letters_default import DEFAULT_LETTERS
from .models import LetterKind, LetterTemplate

# The values a template may use, with what each holds (shown beside the editor).
PLACEHOLDERS: dict[str, object] = {
    "requester_name": gettext_lazy("the requester's name (or address)"),
    "ticket_number": gettext_lazy("the request's number, e.g. #1234"),
    "subject": gettext_lazy("the request's subject"),
    "status": gettext_lazy("the request's status"),
    "link": gettext_lazy("the address of the request's page"),
    "agent_name": gettext_lazy("the name of the staff member who acted"),
    "reply_text": gettext_lazy("the text of the reply (or of the request, for a new one)"),
    "department": gettext_lazy("the department's name"),
    "signature": gettext_lazy("the department's signature"),
    "desk_name": gettext_lazy("the name of the desk"),
}


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str  # a whole document, for the mail
    html_body: str  # its paragraphs only, for the preview on the letter page


def template_parse(text: str, *, field: str) -> Parts:
    """Split `text` into ("text", piece) and ("name", placeholder) parts, or refuse it with a
    message naming the line and the problem (ValidationFailed on `field`)."""
    return placeholders_parse(text, known=PLACEHOLDERS, field=field)


def template_check(*, subject: str, body: str) -> None:
    """Refuse a template that would not render (ValidationFailed naming the field and line)."""
    if not (subject or "").strip():
        raise ValidationFailed(_("A letter needs a subject."), field="subject")
    if not (body or "").strip():
        raise ValidationFailed(_("A letter needs a text."), field="body")
    template_parse(subject, field="subject")
    template_parse(body, field="body")


def one_line(value: str) -> str:
    """A value safe for a header: control characters and every kind of line break become spaces
    (CR, LF, NEL, the Unicode line and paragraph separators), runs of spaces fold to one, and a
    text that looks like an RFC 2047 encoded word ("=?utf-8?q?…?=", which a reader would decode,
    line breaks included) is broken up so it stays the literal text it is."""
    cleaned = "".join(" " if (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) else ch for ch in value)
    cleaned = cleaned.replace("\u2028", " ").replace("\u2029", " ")
    cleaned = cleaned.replace("=?", "=\u200b?")
    return " ".join(cleaned.split())


def _document(body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
        f"<body>\n{body}\n</body></html>\n"
    )


def letter_render(*, subject: str, body: str, values: Mapping[str, str]) -> Letter:
    """Render a checked template with `values` (missing ones are empty). The subject is one
    line whatever the values hold."""
    subject_parts = template_parse(subject, field="subject")
    body_parts = template_parse(body, field="body")
    html_body = placeholders_html(body_parts, values, link="link")
    return Letter(
        subject=one_line(placeholders_text(subject_parts, values)),
        text=placeholders_text(body_parts, values).replace("\r\n", "\n").strip() + "\n",
        html=_document(html_body),
        html_body=html_body,
    )


def language_of(code: str | None) -> str:
    """One of the languages letters exist in: the code itself, its base ("nb-NO" -> "nb"), or
    the installation's default language, or English."""
    known = {language for language, _label in settings.LANGUAGES}
    for candidate in (code or "", (code or "").split("-")[0], settings.LANGUAGE_CODE[:2], "en"):
        if candidate in known:
            return candidate
    return "en"


def letter_source(
    kind: str, *, language: str, department_id: int | None
) -> tuple[str, str, LetterTemplate | None]:
    """The template used for `kind` in `language` for a request in `department_id`: the
    department's own, else the one for all departments, else the shipped default (subject, body,
    and the row when there is one)."""
    rows = list(
        LetterTemplate.objects.filter(kind=kind, language=language).filter(
            department_id__in=[department_id] if department_id else []
        )
        | LetterTemplate.objects.filter(kind=kind, language=language, department__isnull=True)
    )
    rows.sort(key=lambda row: row.department_id is None)
    if rows:
        return rows[0].subject, rows[0].body, rows[0]
    subject, body = letter_default(kind, language)
    return subject, body, None


def letter_default(kind: str, language: str) -> tuple[str, str]:
    texts = DEFAULT_LETTERS[LetterKind(kind)]
    return texts.get(language) or texts["en"]
