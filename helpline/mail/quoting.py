"""Quoted history and signatures in mail, found so the page can fold them ("show quoted text").

Plain text: `split_text` cuts a message into what the sender wrote, quoted history (top-posted
under a quote header such as "On … wrote:", "Den … skrev …:", "… пишет:", Outlook's
"From:/Sent:" block, or inline "> " runs between answers) and the signature ("-- ", "Sent from
my iPhone"). HTML: `fold_html` wraps the quoted parts of sanitised HTML in `<details>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import Literal

Kind = Literal["text", "quote", "signature"]


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str


# A line that introduces quoted history. Mail clients write these in the reader's language;
# English, Norwegian and Russian (and the German/Swedish ones Norwegians often get) are covered.
_QUOTE_HEADERS = [
    # Gmail, Apple Mail, Thunderbird: "On Mon, 1 Dec 2025 at 10:00, Ann <ann@x.org> wrote:"
    r"^(on|am|le|il|el)\b.{4,300}\b(wrote|schrieb|a écrit|ha scritto|escribió)\s*:\s*$",
    # Norwegian/Danish/Swedish: "Den 1. des. 2025 kl. 10:00 skrev Ola <ola@x.no>:",
    # "man. 1. des. 2025 kl. 10:00 skrev Ola Nordmann <ola@x.no>:"
    r"^.{0,200}\b(skrev|skreiv|skrev følgende)\b.{0,200}:\s*$",
    # Russian: "1 декабря 2025 г., в 10:00, Иван <ivan@x.ru> написал(а):", "… пишет:"
    r"^.{0,300}(написал\(а\)|написала|написал|пишет|писал\(а\)|писала|писал)\s*:\s*$",
    # Gmail in Russian puts no verb: "пн, 1 дек. 2025 г. в 10:00, Иван <ivan@x.ru>:"
    r"^.{0,200}\d.{0,200}<[^<>@\s]+@[^<>\s]+>\s*:\s*$",
    # Outlook and friends.
    r"^-{2,}\s*(original message|opprinnelig melding|original melding|исходное сообщение|"
    r"ursprüngliche nachricht|ursprungligt meddelande|message d'origine)\s*-{2,}\s*$",
    r"^_{20,}\s*$",
]
_QUOTE_HEADER = re.compile("|".join(f"(?:{p})" for p in _QUOTE_HEADERS), re.IGNORECASE)
# Outlook's header block: "From: … / Sent: … / To: … / Subject: …" in the reader's language.
_OUTLOOK_FROM = re.compile(r"^\*?(from|fra|от|von|från)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\*?(sent|date|to|cc|subject|sendt|dato|til|kopi|emne|отправлено|дата|кому|копия|тема|"
    r"gesendet|an|betreff|skickat|till|ämne)\s*:\*?",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^-{2,}\s*(forwarded message|videresendt melding|пересылаемое сообщение|"
    r"пересланное сообщение|weitergeleitete nachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_SIGNATURE_MOBILE = re.compile(
    r"^(sent from my|sendt fra min|sendt fra mi|отправлено с|отправлено из|"
    r"von meinem|skickat från min|get outlook for|hent outlook for)\b.{0,60}$",
    re.IGNORECASE,
)
_MAX_SIGNATURE_LINES = 12


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _outlook_block_at(lines: list[str], index: int) -> bool:
    """An Outlook header block starts here: "From:" and two more header fields soon after."""
    if not _OUTLOOK_FROM.match(lines[index].strip()):
        return False
    fields = sum(1 for line in lines[index + 1 : index + 7] if _OUTLOOK_FIELD.match(line.strip()))
    return fields >= 2


def _quote_header_at(lines: list[str], index: int) -> int:
    """How many lines a quote header starting at `index` spans (0: none). Some clients wrap
    "On …, Ann <ann@x.org> wrote:" onto two lines."""
    line = lines[index].strip()
    if not line or _is_quoted(line) or len(line) > 1000:
        return 0  # quote headers are short; long lines never reach the patterns
    if _QUOTE_HEADER.match(line):
        return 1
    if index + 1 < len(lines):
        joined = f"{line} {lines[index + 1].strip()}"
        if lines[index + 1].strip() and _QUOTE_HEADER.match(joined) and len(joined) < 400:
            return 2
    if _outlook_block_at(lines, index):
        return 1
    return 0


def split_text(text: str) -> list[Block]:
    """The text cut into blocks (consecutive blocks never share a kind)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kinds: list[Kind] = ["text"] * len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FORWARD.match(line.strip()):
            break  # a forwarded message is the content, never folded
        span = _quote_header_at(lines, i)
        if span:
            rest = lines[i + span :]
            first = next((item for item in rest if item.strip()), "")
            # Above "> " lines the header belongs to that run (inline answers may follow);
            # otherwise (Outlook, clients that do not mark quotes) all below is history.
            end = i + span + _run(rest) if _is_quoted(first) else len(lines)
            for k in range(i, end):
                kinds[k] = "quote"
            i = end
            continue
        if _is_quoted(line):
            end = i + _run(lines[i:])
            for k in range(i, end):
                kinds[k] = "quote"
            i = end
            continue
        i += 1
    _mark_signature(lines, kinds)
    return _blocks(lines, kinds)


def _run(lines: list[str]) -> int:
    """Length of the run of quoted (or blank between quoted) lines at the start of `lines`."""
    n = 0
    last_quoted = 0
    for n, line in enumerate(lines, 1):  # noqa: B007
        if _is_quoted(line):
            last_quoted = n
        elif line.strip():
            break
    return last_quoted


def _mark_signature(lines: list[str], kinds: list[Kind]) -> None:
    # The last stretch of the sender's own text that starts with "-- " (RFC 3676 delimiter) or
    # is a mobile client's line.
    for i in range(len(lines) - 1, -1, -1):
        if kinds[i] != "text":
            continue
        stripped = lines[i].rstrip("\r")
        if stripped in {"-- ", "--"} or _SIGNATURE_MOBILE.match(stripped.strip()):
            end = i
            while end < len(lines) and kinds[end] == "text":
                end += 1
            if end - i <= _MAX_SIGNATURE_LINES and any(k == "text" for k in kinds[:i]):
                for k in range(i, end):
                    kinds[k] = "signature"
            return


def _blocks(lines: list[str], kinds: list[Kind]) -> list[Block]:
    blocks: list[Block] = []
    start = 0
    for i in range(1, len(lines) + 1):
        if i == len(lines) or kinds[i] != kinds[start]:
            chunk = "\n".join(lines[start:i])
            if blocks and not chunk.strip():
                # Blank lines join the block before them.
                blocks[-1] = Block(blocks[-1].kind, blocks[-1].text + "\n" + chunk)
            elif blocks and blocks[-1].kind == kinds[start]:
                blocks[-1] = Block(kinds[start], blocks[-1].text + "\n" + chunk)
            else:
                blocks.append(Block(kinds[start], chunk))
            start = i
    return [Block(b.kind, b.text.strip("\n")) for b in blocks if b.text.strip()] or [
        Block("text", "")
    ]


def visible_text(text: str) -> str:
    """What the sender wrote, without quoted history and signature (notifications, previews)."""
    kept = [b.text for b in split_text(text) if b.kind == "text"]
    return "\n\n".join(kept).strip() or text.strip()


# --- HTML ----------------------------------------------------------------------------------

# Elements that start quoted history in HTML mail. The sanitiser keeps exactly these classes and
# ids (see sanitize.QUOTE_CLASSES / QUOTE_IDS) so folding works on sanitised HTML.
QUOTE_CLASSES = {
    "gmail_quote",
    "gmail_quote_container",
    "yahoo_quoted",
    "protonmail_quote",
    "zmail_extra",
    "OutlookMessageHeader",
}
QUOTE_IDS = {"divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container"}
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Folder(HTMLParser):
    """Rewrites well-formed (sanitised) HTML: the first quote marker at a level opens a
    `<details>` that closes with its parent element, so nesting stays valid."""

    def __init__(self, label: str) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.label = label
        self.stack: list[str] = []
        self.fold_depth: int | None = None  # the stack depth whose end closes the fold
        # Outlook's header div is followed by the history as siblings: the fold ends with the
        # parent. Gmail's quote div and a blockquote hold the history: it ends with them.
        self.to_parent = False

    @staticmethod
    def _marker(tag: str, attrs: list[tuple[str, str | None]]) -> str | None:
        values = dict(attrs)
        if (values.get("id") or "") in QUOTE_IDS:
            return "parent"
        classes = set((values.get("class") or "").split())
        if classes & QUOTE_CLASSES or tag == "blockquote":
            return "self"
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marker = self._marker(tag, attrs) if self.fold_depth is None else None
        if marker and tag not in _VOID:
            self.fold_depth = len(self.stack)
            self.to_parent = marker == "parent"
            self.out.append(f'<details class="hl-quote"><summary>{escape(self.label)}</summary>')
        self.out.append(self.get_starttag_text() or "")
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag in self.stack:
            while self.stack:
                top = self.stack.pop()
                if self.fold_depth is not None and len(self.stack) < self.fold_depth:
                    self.out.append("</details>")
                    self.fold_depth = None
                self.out.append(f"</{top}>")
                if (
                    self.fold_depth is not None
                    and not self.to_parent
                    and len(self.stack) == self.fold_depth
                ):
                    self.out.append("</details>")
                    self.fold_depth = None
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def result(self) -> str:
        while self.stack:
            top = self.stack.pop()
            if self.fold_depth is not None and len(self.stack) < self.fold_depth:
                self.out.append("</details>")
                self.fold_depth = None
            self.out.append(f"</{top}>")
        if self.fold_depth is not None:
            self.out.append("</details>")
        return "".join(self.out)


def fold_html(html: str, label: str) -> str:
    """Sanitised HTML with its quoted history inside `<details><summary>label</summary>`."""
    folder = _Folder(label)
    try:
        folder.feed(html)
        folder.close()
    except Exception:  # noqa: BLE001 - folding is a nicety: unfolded HTML is still safe
        return html
    return folder.result()
