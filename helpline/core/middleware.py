"""Per-request context: the client's address (from trusted proxies' headers, kept for the event
log) and the viewer's time zone."""

from contextvars import ContextVar

from django.conf import settings
from django.utils import timezone

from helpline.core import moments

TIME_ZONE_COOKIE = "hl_tz"

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class TrustedProxyMiddleware:
    """Behind HELPLINE_TRUSTED_PROXIES reverse proxies, REMOTE_ADDR is the nearest proxy; the
    client is the address the outermost trusted proxy appended to X-Forwarded-For. Entries left
    of it were written by the client and are ignored, so nobody can choose their own address."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.hops = settings.TRUSTED_PROXIES

    def __call__(self, request):
        if self.hops:
            forwarded = [
                part.strip()
                for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if part.strip()
            ]
            if len(forwarded) >= self.hops:
                request.META["REMOTE_ADDR"] = forwarded[-self.hops]
        return self.get_response(request)


class ViewerTimeZoneMiddleware:
    """Times render in the viewer's time zone: the one their browser reports in the `hl_tz`
    cookie (set by theme.js on every page), else the desk's HELPLINE_TIME_ZONE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = moments.zone_named(request.COOKIES.get(TIME_ZONE_COOKIE))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
