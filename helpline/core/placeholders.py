"""A restricted placeholder syntax shared by letter and reply templates: parsing, checks, and
rendering to plain text and to escaped HTML paragraphs.

A template is plain text with placeholders written `{{ name }}`; nothing else is code (no
filters, tags, attribute lookups or loops), so whoever writes a template cannot reach any data
but the listed values. A template is checked when saved: an unknown placeholder or a stray
`{{`, `}}`, `{%` or `%}` is refused with the line it is on and the placeholder it names.
"""

import re
from collections.abc import Mapping

from django.utils.html import escape
from django.utils.translation import gettext as _

from .errors import ValidationFailed

Parts = list[tuple[str, str]]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_STRAY = re.compile(r"\{\{|\}\}|\{%|%\}")


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def placeholders_parse(text: str, *, known: Mapping[str, object], field: str) -> Parts:
    """Split `text` into ("text", piece) and ("name", placeholder) parts, or refuse it with a
    message naming the line and the problem (ValidationFailed on `field`). Only the names in
    `known` are placeholders."""
    parts: Parts = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        _check_plain(text, position, match.start(), field)
        name = match.group(1)
        if name not in known:
            raise ValidationFailed(
                _("Line %(line)s: there is no placeholder “%(name)s”. Use one of: %(known)s.")
                % {
                    "line": _line_of(text, match.start()),
                    "name": name,
                    "known": ", ".join(f"{{{{ {each} }}}}" for each in known),
                },
                field=field,
            )
        parts.append(("text", text[position : match.start()]))
        parts.append(("name", name))
        position = match.end()
    _check_plain(text, position, len(text), field)
    parts.append(("text", text[position:]))
    return [part for part in parts if part != ("text", "")]


def _check_plain(text: str, start: int, end: int, field: str) -> None:
    stray = _STRAY.search(text, start, end)
    if stray is None:
        return
    line = _line_of(text, stray.start())
    if stray.group() == "{{":
        message = _(
            "Line %(line)s: “{{” opens a placeholder that is not closed with “}}”, or holds "
            "more than a placeholder's name."
        )
    elif stray.group() == "}}":
        message = _("Line %(line)s: “}}” closes a placeholder that was never opened.")
    else:
        message = _(
            "Line %(line)s: “{%%” and “%%}” are not allowed; templates take placeholders only."
        )
    raise ValidationFailed(message % {"line": line}, field=field)


def placeholders_text(parts: Parts, values: Mapping[str, object]) -> str:
    """The parts as plain text (missing values are empty)."""
    return "".join(piece if kind == "text" else str(values.get(piece, "")) for kind, piece in parts)


def placeholders_html(parts: Parts, values: Mapping[str, object], *, link: str = "") -> str:
    """Paragraphs of escaped text: every template piece and every value goes through `escape`,
    so nothing anyone typed becomes markup. Only the placeholder named `link` (when given)
    becomes a link, to its own value."""
    out: list[str] = []
    for kind, piece in parts:
        if kind == "text":
            out.append(escape(piece))
        elif link and piece == link and values.get(link):
            url = escape(str(values[link]))
            out.append(f'<a href="{url}">{url}</a>')
        else:
            out.append(escape(str(values.get(piece, ""))))
    html = "".join(out).replace("\r\n", "\n")
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", html) if p.strip()]
    return "\n".join(f"<p>{p.replace(chr(10), '<br>' + chr(10))}</p>" for p in paragraphs)
