"""The client's address behind reverse proxies, as the event log and sign-in throttle see it."""

from django.test import RequestFactory

from helpline.core.middleware import TrustedProxyMiddleware


def address(settings, hops: int, forwarded: str | None) -> str:
    settings.TRUSTED_PROXIES = hops
    seen = {}

    def view(request):
        seen["ip"] = request.META["REMOTE_ADDR"]

    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    TrustedProxyMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **extra))
    return seen["ip"]


def test_without_proxies_the_header_is_ignored(settings):
    assert address(settings, 0, "203.0.113.9") == "10.0.0.2"


def test_one_proxy_takes_the_address_it_appended(settings):
    assert address(settings, 1, "203.0.113.9") == "203.0.113.9"
    # a client that sends its own header cannot choose its address
    assert address(settings, 1, "198.51.100.1, 203.0.113.9") == "203.0.113.9"


def test_two_proxies(settings):
    assert address(settings, 2, "198.51.100.1, 203.0.113.9, 10.0.0.7") == "203.0.113.9"


def test_a_short_header_leaves_the_connection_address(settings):
    assert address(settings, 2, "203.0.113.9") == "10.0.0.2"
    assert address(settings, 1, None) == "10.0.0.2"
