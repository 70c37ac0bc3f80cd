"""Attachment rules: size and type, the type read from the content rather than the name."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import puremagic
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from helpline.core.errors import ValidationFailed
from helpline.core.models import SiteSettings

# Types a browser would execute or render as a document from our origin.
ACTIVE_TYPES = {"html", "htm", "xhtml", "svg", "xml", "js", "mjs"}


# Only attachment_validate holds this, so a CheckedFile cannot be made by hand.
_VALIDATED = object()


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the rules; only `attachment_validate` can make one."""

    upload: UploadedFile
    filename: str
    content_type: str
    size: int
    sha256: str = ""
    seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.seal is not _VALIDATED:
            raise TypeError("A CheckedFile comes from attachment_validate only.")


def _display_name(name: str) -> str:
    # Only the last path component, without control characters; never used as a storage path.
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|')
    return cleaned.strip()[:200] or "attachment"


@dataclass(frozen=True)
class Sniffed:
    """What the content says: every extension the signature fits (best first), and a type."""

    candidates: tuple[str, ...]
    content_type: str

    def kinds(self, name_ext: str) -> set[str]:
        """The types to check the rules against.

        One signature fits several types (MZ: exe, dll, scr, com…; ZIP: docx, xlsx, jar…; OLE:
        doc, xls, msi…). When the name's extension is one of them, the content agrees with the
        name: the name and the best match decide. When it is not, the name says nothing about
        what the file is, so every type the content could be counts.
        """
        if name_ext and name_ext in self.candidates:
            return {name_ext, self.candidates[0]}
        return {*self.candidates, *([name_ext] if name_ext else [])}


def _sniff(upload: UploadedFile, name_ext: str) -> Sniffed:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if not head:
        return Sniffed((), "application/octet-stream")
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    candidates: dict[str, str] = {}
    for match in matches:
        ext = match.extension.lstrip(".").lower()
        if ext and ext not in candidates:
            candidates[ext] = match.mime_type
    if candidates:
        # The type that goes with the name when the content agrees with it, else the best match.
        mime = candidates.get(name_ext) or next(iter(candidates.values()))
        return Sniffed(tuple(candidates), mime or "application/octet-stream")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return Sniffed((), "application/octet-stream")
    return Sniffed((), "text/plain")


def file_sha256(file: "File[Any]") -> str:  # the stubs make File generic
    """The hex SHA-256 of a file's whole content, read in chunks (left at its start)."""
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def attachment_validate(upload: UploadedFile, settings: SiteSettings | None = None) -> CheckedFile:
    """Check one upload against the administrator's rules; ValidationFailed names the broken one."""
    settings = settings or SiteSettings.current()
    filename = _display_name(upload.name or "")
    limit = settings.max_attachment_mb * 1024 * 1024
    assert upload.size is not None  # Django sets it on every upload
    if upload.size > limit:
        raise ValidationFailed(
            _("%(name)s is larger than the %(limit)s MB allowed.")
            % {"name": filename, "limit": settings.max_attachment_mb},
            field="attachments",
        )
    name_ext = PurePath(filename).suffix.lstrip(".").lower()
    sniffed = _sniff(upload, name_ext)
    content_type = sniffed.content_type
    kinds = sniffed.kinds(name_ext)
    blocked = settings.type_list("blocked_types")
    if kinds & blocked:
        raise ValidationFailed(
            _("%(name)s is a type of file that is not accepted here.") % {"name": filename},
            field="attachments",
        )
    allowed = settings.type_list("allowed_types")
    if allowed and not (kinds & allowed):
        raise ValidationFailed(
            _("%(name)s is not one of the accepted file types (%(types)s).")
            % {"name": filename, "types": ", ".join(sorted(allowed))},
            field="attachments",
        )
    if kinds & ACTIVE_TYPES or "html" in content_type or "svg" in content_type:
        # Stored, but always served as an opaque download.
        content_type = "application/octet-stream"
    return CheckedFile(
        upload=upload,
        filename=filename,
        content_type=content_type,
        size=upload.size,
        sha256=file_sha256(upload),
        seal=_VALIDATED,
    )


def attachments_checked(files: Iterable[object] | None) -> list[CheckedFile]:
    """What a service stores: files already checked pass, raw uploads are checked here, so no
    entry point can hand a service a file the rules never saw."""
    settings = None
    checked = []
    for item in files or ():
        if isinstance(item, CheckedFile):
            checked.append(item)
            continue
        if not isinstance(item, UploadedFile):
            raise ValidationFailed(_("That is not an uploaded file."), field="attachments")
        settings = settings or SiteSettings.current()
        checked.append(attachment_validate(item, settings))
    return checked
