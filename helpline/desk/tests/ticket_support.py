"""Fixtures shared by the ticket page tests."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpline.core.models import SiteSettings
from helpline.tickets import services
from helpline.tickets.models import Channel


@pytest.fixture(autouse=True)
def site_settings_row(db):
    # The settings row exists on any installation once a page was shown.
    SiteSettings.current()


@pytest.fixture(name="ticket")
def ticket_fixture(requester_a, support):
    """A new request from Alice (Acme) in Support, 1st line."""
    return services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN drops every hour",
        body="Since Monday the VPN disconnects every hour.",
        channel=Channel.PORTAL,
        department=support,
    )


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n" + b"x" * 200, content_type="application/pdf")


def exe(name: str = "invoice.pdf") -> SimpleUploadedFile:
    """A Windows program dressed up as a PDF: refused by content."""
    return SimpleUploadedFile(name, b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")


def url(name: str, *args) -> str:
    return reverse(f"desk:{name}", args=args)


HTMX = {"HTTP_HX_REQUEST": "true"}
