"""The request page: the public thread only, replies, "solved" / "not solved", merges, files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpline.tickets import services
from helpline.tickets.models import Entry, EntryKind, StatusCategory
from helpline.tickets.services._common import default_status

from .conftest import NOTE_FILE, NOTE_TEXT, open_request


def page(client, ticket) -> str:
    response = client.get(reverse("portal:request", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def resolve(ticket, agent, reason=""):
    services.ticket_update(
        ticket=ticket, actor=agent, status=default_status(StatusCategory.RESOLVED), reason=reason
    )
    ticket.refresh_from_db()


def test_internal_notes_and_their_files_never_reach_the_portal(
    client, requester_a, ticket, note, note_file, public_file
):
    client.force_login(requester_a)
    html = page(client, ticket)
    assert NOTE_TEXT not in html
    assert NOTE_FILE not in html
    assert reverse("portal:attachment", args=[note_file.pk]) not in html
    assert reverse("portal:attachment", args=[public_file.pk]) in html
    assert client.get(reverse("portal:attachment", args=[note_file.pk])).status_code == 404


def test_status_lines_show_the_requester_label_but_no_reason_or_staff_names(
    client, requester_a, ticket, dispatcher, software
):
    services.ticket_take(ticket=ticket, actor=dispatcher)
    services.ticket_escalate(
        ticket=ticket, actor=dispatcher, department=software, reason="SECRET escalation reason"
    )
    resolve(ticket, dispatcher, reason="SECRET resolve reason")
    client.force_login(requester_a)
    html = page(client, ticket)
    assert "Status changed to Solved — please confirm" in html
    assert "SECRET" not in html
    assert dispatcher.get_full_name() not in html and "Dana" not in html
    assert "Software" not in html


def test_requester_replies_with_a_file(client, requester_a, ticket):
    client.force_login(requester_a)
    upload = SimpleUploadedFile("log.txt", b"error 42")
    response = client.post(
        reverse("portal:reply", args=[ticket.pk]),
        {"body": "Here is the log.", "attachments": upload},
    )
    entry = Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).latest("id")
    assert response.status_code == 302 and response.url.endswith(f"#entry-{entry.pk}")
    assert entry.body == "Here is the log." and entry.author == requester_a
    assert entry.attachments.get().filename == "log.txt"


def test_a_blocked_file_keeps_the_text_and_writes_nothing(client, requester_a, ticket):
    client.force_login(requester_a)
    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 60)
    response = client.post(
        reverse("portal:reply", args=[ticket.pk]),
        {"body": "Typed with care", "attachments": upload},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "tool.exe is a type of file that is not accepted here." in html
    assert "Typed with care" in html
    assert not Entry.objects.filter(ticket=ticket, body="Typed with care").exists()


def test_empty_reply_is_refused(client, requester_a, ticket):
    client.force_login(requester_a)
    response = client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "  "})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).count() == 1


def test_reply_to_a_waiting_request_reopens_it(client, requester_a, ticket, dispatcher):
    services.ticket_update(
        ticket=ticket, actor=dispatcher, status=default_status(StatusCategory.PENDING)
    )
    client.force_login(requester_a)
    assert "Waiting for your reply" in page(client, ticket)
    client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "Here you go"})
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN


def test_confirming_a_solved_request_closes_it(client, requester_a, ticket, dispatcher):
    resolve(ticket, dispatcher)
    client.force_login(requester_a)
    html = page(client, ticket)
    assert "Yes, it is solved" in html and "No, it is not solved" in html
    response = client.post(reverse("portal:confirm", args=[ticket.pk]), follow=True)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED and ticket.closed_at
    assert "The request is closed." in response.content.decode()


def test_confirm_on_an_open_request_changes_nothing(client, requester_a, ticket):
    client.force_login(requester_a)
    response = client.post(reverse("portal:confirm", args=[ticket.pk]), follow=True)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.NEW
    assert "Only a resolved request can be confirmed." in response.content.decode()


def test_not_solved_needs_a_reason(client, requester_a, ticket, dispatcher):
    resolve(ticket, dispatcher)
    client.force_login(requester_a)
    response = client.post(reverse("portal:reopen", args=[ticket.pk]), {"reason": " "})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<details class="hl-reopen flex-grow-1" open>' in html and "is-invalid" in html
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED


def test_not_solved_reopens_with_the_reason_as_a_reply(client, requester_a, ticket, dispatcher):
    resolve(ticket, dispatcher)
    client.force_login(requester_a)
    response = client.post(
        reverse("portal:reopen", args=[ticket.pk]), {"reason": "Still drops at noon"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.entries.filter(kind=EntryKind.REPLY, body="Still drops at noon").exists()
    assert "Still drops at noon" in page(client, ticket)


def test_closed_request_disables_the_reply_box(client, requester_a, ticket, dispatcher):
    resolve(ticket, dispatcher)
    services.ticket_confirm_solved(ticket=ticket, actor=requester_a)
    client.force_login(requester_a)
    html = page(client, ticket)
    assert "<fieldset disabled>" in html and "it takes no more replies" in html
    response = client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "One more thing"})
    assert "This request is closed" in response.content.decode()
    assert not ticket.entries.filter(body="One more thing").exists()


def test_merged_request_points_to_its_target(client, requester_a, ticket, support, dispatcher):
    target = open_request(requester_a, support, subject="VPN again")
    services.ticket_merge(source=ticket, target=target, actor=dispatcher)
    client.force_login(requester_a)
    html = page(client, ticket)
    assert "This request was merged into" in html
    assert reverse("portal:request", args=[target.pk]) in html
    assert "Since Monday the VPN disconnects" in page(client, target)


def test_merged_into_a_deleted_request_shows_no_link(
    client, requester_a, ticket, support, dispatcher, supervisor
):
    target = open_request(requester_a, support, subject="VPN again")
    services.ticket_merge(source=ticket, target=target, actor=dispatcher)
    services.ticket_delete(ticket=target, actor=supervisor)
    client.force_login(requester_a)
    html = page(client, ticket)
    # A request the reader cannot open is named by nothing: no number, no subject, no link.
    assert "merged into a request you cannot see" in html
    assert f"#{target.pk}" not in html and "VPN again" not in html
    assert reverse("portal:request", args=[target.pk]) not in html


def test_download_is_an_attachment_with_safe_headers(client, requester_a, public_file):
    client.force_login(requester_a)
    response = client.get(reverse("portal:attachment", args=[public_file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="first.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == b"hello from the requester"


@pytest.mark.parametrize("name", ["page.html", "image.svg"])
def test_active_files_are_never_served_as_their_type(client, requester_a, ticket, name):
    content = (
        b"<html><script>alert(1)</script></html>"
        if name.endswith("html")
        else (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    )
    client.force_login(requester_a)
    client.post(
        reverse("portal:reply", args=[ticket.pk]),
        {"body": "see file", "attachments": SimpleUploadedFile(name, content)},
    )
    attachment = ticket.attachments.get(filename=name)
    response = client.get(reverse("portal:attachment", args=[attachment.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
