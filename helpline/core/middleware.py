"""The client's address: taken from trusted proxies' headers, and kept for the event log."""

from contextvars import ContextVar

from django.conf import settings

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
