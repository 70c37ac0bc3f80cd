"""A mail entry's own views: its HTML as a sandboxed document for the thread's frame, and the
original message (.eml) for staff."""

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from helpline.core.decorators import staff_required
from helpline.desk.permissions import staff_mail_or_404
from helpline.mail.parsing import CID_SHA256_PREFIX
from helpline.mail.quoting import fold_html
from helpline.mail.sanitize import render_mail_html

# The frame's document is the sender's HTML (sanitised): nothing in it may run, submit, frame or
# fetch anything but our own files, and remote images only when the reader asked for them.
FRAME_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:{remote}; "
    "font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'self'; sandbox allow-same-origin allow-popups "
    "allow-popups-to-escape-sandbox"
)


@staff_required
@require_GET
@xframe_options_sameorigin
def mail_body(request, pk: int) -> HttpResponse:
    """The HTML of mail entry `pk`, for the `<iframe>` in the thread; `?remote=1` lets the
    message's remote images load (the reader asked)."""
    mail = staff_mail_or_404(request.user, pk)
    if not mail.html:
        raise Http404
    remote = request.GET.get("remote") == "1"
    files = {a.sha256: a.pk for a in mail.entry.attachments.all() if a.sha256}
    prefix = CID_SHA256_PREFIX.removeprefix("cid:")

    def cid_url(reference: str) -> str | None:
        # Inline images are named by their content (parsing.CID_SHA256_PREFIX) and shown from
        # the entry's own stored files; a reference to anything else shows nothing.
        digest = reference.removeprefix(prefix) if reference.startswith(prefix) else ""
        file_pk = files.get(digest)
        return reverse("desk:attachment", args=[file_pk]) if file_pk else None

    html, blocked = render_mail_html(mail.html, cid_url=cid_url, load_remote=remote)
    html = fold_html(html, _("Show quoted text"))
    response = render(
        request,
        "desk/ticket/mail_body.html",
        {"html": html, "blocked": blocked, "remote": remote},
    )
    response["Content-Security-Policy"] = FRAME_POLICY.format(
        remote=" https: http:" if remote else ""
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_GET
def mail_raw(request, pk: int) -> FileResponse:
    """The message as it came (or went), as a download: never shown inline."""
    mail = staff_mail_or_404(request.user, pk)
    if not mail.raw:
        raise Http404
    try:
        handle = mail.raw.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"request-{mail.entry.ticket_id}-message-{mail.entry_id}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
