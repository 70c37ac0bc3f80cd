"""HTML from mail made safe to show (nh3), and the conversions between mail HTML and plain text.

The sanitiser keeps what a letter needs to look like a letter (text formatting, tables, links,
images) and removes everything that acts: scripts, event handlers, forms, frames, `<base>`,
`javascript:` and non-image `data:` URLs, and CSS that could leave its box or fetch something.
Image sources are kept as they came (`cid:`, `https:`): `render_mail_html` decides per view
which of them load.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import nh3

from helpline.mail.quoting import QUOTE_CLASSES, QUOTE_IDS

TAGS = {
    "a", "abbr", "acronym", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption",
    "center", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
}  # fmt: skip
# Removed with everything inside them (the rest of unknown tags keep their text).
DROP_WITH_CONTENT = {"script", "style", "title", "head", "template", "noscript", "object",
                     "embed", "applet", "iframe", "frame", "frameset", "svg", "math", "select",
                     "textarea", "button", "xml"}  # fmt: skip
# No `class` or `id` but the mail clients' quote markers (quoting.fold_html folds on them): a
# sender's class could borrow the page's own (`fixed-top`) and an id could shadow its elements.
ATTRIBUTES = {
    "*": {"style", "title", "dir", "lang", "align", "valign"},
    "div": {"id"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor", "summary"},
    "td": {"width", "height", "colspan", "rowspan", "bgcolor", "nowrap"},
    "th": {"width", "height", "colspan", "rowspan", "bgcolor", "nowrap", "scope"},
    "tr": {"bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "blockquote": {"cite", "type"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid", "tel", "data"}
# Properties that can neither fetch anything (no url() values) nor move a box out of its place
# (no position, margin, transform, z-index, display, float).
STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-variant", "font-weight", "text-align", "text-decoration", "text-indent",
    "text-transform", "line-height", "letter-spacing", "word-spacing", "white-space",
    "vertical-align", "direction", "padding", "padding-top", "padding-right", "padding-bottom",
    "padding-left", "border", "border-top", "border-right", "border-bottom", "border-left",
    "border-color", "border-style", "border-width", "border-collapse", "border-spacing",
    "border-radius", "width", "max-width", "min-width", "height", "max-height", "min-height",
    "table-layout", "caption-side", "empty-cells", "list-style-type", "list-style-position",
    "word-wrap", "overflow-wrap", "word-break",
}  # fmt: skip
_ABSOLUTE = re.compile(r"^(https?:|//|mailto:|tel:|cid:|data:)")
_SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpe?g|webp|bmp);base64,[a-z0-9+/=\s]*$", re.I)
_STYLE_DANGER = re.compile(r"url\s*\(|expression|javascript|\\|/\*|@import|behavior|-moz-binding")


CLASSES = {tag: set(QUOTE_CLASSES) for tag in ("div", "blockquote", "span", "table")}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if value in QUOTE_IDS else None
    if attribute in {"href", "src", "cite"}:
        stripped = value.strip()
        if stripped.lower().startswith("data:"):
            # data: only as a picture in an image; never a document or SVG (both run scripts).
            return stripped if tag == "img" and _SAFE_DATA_IMAGE.match(stripped) else None
        return value
    if attribute == "style":
        kept = [d for d in value.split(";") if d.strip() and not _STYLE_DANGER.search(d.lower())]
        return "; ".join(d.strip() for d in kept) or None
    return value


MAX_DEPTH = 200
_MANY_TAGS = 10_000


class _DepthLimiter(HTMLParser):
    """Drops start tags nested deeper than MAX_DEPTH (and their end tags). The HTML5 tree
    builder under nh3 checks the stack of open elements at each tag, so thousands of unclosed
    tags take quadratic time; no letter nests 200 deep."""

    _VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.dropped: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._VOID:
            self.out.append(self.get_starttag_text() or "")
        elif len(self.stack) >= MAX_DEPTH:
            self.dropped[tag] = self.dropped.get(tag, 0) + 1
        else:
            self.stack.append(tag)
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.dropped.get(tag):
            self.dropped[tag] -= 1
            return
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        pass  # comments are dropped by the sanitiser anyway


# Start tags that never deepen the tree (void, or closed by the next of their kind).
_OPENING = re.compile(
    r"<(?!/|!|(?:br|img|hr|p|li|td|th|tr|option|meta|input|col|wbr|link)\b)", re.I
)


def _limit_depth(html: str) -> str:
    if html.count("<") < _MANY_TAGS:
        return html
    if len(_OPENING.findall(html)) - html.count("</") < _MANY_TAGS // 5:
        return html  # as many closed as opened: no deep nesting to fear
    limiter = _DepthLimiter()
    try:
        limiter.feed(html)
        limiter.close()
    except Exception:  # noqa: BLE001 - then the text alone, escaped by the sanitiser
        return re.sub(r"<[^>]*>?", " ", html)
    return "".join(limiter.out)


def sanitize_html(html: str) -> str:
    """Mail HTML with everything that could act removed (see the module docstring)."""
    if not html:
        return ""
    return nh3.clean(
        _limit_depth(html),
        tags=TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        allowed_classes=CLASSES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
        # A relative URL in a letter means nothing here and would point at our own pages.
        url_relative="deny",
    )


def render_mail_html(
    html: str, *, cid_url: Callable[[str], str | None], load_remote: bool
) -> tuple[str, int]:
    """Sanitised HTML ready for a page: `cid:` images point at their stored attachments (or
    disappear), remote images are left out unless `load_remote`. Returns the HTML and how many
    remote images were held back."""
    blocked = 0

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        lowered = value.strip().lower()
        if attribute in {"href", "src", "cite"} and not _ABSOLUTE.match(lowered):
            return None  # only the stored files below are ours to point at
        if tag == "img" and attribute == "src":
            if lowered.startswith("cid:"):
                return cid_url(value.strip()[4:].strip("<>"))
            if lowered.startswith(("http:", "https:", "//")):
                if load_remote:
                    return value
                blocked += 1
                return None
        return _attribute_filter(tag, attribute, value)

    rendered = nh3.clean(
        _limit_depth(html),
        tags=TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=rewrite,
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        allowed_classes=CLASSES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return rendered, blocked


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (escaped), for a mail that mixes text and HTML parts."""
    from django.utils.html import escape

    return "<div>" + escape(text).replace("\n", "<br>\n") + "</div>"


_BLOCKS = {
    "p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
    "blockquote", "hr", "dl", "dt", "dd", "center", "address", "section", "article",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "math", "xml"}


class _TextExtractor(HTMLParser):
    """HTML to plain text: blocks become lines, quotes get "> " prefixes so quote folding works
    on text derived from HTML too, link targets are kept after their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote = 0
        self.skip = 0
        self.pre = 0
        self.href: list[str | None] = []

    def _flush(self) -> None:
        line = "".join(self.current)
        if not self.pre:
            line = re.sub(r"[ \t\r\n\f\u00a0]+", " ", line).strip()
        prefix = "> " * self.quote
        for piece in line.split("\n") if self.pre else [line]:
            self.lines.append((prefix + piece).rstrip() if piece or prefix else "")
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self._flush()
        elif tag in _BLOCKS or tag == "li":
            if self.current:
                self._flush()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.current.append("- ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
        elif tag in {"td", "th"}:
            self.current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS or tag == "li":
            self._flush()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.href:
            href = self.href.pop()
            text = "".join(self.current)
            if href and href.startswith(("http:", "https:")) and href not in text:
                self.current.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.current.append(data)

    def text(self) -> str:
        self._flush()
        out: list[str] = []
        for line in self.lines:
            if line.strip("> ") or (out and out[-1].strip("> ")):
                out.append(line)
        return "\n".join(out).strip("\n")


FAST_TEXT_CHARS = 1_000_000
_BLOCK_END = re.compile(
    r"<br\s*/?>|</(?:p|div|tr|li|h[1-6]|blockquote|table|pre|dd|dt|ul|ol)\s*>", re.IGNORECASE
)


def _fast_text(html: str) -> str:
    """The text of a very large document in linear time in Rust (nh3), keeping line breaks at
    block ends but not the finer structure (list dashes, quote marks)."""
    import html as html_lib

    # A line break before each block's end, the end tag kept: removing end tags would leave
    # every block open, nested ever deeper (quadratic for the tree builder).
    marked = _BLOCK_END.sub(lambda match: "\n" + match.group(0), _limit_depth(html))
    stripped = nh3.clean(marked, tags=set(), clean_content_tags=DROP_WITH_CONTENT)
    lines = (re.sub(r"[ \t\f\u00a0]+", " ", line).strip() for line in stripped.split("\n"))
    text = html_lib.unescape("\n".join(lines))
    return re.sub(r"\n{2,}", "\n", text).strip("\n")


def html_to_text(html: str) -> str:
    """Plain text from HTML, for search, notifications and the portal."""
    if not html:
        return ""
    if len(html) > FAST_TEXT_CHARS:
        return _fast_text(html)
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient; keep whatever it gathered
        return parser.text()
    return parser.text()
