"""Fixtures shared by the ticket page tests, and a stand-in URL map for names the desk layout
links to (sign-in, administration) while those pages are written on other branches."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import NoReverseMatch, include, path, reverse

from helpline.config.urls import urlpatterns as real_urlpatterns
from helpline.core.models import SiteSettings
from helpline.tickets import services
from helpline.tickets.models import Channel

LAYOUT_NAMES = ("accounts:login", "accounts:logout", "manage:index")


def _stand_in(request):
    return HttpResponse("stand-in")


urlpatterns = [
    path(
        "accounts/",
        include(
            (
                [
                    path("login/", _stand_in, name="login"),
                    path("logout/", _stand_in, name="logout"),
                ],
                "accounts",
            )
        ),
    ),
    path("manage/", include(([path("", _stand_in, name="index")], "manage"))),
    *real_urlpatterns,
]


def _missing(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return True
    return False


@pytest.fixture(autouse=True)
def layout_urls(settings, db):
    """Use the stand-in map only while the real one lacks the layout's names."""
    if any(_missing(name) for name in LAYOUT_NAMES):
        settings.ROOT_URLCONF = __name__
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
