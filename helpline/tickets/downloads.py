"""The one way an attachment leaves the server: an opaque, sandboxed download."""

from typing import Any, Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


class Downloadable(Protocol):
    """A stored file with its original name and sniffed type (a request's attachment, or a file
    of internal mail)."""

    file: FieldFile | Any
    filename: str
    content_type: str


# Types a browser might render or run from our origin: never sent under their own type.
ACTIVE_MARKERS = ("html", "svg", "xml", "javascript", "ecmascript")


def attachment_response(attachment: Downloadable) -> FileResponse:
    """Stream `attachment` as a download under its original name and its sniffed type.

    The caller has checked the permission. Always `attachment` disposition, never inline;
    `nosniff` and a sandboxing CSP keep a browser from treating the bytes as a page even if a
    user opens the file from the same origin.
    """
    content_type = attachment.content_type or "application/octet-stream"
    if any(marker in content_type.lower() for marker in ACTIVE_MARKERS):
        content_type = "application/octet-stream"
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
