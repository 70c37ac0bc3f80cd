"""Placeholder of the mail-parse branch's parser with its documented interface (replaced by
that branch's module when it is merged): stdlib `email` with policy.default, never raising
anything but UnparseableMail."""

from __future__ import annotations

import email
import email.policy
import email.utils
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class UnparseableMail(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Address(NamedTuple):
    name: str
    address: str


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes | None
    size: int
    content_id: str | None = None
    inline: bool = False
    refused: str | None = None


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
    html: str | None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    signed: bool = False
    defects: list[str] = field(default_factory=list)


_ID = re.compile(r"<([^<>\s]+)>")


def _addresses(values: list[str]) -> list[Address]:
    found = []
    for name, address in email.utils.getaddresses(values):
        address = address.strip()
        if "@" not in address or any(c.isspace() for c in address):
            continue
        local, _, domain = address.rpartition("@")
        found.append(Address(name.strip(), f"{local}@{domain.lower()}"))
    return found


def _header(msg, name: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name) or []]
    except Exception:  # noqa: BLE001
        return []


def parse_message(raw: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMail:
    if not raw or not raw.strip():
        raise UnparseableMail("empty message")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        headers = []
        for key, value in msg.raw_items():
            try:
                headers.append((key, str(value)))
            except Exception:  # noqa: BLE001
                headers.append((key, ""))
        if not headers:
            raise UnparseableMail("no headers")
        ids = _ID.findall(" ".join(_header(msg, "Message-ID")))
        reply = _ID.findall(" ".join(_header(msg, "In-Reply-To")))
        refs = _ID.findall(" ".join(_header(msg, "References")))
        date = None
        try:
            date = email.utils.parsedate_to_datetime(_header(msg, "Date")[0])
        except Exception:  # noqa: BLE001
            date = None
        text, html, attachments = "", None, []
        for part in msg.walk():
            if part.is_multipart():
                continue
            ctype = part.get_content_type()
            disposition = part.get_content_disposition()
            try:
                payload = part.get_payload(decode=True) or b""
            except Exception:  # noqa: BLE001
                payload = b""
            if disposition != "attachment" and ctype == "text/plain" and not text:
                text = payload.decode(part.get_content_charset() or "utf-8", "replace")
            elif disposition != "attachment" and ctype == "text/html" and html is None:
                html = payload.decode(part.get_content_charset() or "utf-8", "replace")
            else:
                name = part.get_filename() or "attachment"
                refused = None
                if max_attachment_bytes is not None and len(payload) > max_attachment_bytes:
                    refused = "over the size limit"
                attachments.append(
                    ParsedAttachment(
                        filename=name.replace("/", "_").replace("\\", "_")[:200],
                        content_type=ctype,
                        data=None if refused else payload,
                        size=len(payload),
                        content_id=(part.get("Content-ID") or "").strip("<> ") or None,
                        inline=disposition == "inline",
                        refused=refused,
                    )
                )
        if not text and html:
            text = html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).strip()
        return ParsedMail(
            message_id=ids[0] if ids else None,
            in_reply_to=reply[0] if reply else None,
            references=refs,
            subject=" ".join(_header(msg, "Subject")[:1]).strip(),
            date=date,
            from_=_addresses(_header(msg, "From")),
            sender=(_addresses(_header(msg, "Sender")) or [None])[0],
            reply_to=_addresses(_header(msg, "Reply-To")),
            to=_addresses(_header(msg, "To")),
            cc=_addresses(_header(msg, "Cc")),
            headers=headers,
            text=text,
            html=None,  # the real parser sanitises; this placeholder keeps none
            attachments=attachments,
            signed=msg.get_content_type() == "multipart/signed",
            defects=[type(d).__name__ for d in msg.defects],
        )
    except UnparseableMail:
        raise
    except Exception as exc:  # noqa: BLE001
        raise UnparseableMail(f"{type(exc).__name__}: {exc}") from exc
