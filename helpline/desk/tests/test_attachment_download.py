"""Attachment downloads from the desk: permission-checked, opaque, sandboxed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpline.tickets import services
from helpline.tickets.models import Attachment
from helpline.tickets.tests.factories import TicketFactory

from .ticket_support import pdf, site_settings_row, ticket_fixture, url  # noqa: F401


def _attach(ticket, actor, upload, note=False):
    add = services.ticket_note_add if note else services.ticket_reply_add
    entry = add(
        ticket=ticket, actor=actor, body="file", files=[services.attachment_validate(upload)]
    )
    return entry.attachments.get()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_download_headers(client, dispatcher, ticket, requester_a):
    attachment = _attach(ticket, requester_a, pdf("Quarterly report (final).pdf"))
    client.force_login(dispatcher)

    response = client.get(url("attachment", attachment.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="Quarterly report (final).pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert _body(response).startswith(b"%PDF-1.7")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'),
        ("data.xml", b'<?xml version="1.0"?><a/>'),
    ],
)
def test_active_types_are_never_served_as_themselves(
    client, dispatcher, ticket, requester_a, name, content
):
    attachment = _attach(ticket, requester_a, SimpleUploadedFile(name, content))
    client.force_login(dispatcher)

    response = client.get(url("attachment", attachment.pk))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"


def test_a_stored_html_type_is_still_served_opaque(client, dispatcher, ticket, requester_a):
    # Rows written before the rules (or by an import) may carry an active type.
    attachment = _attach(ticket, requester_a, pdf())
    Attachment.objects.filter(pk=attachment.pk).update(content_type="text/html")
    client.force_login(dispatcher)

    response = client.get(url("attachment", attachment.pk))

    assert response["Content-Type"] == "application/octet-stream"


def test_staff_download_a_note_attachment(client, dispatcher, specialist, ticket, software):
    attachment = _attach(ticket, dispatcher, pdf("internal.pdf"), note=True)
    client.force_login(dispatcher)
    assert client.get(url("attachment", attachment.pk)).status_code == 200


@pytest.mark.parametrize("persona", ["requester_a", "requester_b", "billing_agent", "external"])
def test_others_get_404(client, request, persona, ticket, requester_a):
    attachment = _attach(ticket, requester_a, pdf())
    client.force_login(request.getfixturevalue(persona))

    assert client.get(url("attachment", attachment.pk)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, ticket, requester_a):
    attachment = _attach(ticket, requester_a, pdf())

    response = client.get(url("attachment", attachment.pk))

    assert response.status_code == 302 and "next=" in response["Location"]


def test_external_provider_downloads_from_their_department(
    client, external, vendor_department, requester_a
):
    ticket = TicketFactory(department=vendor_department, requester=requester_a)
    attachment = _attach(ticket, requester_a, pdf())
    client.force_login(external)

    assert client.get(url("attachment", attachment.pk)).status_code == 200


def test_missing_file_or_row_is_404(client, dispatcher, ticket, requester_a):
    attachment = _attach(ticket, requester_a, pdf())
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(dispatcher)

    assert client.get(url("attachment", attachment.pk)).status_code == 404
    assert client.get(url("attachment", 999999)).status_code == 404
