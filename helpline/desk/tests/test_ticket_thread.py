"""Replies and internal notes from the ticket page, with attachments."""

from helpline.accounts.models import DepartmentMembership
from helpline.core.reference import changed as reference_changed
from helpline.tickets.models import Attachment, Entry, EntryKind, StatusCategory
from helpline.tickets.tests.factories import status_of

from .ticket_support import HTMX, exe, pdf, site_settings_row, ticket_fixture, url  # noqa: F401


def test_reply_with_attachments_and_status(client, dispatcher, ticket):
    client.force_login(dispatcher)
    pending = status_of(StatusCategory.PENDING)

    response = client.post(
        url("reply", ticket.pk),
        {
            "body": "Please restart the client.",
            "status": pending.pk,
            "attachments": [pdf("guide.pdf"), pdf("steps.pdf")],
        },
    )

    entry = Entry.objects.get(ticket=ticket, kind=EntryKind.REPLY, author=dispatcher)
    assert response.status_code == 302
    assert response["Location"] == url("ticket", ticket.pk) + f"#entry-{entry.pk}"
    assert entry.body == "Please restart the client."
    assert sorted(entry.attachments.values_list("filename", flat=True)) == [
        "guide.pdf",
        "steps.pdf",
    ]
    ticket.refresh_from_db()
    assert ticket.status == pending and ticket.first_response_at is not None


def test_bad_attachment_saves_nothing_and_keeps_the_text(client, dispatcher, ticket):
    client.force_login(dispatcher)
    version = ticket.version

    response = client.post(
        url("reply", ticket.pk),
        {"body": "Here is the invoice you asked for.", "attachments": [pdf(), exe()]},
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "invoice.pdf is a type of file that is not accepted here." in html
    assert ">Here is the invoice you asked for.</textarea>" in html
    assert not Entry.objects.filter(ticket=ticket, author=dispatcher).exists()
    assert not Attachment.objects.filter(ticket=ticket).exists()
    ticket.refresh_from_db()
    assert ticket.version == version


def test_bad_attachment_on_a_note_over_htmx(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(
        url("note", ticket.pk), {"body": "Keep me", "attachments": [exe()]}, **HTMX
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="ticket-{ticket.pk}-composer"' in html and 'hx-swap-oob="true"' in html
    assert f'id="ticket-{ticket.pk}-thread"' not in html
    assert ">Keep me</textarea>" in html and "not accepted here" in html
    assert not Entry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).exists()


def test_oversized_attachment_is_refused(client, dispatcher, ticket, settings):
    from helpline.core.models import SiteSettings

    SiteSettings.objects.filter(pk=1).update(max_attachment_mb=0)
    client.force_login(dispatcher)

    response = client.post(url("note", ticket.pk), {"body": "Big", "attachments": [pdf()]})

    assert response.status_code == 422
    assert "is larger than the 0 MB allowed" in response.content.decode()
    assert not Entry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).exists()


def test_note_with_attachment_is_marked_internal(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(
        url("note", ticket.pk), {"body": "Looks like the 5.2 bug", "attachments": [pdf()]}
    )

    assert response.status_code == 302
    note = Entry.objects.get(ticket=ticket, kind=EntryKind.NOTE)
    assert note.author == dispatcher and note.attachments.count() == 1
    html = client.get(url("ticket", ticket.pk)).content.decode()
    start = html.index(f'id="entry-{note.pk}"')
    article = html[start : html.index("</article>", start)]
    assert "Internal note — not visible to the requester" in article
    assert "report.pdf" in article


def test_htmx_reply_answers_with_fresh_fragments(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(url("reply", ticket.pk), {"body": "On it."}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    for part in ("header", "thread", "composer", "side"):
        assert f'id="ticket-{ticket.pk}-{part}"' in html
    assert "On it." in html
    assert "></textarea>" in html  # the reply box is empty again
    assert "Reply sent." in html  # toast
    assert html.count('hx-swap-oob="true"') >= 4
    assert 'name="version" value="' + str(ticket.version + 1) + '"' in html


def test_empty_reply_is_refused(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(url("reply", ticket.pk), {"body": "  "})

    assert response.status_code == 422
    assert "Write a message first." in response.content.decode()
    assert ticket.entries.count() == 1


def test_reply_on_closed_request_is_refused(client, dispatcher, ticket):
    from helpline.tickets import services

    services.ticket_update(ticket=ticket, actor=dispatcher, status=status_of("closed"))
    client.force_login(dispatcher)

    response = client.post(url("reply", ticket.pk), {"body": "Hello?"})

    assert response.status_code == 422
    assert "This request is closed" in response.content.decode()
    assert not Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY, author=dispatcher)


def test_agent_without_reply_right_cannot_reply_but_can_note(client, dispatcher, ticket):
    DepartmentMembership.objects.filter(user=dispatcher).update(can_reply=False)
    reference_changed()  # a queryset update sends no signal; services save
    client.force_login(dispatcher)

    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert 'id="reply-body"' not in html and 'id="note-body"' in html

    response = client.post(url("reply", ticket.pk), {"body": "Sneaky"})
    assert response.status_code == 403
    assert "You do not have the right" in response.content.decode()
    assert not Entry.objects.filter(ticket=ticket, author=dispatcher).exists()

    assert client.post(url("note", ticket.pk), {"body": "Allowed"}).status_code == 302


def test_agent_outside_the_department_gets_404(client, billing_agent, ticket):
    client.force_login(billing_agent)

    assert client.post(url("reply", ticket.pk), {"body": "x"}).status_code == 404
    assert client.post(url("note", ticket.pk), {"body": "x"}).status_code == 404
    assert ticket.entries.count() == 1


def test_reply_cannot_set_a_request_back_to_new(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(
        url("reply", ticket.pk), {"body": "Hi", "status": status_of(StatusCategory.NEW).pk}
    )

    assert response.status_code == 422
    assert not Entry.objects.filter(ticket=ticket, author=dispatcher).exists()
