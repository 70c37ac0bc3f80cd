"""Every URL of the desk, the administration and the portal, walked for every forbidden persona.

The URL lists are read from the resolver, so a page added later is covered the day it lands:
forbidden answers are 404 (the object's existence is not revealed) or a sign-in redirect, for GET
and POST alike, and nothing in the response names the ticket.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, get_resolver, reverse

from helpline.tickets import services
from helpline.tickets.models import Channel

SECRET = "Quarterly salary file for the board"


def _patterns(namespace: str) -> list[URLPattern]:
    resolver = get_resolver()
    for item in resolver.url_patterns:
        if getattr(item, "namespace", None) == namespace:
            return [p for p in item.url_patterns if isinstance(p, URLPattern)]
    raise LookupError(namespace)


def _urls(namespace: str, ids: dict[str, int]) -> list[str]:
    urls = []
    for pattern in _patterns(namespace):
        converters = pattern.pattern.converters
        kwargs = {}
        for name in converters:
            if name == "pk" and "attachment" in pattern.name:
                kwargs[name] = ids["attachment"]
            elif namespace == "manage":
                kwargs[name] = ids["staff"]
            else:
                kwargs[name] = ids[name]
        urls.append(reverse(f"{namespace}:{pattern.name}", kwargs=kwargs))
    return urls


@pytest.fixture
def ids(requester_a, support, dispatcher):
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject=SECRET,
        body="Attached.",
        channel=Channel.PORTAL,
        department=support,
        files=[
            services.attachment_validate(
                SimpleUploadedFile("salaries.pdf", b"%PDF-1.7\n" + b"x" * 50)
            )
        ],
    )
    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Other",
        body="Other",
        channel=Channel.PORTAL,
        department=support,
    )
    return {
        "pk": ticket.pk,
        "other": other.pk,
        "attachment": ticket.attachments.get().pk,
        "staff": dispatcher.pk,
    }


def _assert_forbidden(client, url: str, *, login_redirect_ok: bool) -> None:
    for method in (client.get, client.post):
        response = method(url)
        allowed = {404, 405}
        if login_redirect_ok:
            allowed.add(302)
        assert response.status_code in allowed, (method.__name__, url, response.status_code)
        if response.status_code == 302:
            assert response.url.startswith(reverse("accounts:login")), url
        assert SECRET.encode() not in response.content, url


def test_anonymous_is_sent_to_sign_in_everywhere(client, ids):
    for namespace in ("desk", "manage"):
        for url in _urls(namespace, ids):
            _assert_forbidden(client, url, login_redirect_ok=True)


@pytest.mark.parametrize("persona", ["requester_a", "requester_b"])
def test_requesters_never_reach_the_desk_or_administration(client, ids, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for namespace in ("desk", "manage"):
        for url in _urls(namespace, ids):
            _assert_forbidden(client, url, login_redirect_ok=False)


@pytest.mark.parametrize("persona", ["billing_agent", "external"])
def test_staff_outside_the_department_reach_no_ticket_url(client, ids, persona, request):
    client.force_login(request.getfixturevalue(persona))
    ticket_urls = [
        url
        for url in _urls("desk", ids)
        if f"/{ids['pk']}/" in url or f"/{ids['attachment']}/" in url
    ]
    assert len(ticket_urls) >= 15
    for url in ticket_urls:
        _assert_forbidden(client, url, login_redirect_ok=False)


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor", "external", "specialist"])
def test_only_administrators_reach_the_administration(client, ids, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for url in _urls("manage", ids):
        _assert_forbidden(client, url, login_redirect_ok=False)


@pytest.mark.parametrize("persona", ["requester_b", "requester_a2", "billing_agent", None])
def test_portal_ticket_urls_are_closed_to_everyone_but_the_requester(client, ids, persona, request):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    portal_urls = [
        u for u in _urls("portal", ids) if any(f"/{ids[k]}/" in u for k in ("pk", "attachment"))
    ]
    assert len(portal_urls) >= 5
    for url in portal_urls:
        _assert_forbidden(client, url, login_redirect_ok=persona is None)


def test_the_requester_and_the_department_do_reach_them(client, ids, requester_a, dispatcher):
    client.force_login(requester_a)
    assert client.get(reverse("portal:request", args=[ids["pk"]])).status_code == 200
    assert client.get(reverse("portal:attachment", args=[ids["attachment"]])).status_code == 200
    client.force_login(dispatcher)
    assert client.get(reverse("desk:ticket", args=[ids["pk"]])).status_code == 200
    assert client.get(reverse("desk:attachment", args=[ids["attachment"]])).status_code == 200
