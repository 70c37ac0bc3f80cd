"""Fixtures for the portal tests: requester A's request with a public thread and a note."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpline.tickets import services
from helpline.tickets.models import Channel

NOTE_TEXT = "INTERNAL-ONLY: customer is on the watch list"
NOTE_FILE = "internal-memo.txt"


def checked(name: str = "screenshot.txt", content: bytes = b"hello from the requester"):
    return services.attachment_validate(SimpleUploadedFile(name, content))


def open_request(requester, department, subject="VPN drops every hour", files=()):
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject=subject,
        body="Since Monday the VPN disconnects every hour.",
        channel=Channel.PORTAL,
        department=department,
        files=files,
    )


@pytest.fixture
def ticket(requester_a, support):
    return open_request(requester_a, support, files=[checked("first.txt")])


@pytest.fixture
def public_file(ticket):
    return ticket.attachments.get(filename="first.txt")


@pytest.fixture
def note(ticket, dispatcher):
    return services.ticket_note_add(
        ticket=ticket, actor=dispatcher, body=NOTE_TEXT, files=[checked(NOTE_FILE, b"memo")]
    )


@pytest.fixture
def note_file(note):
    return note.attachments.get()


@pytest.fixture
def shared_org(org_a):
    org_a.shared_requests = True
    org_a.save()
    return org_a
