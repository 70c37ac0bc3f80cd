"""Raw RFC 5322 bytes to a `ParsedMail`: decoded headers, plain text, sanitised HTML, attachments.

Real-world mail is broken in every way a format can be: wrong or unknown charsets, 8-bit bytes
where 7-bit was promised, boundaries that never close, names with path separators in them. The
parser takes the message structure from the standard library's tolerant `compat32` parser (it
never refuses input) and decodes headers, parameters and bodies itself, so one bad header or part
costs that header or part, never the message. Only input with nothing usable in it (empty, or no
header fields at all) raises `UnparseableMail`; the caller quarantines it.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.message
import email.parser
import email.policy
import email.utils
import hashlib
import html as html_lib
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from helpline.mail.sanitize import html_to_text, sanitize_html, text_to_html

# Bounds: a message may be hostile. Parts past MAX_PARTS or below MAX_DEPTH are not looked at
# (a defect says so); bodies longer than MAX_BODY_CHARS are cut.
MAX_PARTS = 1000
MAX_DEPTH = 40
MAX_BODY_CHARS = 2_000_000
MAX_HTML_CHARS = 5_000_000
MAX_HEADERS = 1000
MAX_HEADER_CHARS = 16_000
MAX_FILENAME_CHARS = 120
MAX_REFERENCES = 500
# Detecting a charset looks at this much of the data; the decision applies to all of it.
DETECT_SAMPLE = 64 * 1024

# Reasons an attachment's data was not kept (`ParsedAttachment.refused`).
REFUSED_TOO_LARGE = "too_large"
REFUSED_TOO_MANY_PARTS = "too_many_parts"
REFUSED_LABELS = {
    REFUSED_TOO_LARGE: _("larger than the size limit"),
    REFUSED_TOO_MANY_PARTS: _("too many parts in the message"),
}


class _Policy(email.policy.Compat32):
    """compat32 (the tolerant parser) that hands out at most MAX_HEADER_CHARS of a header: the
    library re-parses a header's parameters on every lookup, and a megabyte of them would make
    each lookup take seconds."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return str(super().header_fetch_parse(name, value[:MAX_HEADER_CHARS]))


POLICY = _Policy()


class UnparseableMail(Exception):
    """Nothing usable could be had from the bytes; `reason` says why (for the quarantine)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Address(NamedTuple):
    name: str
    address: str  # validated; the domain lower-cased


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # a safe display name, never a path; the stored name is the server's
    content_type: str
    data: bytes | None  # None when refused
    size: int
    content_id: str | None = None  # without <>
    inline: bool = False
    refused: str | None = None  # REFUSED_* code


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    date: datetime | None
    from_: list[Address]
    sender: Address | None
    reply_to: list[Address]
    to: list[Address]
    cc: list[Address]
    headers: list[tuple[str, str]]
    text: str
    html: str | None  # already sanitised
    attachments: list[ParsedAttachment]
    signed: bool = False
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first header called `name` (case-insensitive), decoded, or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


# --- charsets -------------------------------------------------------------------------------

# Labels mail clients write that Python does not know, or knows as something narrower than what
# the senders meant (the WHATWG encoding standard makes the same substitutions).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "koi8-u": "koi8-u",
    "unicode-1-1-utf-7": "utf-7",
}
# Python codecs that would turn text into something else (compression, rot13, hex...).
_NOT_TEXT_CODECS = {"base64", "bz2", "hex", "quopri", "rot13", "uu", "zlib", "punycode", "idna"}


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when it is unknown or not a text codec."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    if name in _NOT_TEXT_CODECS or name.endswith("_codec"):
        return None
    return name


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in a declared charset that may be missing, unknown or a lie.

    A declared charset is tried first (strictly); bytes that are not valid in it, or that come
    with no usable declaration, are tried as UTF-8, then detected. Never raises."""
    if not data:
        return ""
    codec = _codec(charset)
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    if codec != "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    guess = _detect(data)
    if guess:
        try:
            return data.decode(guess, errors="replace")
        except (LookupError, ValueError):
            pass
    return data.decode(codec or "cp1252", errors="replace")


def _detect(data: bytes) -> str | None:
    if data.isascii():
        return "ascii"
    if sum(byte > 0x7F for byte in data[:DETECT_SAMPLE]) < 4:
        return None  # a stray accented letter: too little to tell charsets apart
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        best = from_bytes(data[:DETECT_SAMPLE]).best()
    except Exception:  # noqa: BLE001 - a detector's bug must not cost the message
        return None
    return _codec(best.encoding) if best is not None else None


_SURROGATE = re.compile("[\udc80-\udcff]")


def _unsurrogate(text: str) -> str:
    """Header text from the bytes parser carries raw 8-bit bytes as surrogates: decode them."""
    if not _SURROGATE.search(text):
        return text
    try:
        raw = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8", errors="replace")
    return decode_bytes(raw)


# --- headers --------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?([^?\s]*)\?=")
_SPACE_BETWEEN_WORDS = re.compile(r"(\?=)\s+(?==\?[^?\s]*\?[bBqQ]\?)")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]")
_FOLDING = re.compile(r"\r?\n[ \t]|\r[ \t]")


def decode_header_text(value: str) -> str:
    """A header value unfolded, RFC 2047 words decoded (any charset, broken ones too), raw 8-bit
    bytes decoded, and control characters (CR and LF above all) turned into spaces."""
    value = _unsurrogate(value[:MAX_HEADER_CHARS])
    value = _FOLDING.sub(" ", value)
    if "=?" in value:
        value = _SPACE_BETWEEN_WORDS.sub(r"\1", value)
        value = _decode_words(value)
    value = _CONTROL.sub(" ", value.replace("\t", " "))
    return value.strip()


def _decode_words(value: str) -> str:
    """RFC 2047 words decoded; adjacent words in one charset are joined before decoding, since
    many clients split a multi-byte character across two words."""
    out: list[str] = []
    pending: tuple[str, bytes] | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            out.append(decode_bytes(pending[1], pending[0]))
            pending = None

    for match in _ENCODED_WORD.finditer(value):
        if match.start() != pos:
            flush()
            out.append(value[pos : match.start()])
        pos = match.end()
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 language: utf-8*en
        raw = _word_bytes(match.group(2), match.group(3))
        if raw is None:
            flush()
            out.append(match.group(0))
        elif pending is not None and pending[0] == charset:
            pending = (charset, pending[1] + raw)
        else:
            flush()
            pending = (charset, raw)
    flush()
    out.append(value[pos:])
    return "".join(out)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    if encoding in "bB":
        payload = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        if len(payload) % 4 == 1:
            payload = payload[:-1]  # a dangling sextet carries no whole byte
        payload += "=" * (-len(payload) % 4)
        try:
            return binascii.a2b_base64(payload)
        except (binascii.Error, ValueError):
            return None
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)


def _raw_header(part: Message, name: str) -> str | None:
    return next((str(v) for k, v in part.raw_items() if k.lower() == name), None)


def _param(part: Message, name: str, header: str) -> str | None:
    """A header parameter, RFC 2231 (with continuations and charset) or RFC 2047 encoded, or raw
    8-bit (decoded before the parameters are split, which the library would otherwise mangle)."""
    raw = _raw_header(part, header)
    if raw is None:
        return None
    holder = Message()
    holder[header] = _unsurrogate(raw[:MAX_HEADER_CHARS])
    try:
        value = holder.get_param(name, header=header)
    except Exception:  # noqa: BLE001 - malformed parameters: as if absent
        return None
    if value is None or value == "":
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        text = text.strip('"')
        try:
            data = text.encode("latin-1", errors="surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", errors="surrogateescape")
        return decode_header_text(decode_bytes(data, charset))
    if not isinstance(value, str):
        return None
    return decode_header_text(email.utils.unquote(value))


_EMAIL_VALIDATOR = EmailValidator()


def _address(name: str, address: str) -> Address | None:
    address = decode_header_text(address).strip().strip("<>").strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    if "@" not in address or len(address) > 254:
        return None
    local, _at, domain = address.rpartition("@")
    domain = domain.strip().rstrip(".").lower()
    address = f"{local}@{domain}"
    try:
        _EMAIL_VALIDATOR(address)
    except ValidationError:
        return None
    name = decode_header_text(name).strip().strip("\"'").strip()
    return Address(name=name, address=address)


def _addresses(values: list[str], defects: list[str], header: str) -> list[Address]:
    found: list[Address] = []
    for raw in values:
        decoded_whole = _unsurrogate(raw[:MAX_HEADER_CHARS])
        decoded_whole = _FOLDING.sub(" ", decoded_whole)
        # Display names are decoded after splitting, so an encoded comma cannot split an address.
        try:
            pairs = email.utils.getaddresses([decoded_whole])
        except Exception:  # noqa: BLE001
            pairs = []
        bad = False
        for name, address in pairs:
            if not address and not name:
                continue
            parsed = _address(name, address)
            if parsed is None:
                bad = True
            elif parsed not in found:
                found.append(parsed)
        if bad or (decoded_whole.strip() and not pairs):
            defects.append(f"invalid address in {header}")
    return found


_MSGID = re.compile(r"<([^<>\s]+)>")


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    ids = _MSGID.findall(value)
    if not ids:
        # Some clients drop the angle brackets.
        ids = [token for token in value.split() if "@" in token]
    seen: list[str] = []
    for item in ids:
        item = item.strip()[:998]
        if item and item not in seen:
            seen.append(item)
    return seen


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("unreadable Date")
        return None
    if parsed is None:
        defects.append("unreadable Date")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- attachment names -----------------------------------------------------------------------

_BIDI_AND_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\u00ad\u034f\u061c\u180e]"
)
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A display name from a name a sender chose: no path (either separator), no control, bidi or
    invisible characters, no leading dots, not over-long (the extension is kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
        for ch in _BIDI_AND_INVISIBLE.sub("", name)
    )
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if not name or _WINDOWS_RESERVED.match(name):
        name = f"{fallback}-{name}" if name else fallback
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 2] + "…." + ext
        else:
            name = name[: MAX_FILENAME_CHARS - 1] + "…"
    return name


_EXTENSIONS = {
    "text/plain": "txt",
    "text/html": "html",
    "text/calendar": "ics",
    "message/rfc822": "eml",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "application/ms-tnef": "dat",
}


# --- the walk -------------------------------------------------------------------------------


class _Body(NamedTuple):
    text: str | None
    html: str | None  # raw, sanitised once at the end


@dataclass
class _Walk:
    max_attachment_bytes: int | None
    parts: int = 0
    signed: bool = False
    attachments: list[ParsedAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def defect(self, text: str) -> None:
        if text not in self.defects and len(self.defects) < 100:
            self.defects.append(text)


def _payload_bytes(part: Message) -> bytes:
    """The decoded content of a leaf part; unreadable transfer encodings give the raw bytes."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("ascii", errors="surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    text = decode_bytes(_payload_bytes(part), part.get_content_charset())
    # NUL never reaches storage (PostgreSQL refuses it in text).
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text[: MAX_HTML_CHARS + 1]  # one more: the caller can tell it was cut


def unflow(text: str, *, delsp: bool = False) -> str:
    """RFC 3676 format=flowed text as the sender typed it: soft line breaks (a trailing space)
    joined, space-stuffing removed, quote depth kept ("> " per level)."""
    out: list[str] = []
    pending: tuple[int, str] | None = None  # (quote depth, text so far) of an open paragraph
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # stuffing (or the space after the quote marks)
        if content == "-- ":  # the signature separator is never flowed
            if pending is not None:
                out.append(">" * pending[0] + (" " if pending[0] else "") + pending[1])
                pending = None
            out.append(">" * depth + (" " if depth else "") + content)
            continue
        if pending is not None and pending[0] == depth:
            content = pending[1] + content
        elif pending is not None:
            out.append(">" * pending[0] + (" " if pending[0] else "") + pending[1])
        pending = None
        if content.endswith(" "):
            pending = (depth, content[:-1] if delsp else content)
        else:
            out.append(">" * depth + (" " if depth and content else "") + content)
    if pending is not None:
        out.append(">" * pending[0] + (" " if pending[0] else "") + pending[1].rstrip())
    return "\n".join(out)


def _disposition(part: Message) -> str:
    try:
        value = part.get("Content-Disposition")
    except Exception:  # noqa: BLE001
        return ""
    if not value:
        return ""
    return str(value).split(";", 1)[0].strip().lower()


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "text/plain"


def _filename(part: Message) -> str | None:
    return _param(part, "filename", "content-disposition") or _param(part, "name", "content-type")


def _content_id(part: Message) -> str | None:
    value = part.get("Content-ID")
    if not value:
        return None
    cid = decode_header_text(str(value)).strip().strip("<>").strip()
    return cid[:250] or None


def _attach(
    walk: _Walk,
    part: Message | None,
    *,
    content_type: str,
    data: bytes,
    filename: str | None,
    inline: bool = False,
) -> None:
    ext = _EXTENSIONS.get(content_type, "txt" if content_type.startswith("text/") else "bin")
    fallback = "message" if content_type == "message/rfc822" else "attachment"
    name = safe_filename(filename, fallback=fallback)
    if name == fallback:
        name = f"{fallback}.{ext}"
    cid = _content_id(part) if part is not None else None
    refused = None
    if walk.max_attachment_bytes is not None and len(data) > walk.max_attachment_bytes:
        refused = REFUSED_TOO_LARGE
    walk.attachments.append(
        ParsedAttachment(
            filename=name,
            content_type=content_type,
            data=None if refused else data,
            size=len(data),
            content_id=cid,
            inline=inline or bool(cid and _disposition(part) != "attachment" if part else False),
            refused=refused,
        )
    )


def _join(bodies: list[_Body]) -> _Body:
    bodies = [b for b in bodies if b.text is not None or b.html is not None]
    if not bodies:
        return _Body(None, None)
    if len(bodies) == 1:
        return bodies[0]
    texts = [b.text if b.text is not None else html_to_text(b.html or "") for b in bodies]
    text = "\n\n".join(t for t in texts if t.strip())
    html = None
    if any(b.html is not None for b in bodies):
        html = "\n".join(
            b.html if b.html is not None else text_to_html(b.text or "") for b in bodies
        )
    return _Body(text, html)


def _walk(part: Message, walk: _Walk, depth: int) -> _Body:
    walk.parts += 1
    if walk.parts > MAX_PARTS:
        walk.defect(f"more than {MAX_PARTS} parts: the rest were not read")
        return _Body(None, None)
    if depth > MAX_DEPTH:
        walk.defect(f"nested deeper than {MAX_DEPTH}: the inner parts were not read")
        return _Body(None, None)
    content_type = _content_type(part)
    maintype = content_type.split("/", 1)[0]
    payload = part.get_payload()

    if maintype == "multipart" and isinstance(payload, list):
        children = [child for child in payload if isinstance(child, Message)]
        return _walk_multipart(part, content_type, children, walk, depth)
    if content_type == "message/rfc822" and isinstance(payload, list) and payload:
        if isinstance(payload[0], Message):
            return _walk_forwarded(part, payload[0], walk, depth)

    disposition = _disposition(part)
    filename = _filename(part)
    if isinstance(payload, list):
        # message/delivery-status and the like: blocks of header fields; a person reads them.
        blocks = [
            "\n".join(f"{k}: {decode_header_text(str(v))}" for k, v in block.raw_items())
            for block in payload
            if isinstance(block, Message)
        ]
        return _Body("\n\n".join(b for b in blocks if b), None)
    if maintype == "multipart":
        # No boundary found: the body is one block of text.
        walk.defect("multipart without its parts")
        return _Body(_part_text(part), None)
    if content_type == "text/rfc822-headers" and disposition != "attachment":
        return _Body(_part_text(part).strip(), None)  # a bounce's copy of what failed
    if content_type in {"text/plain", "text/html"} and disposition != "attachment" and not filename:
        text = _part_text(part)
        if content_type == "text/html":
            if len(text) > MAX_HTML_CHARS:
                walk.defect("HTML longer than the limit: cut")
            return _Body(None, text[:MAX_HTML_CHARS])
        if (_param(part, "format", "content-type") or "").lower() == "flowed":
            delsp = (_param(part, "delsp", "content-type") or "").lower() == "yes"
            text = unflow(text, delsp=delsp)
        return _Body(text, None)
    if content_type in {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
    }:
        walk.signed = True
        return _Body(None, None)
    data = _payload_bytes(part)
    if content_type in {"application/pkcs7-mime", "application/x-pkcs7-mime"}:
        inner = _smime_signed_content(data)
        if inner is not None:
            walk.signed = True
            try:
                message = email.message_from_bytes(inner, policy=POLICY)
            except Exception:  # noqa: BLE001
                message = None
            if message is not None:
                return _walk(message, walk, depth + 1)
        walk.defect("encrypted or unreadable S/MIME part")
    if content_type == "application/ms-tnef" or (filename or "").lower() == "winmail.dat":
        body = _tnef(data, walk)
        if body is not None:
            return body
    if content_type == "text/calendar":
        _attach(walk, part, content_type=content_type, data=data, filename=filename or "invite.ics")
        return _Body(_calendar_summary(decode_bytes(data, part.get_content_charset())), None)
    _attach(
        walk,
        part,
        content_type=content_type,
        data=data,
        filename=filename,
        inline=disposition == "inline" and maintype == "image",
    )
    return _Body(None, None)


def _walk_multipart(
    part: Message, content_type: str, children: list[Message], walk: _Walk, depth: int
) -> _Body:
    subtype = content_type.split("/", 1)[1]
    if subtype == "alternative":
        bodies = [_walk(child, walk, depth + 1) for child in children]
        text = next((b.text for b in bodies if b.text is not None), None)
        html = next((b.html for b in reversed(bodies) if b.html is not None), None)
        return _Body(text, html)
    if subtype == "related" and children:
        start = _param(part, "start", "content-type")
        root = children[0]
        if start:
            wanted = start.strip("<>")
            root = next((c for c in children if _content_id(c) == wanted), root)
        body = _walk(root, walk, depth + 1)
        for child in children:
            if child is not root:
                before = len(walk.attachments)
                _walk(child, walk, depth + 1)
                walk.attachments[before:] = [
                    _as_inline(a) if a.content_id else a for a in walk.attachments[before:]
                ]
        return body
    if subtype == "signed":
        walk.signed = True
    return _join([_walk(child, walk, depth + 1) for child in children])


def _as_inline(attachment: ParsedAttachment) -> ParsedAttachment:
    return ParsedAttachment(
        filename=attachment.filename,
        content_type=attachment.content_type,
        data=attachment.data,
        size=attachment.size,
        content_id=attachment.content_id,
        inline=True,
        refused=attachment.refused,
    )


def _walk_forwarded(part: Message, inner: Message, walk: _Walk, depth: int) -> _Body:
    """A forwarded message: shown in the body when inline, an .eml attachment when attached."""
    subject = decode_header_text(str(inner.get("Subject", "") or ""))
    if _disposition(part) == "attachment":
        try:
            data = inner.as_bytes(policy=email.policy.compat32)
        except Exception:  # noqa: BLE001
            data = _payload_bytes(part)
        filename = _filename(part) or (subject or "message") + ".eml"
        _attach(walk, part, content_type="message/rfc822", data=data, filename=filename)
        return _Body(None, None)
    lines = ["---------- Forwarded message ----------"]
    for header in ("From", "Date", "Subject", "To", "Cc"):
        value = inner.get(header)
        if value:
            lines.append(f"{header}: {decode_header_text(str(value))}")
    head = "\n".join(lines) + "\n\n"
    body = _walk(inner, walk, depth + 1)
    text = head + (body.text if body.text is not None else html_to_text(body.html or ""))
    html = None
    if body.html is not None:
        html = text_to_html(head) + body.html
    return _Body(text, html)


def _tnef(data: bytes, walk: _Walk) -> _Body | None:
    """winmail.dat from Outlook: its files become attachments, its body the text."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data)
        files = [(f.long_filename() or f.name, f.data) for f in tnef.attachments]
        html = getattr(tnef, "htmlbody", None)
        text = getattr(tnef, "body", None)
    except Exception:  # noqa: BLE001 - a bad winmail.dat stays an attachment
        walk.defect("unreadable TNEF (winmail.dat)")
        return None
    for name, content in files:
        if isinstance(name, bytes):
            name = decode_bytes(name)
        if isinstance(content, bytes):
            _attach(
                walk, None, content_type="application/octet-stream", data=content, filename=name
            )
    if isinstance(html, bytes):
        html = decode_bytes(html)
    if isinstance(text, bytes):
        text = decode_bytes(text)
    if isinstance(text, str):
        text = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if isinstance(html, str):
        html = html.replace("\x00", "")
    return _Body(text or None, html or None)


def _calendar_summary(ics: str) -> str:
    """The lines a person reads in an invitation: what, when, where."""
    ics = re.sub(r"\r?\n[ \t]", "", ics)
    wanted = {"SUMMARY": "", "DTSTART": "", "DTEND": "", "LOCATION": "", "ORGANIZER": ""}
    for line in ics.splitlines():
        key, _sep, value = line.partition(":")
        key = key.split(";", 1)[0].upper()
        if key in wanted and not wanted[key]:
            wanted[key] = value.replace("\\n", " ").replace("\\,", ",").replace("\\;", ";")
    labels = {
        "SUMMARY": "Invitation",
        "DTSTART": "Start",
        "DTEND": "End",
        "LOCATION": "Location",
        "ORGANIZER": "Organizer",
    }
    return "\n".join(f"{labels[k]}: {v.strip()}" for k, v in wanted.items() if v.strip())


def _smime_signed_content(data: bytes) -> bytes | None:
    """The signed content inside an opaque S/MIME (PKCS #7 SignedData) blob, or None."""
    try:
        from helpline.mail.pkcs7 import signed_content

        return signed_content(data)
    except Exception:  # noqa: BLE001
        return None


_CID_SRC = re.compile(r'src="cid:([^"]*)"', re.IGNORECASE)
CID_SHA256_PREFIX = "cid:sha256-"


def _name_inline_images(html: str, attachments: list[ParsedAttachment]) -> str:
    """`cid:` image sources name the content's SHA-256 instead (`cid:sha256-<hex>`): stored
    attachments keep their content's SHA-256 and a server-chosen name, so the page finds the
    image among the entry's own attachments without the original Content-ID."""
    by_cid = {
        a.content_id: hashlib.sha256(a.data).hexdigest()
        for a in attachments
        if a.content_id and a.data is not None
    }

    def replace(match: re.Match[str]) -> str:
        cid = html_lib.unescape(match.group(1)).strip().strip("<>")
        digest = by_cid.get(cid)
        return f'src="{CID_SHA256_PREFIX}{digest}"' if digest else match.group(0)

    return _CID_SRC.sub(replace, html)


# --- the entry point ------------------------------------------------------------------------

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")


def parse_message(raw: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMail:
    """The message in `raw`, decoded as far as it can be. Raises only `UnparseableMail`."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise UnparseableMail("not bytes")
    raw = bytes(raw)
    stripped = raw.lstrip()
    if not stripped:
        raise UnparseableMail("empty message")
    # An mbox "From " line before the headers (Postfix pipes may add it).
    if stripped.startswith(b"From "):
        stripped = stripped.split(b"\n", 1)[1] if b"\n" in stripped else b""
    if not _HEADER_LINE.match(stripped):
        raise UnparseableMail("no header fields: not an RFC 5322 message")
    try:
        return _parse(stripped, max_attachment_bytes)
    except UnparseableMail:
        raise
    except RecursionError:
        try:
            return _parse(stripped, max_attachment_bytes, headers_only=True)
        except Exception as exc:  # noqa: BLE001
            raise UnparseableMail(f"structure too deep to read: {type(exc).__name__}") from exc
    except Exception as exc:  # noqa: BLE001 - anything else: try the simplest reading
        try:
            return _parse(stripped, max_attachment_bytes, headers_only=True)
        except Exception:  # noqa: BLE001
            raise UnparseableMail(f"parser failure: {type(exc).__name__}: {exc}"[:500]) from exc


def _parse(raw: bytes, max_attachment_bytes: int | None, headers_only: bool = False) -> ParsedMail:
    parser = email.parser.BytesParser(policy=POLICY)
    message = parser.parsebytes(raw, headersonly=headers_only)
    walk = _Walk(max_attachment_bytes=max_attachment_bytes)
    if headers_only:
        walk.defect("structure could not be read: the body is shown as it came")
        _head, _sep, rest = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
        body = _Body(decode_bytes(rest[: MAX_BODY_CHARS * 2])[:MAX_BODY_CHARS], None)
    else:
        body = _walk(message, walk, 0)
    for defect in message.defects:
        walk.defect(type(defect).__name__)

    headers: list[tuple[str, str]] = []
    raw_items = list(message.raw_items())
    for name, value in raw_items[:MAX_HEADERS]:
        headers.append((decode_header_text(str(name))[:200], decode_header_text(str(value))))
    if len(raw_items) > MAX_HEADERS:
        walk.defect(f"more than {MAX_HEADERS} header fields: the rest were not read")
    if not headers:
        raise UnparseableMail("no header fields: not an RFC 5322 message")

    def raw_all(name: str) -> list[str]:
        return [str(v) for k, v in raw_items if k.lower() == name]

    def first(name: str) -> str | None:
        values = raw_all(name)
        return values[0] if values else None

    defects = walk.defects
    from_ = _addresses(raw_all("from"), defects, "From")
    senders = _addresses(raw_all("sender"), defects, "Sender")
    message_ids = _message_ids(first("message-id"))
    in_reply_to = _message_ids(first("in-reply-to"))
    references = _message_ids(" ".join(raw_all("references")))[-MAX_REFERENCES:]

    text = body.text
    source_html = body.html
    if source_html is not None and len(source_html) > MAX_HTML_CHARS:
        walk.defect("HTML longer than the limit: cut")
        source_html = source_html[:MAX_HTML_CHARS]
    html = sanitize_html(source_html) if source_html is not None else None
    if html and "cid:" in html:
        html = _name_inline_images(html, walk.attachments)
    if (text is None or not text.strip()) and html is not None:
        text = html_to_text(html)  # no text part, or an empty one beside the HTML
    text = text or ""
    if len(text) >= MAX_BODY_CHARS:
        walk.defect("body longer than the limit: cut")
    if not from_:
        walk.defect("no From address")

    return ParsedMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        subject=decode_header_text(first("subject") or ""),
        date=_date(first("date"), defects),
        from_=from_,
        sender=senders[0] if senders else None,
        reply_to=_addresses(raw_all("reply-to"), defects, "Reply-To"),
        to=_addresses(raw_all("to"), defects, "To"),
        cc=_addresses(raw_all("cc"), defects, "Cc"),
        headers=headers,
        text=text[:MAX_BODY_CHARS],
        html=html,
        attachments=walk.attachments,
        signed=walk.signed,
        defects=defects,
    )


__all__ = [
    "REFUSED_LABELS",
    "REFUSED_TOO_LARGE",
    "Address",
    "ParsedAttachment",
    "ParsedMail",
    "UnparseableMail",
    "decode_bytes",
    "decode_header_text",
    "parse_message",
    "safe_filename",
]
