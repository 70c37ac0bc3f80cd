"""Article text: Markdown rendered to HTML and sanitised with nh3 (nothing that acts survives),
plain text for search and snippets, and the escaped line diff between two revisions."""

import difflib
import html

import markdown  # type: ignore[import-untyped]
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(text: str) -> SafeString:
    """The article's Markdown as safe HTML: raw HTML in the source is escaped by the sanitiser's
    allow-list, links get rel="noopener noreferrer nofollow"."""
    raw = markdown.markdown(
        text or "", extensions=["fenced_code", "tables", "sane_lists"], output_format="html"
    )
    cleaned = nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3's output, allow-list above


def plain_text(text: str) -> str:
    """The article's text without markup (for search and snippets)."""
    return html.unescape(nh3.clean(render_markdown(text), tags=set())).strip()


def revision_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line diff of two texts as (kind, line): kind is "add", "del", "same" or "gap"; the lines
    are plain strings the template escapes."""
    rows: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), lineterm="", n=2
    ):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            rows.append(("gap", "…"))
        elif line.startswith("+"):
            rows.append(("add", line[1:]))
        elif line.startswith("-"):
            rows.append(("del", line[1:]))
        else:
            rows.append(("same", line[1:]))
    return rows
