"""The signed content inside an opaque S/MIME message (PKCS #7 / CMS SignedData), read without
verifying the signature: enough to show a signed mail's body and attachments."""

from __future__ import annotations

from typing import NamedTuple

SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
MAX_DEPTH = 12


class BERError(ValueError):
    pass


class _TLV(NamedTuple):
    tag: int
    start: int  # of the contents
    end: int  # of the contents (for indefinite lengths: before the end-of-contents octets)
    next: int  # the offset after this element


def _read(data: bytes, offset: int, depth: int = 0) -> _TLV:
    if depth > MAX_DEPTH or offset + 2 > len(data):
        raise BERError("truncated")
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:  # high tag numbers: not used by the parts read here
        raise BERError("high tag number")
    first = data[offset]
    offset += 1
    if first == 0x80:  # indefinite: children up to an end-of-contents (00 00)
        if not tag & 0x20:
            raise BERError("indefinite primitive")
        cursor = offset
        while True:
            if cursor + 2 > len(data):
                raise BERError("truncated")
            if data[cursor] == 0 and data[cursor + 1] == 0:
                return _TLV(tag, offset, cursor, cursor + 2)
            cursor = _read(data, cursor, depth + 1).next
    if first & 0x80:
        count = first & 0x7F
        if count > 4 or offset + count > len(data):
            raise BERError("bad length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    else:
        length = first
    if offset + length > len(data):
        raise BERError("truncated")
    return _TLV(tag, offset, offset + length, offset + length)


def _children(data: bytes, tlv: _TLV, depth: int) -> list[_TLV]:
    found: list[_TLV] = []
    cursor = tlv.start
    while cursor < tlv.end and len(found) < 64:
        child = _read(data, cursor, depth + 1)
        found.append(child)
        cursor = child.next
    return found


def _octets(data: bytes, tlv: _TLV, depth: int) -> bytes:
    if tlv.tag == 0x04:
        return data[tlv.start : tlv.end]
    if tlv.tag == 0x24:  # constructed OCTET STRING: the concatenation of its pieces
        return b"".join(_octets(data, c, depth + 1) for c in _children(data, tlv, depth))
    raise BERError("not an octet string")


def signed_content(data: bytes) -> bytes | None:
    """The encapsulated content of a SignedData ContentInfo, or None (not signed data: e.g. an
    encrypted EnvelopedData, or not BER at all)."""
    try:
        info = _read(data, 0)
        if info.tag != 0x30:
            return None
        content_type, explicit = _children(data, info, 0)[:2]
        if data[content_type.start : content_type.end] != SIGNED_DATA_OID or explicit.tag != 0xA0:
            return None
        signed = _children(data, explicit, 1)[0]
        encap = next(c for c in _children(data, signed, 2) if c.tag == 0x30)
        parts = _children(data, encap, 3)
        if len(parts) < 2 or parts[1].tag != 0xA0:
            return None  # detached signature: nothing inside
        return _octets(data, _children(data, parts[1], 4)[0], 5)
    except (BERError, ValueError, IndexError, StopIteration):
        return None
