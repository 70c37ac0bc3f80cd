"""Who reaches the administrators' pages: administrators only; others 404, anonymous sign-in."""

import pytest
from django.urls import reverse

from helpline.accounts.tests.factories import OrganisationFactory
from helpline.tickets.models import Status, Topic


@pytest.fixture
def targets(support, software, dispatcher, requester_a, org_a):
    """Every page of the administration, with an object for those that need one."""
    status = Status.objects.order_by("pk").first()
    topic = Topic.objects.create(name="Invoices", department=support)
    OrganisationFactory()
    return [
        reverse("manage:index"),
        reverse("manage:departments"),
        reverse("manage:department_new"),
        reverse("manage:department", args=[software.pk]),
        reverse("manage:staff"),
        reverse("manage:staff_new"),
        reverse("manage:staff_edit", args=[dispatcher.pk]),
        reverse("manage:organisations"),
        reverse("manage:organisation_new"),
        reverse("manage:organisation", args=[org_a.pk]),
        reverse("manage:requesters"),
        reverse("manage:requester", args=[requester_a.pk]),
        reverse("manage:statuses"),
        reverse("manage:status_new"),
        reverse("manage:status", args=[status.pk]),
        reverse("manage:priorities"),
        reverse("manage:topics"),
        reverse("manage:topic_new"),
        reverse("manage:topic", args=[topic.pk]),
        reverse("manage:settings"),
        reverse("manage:events"),
    ]


POST_ONLY = [
    ("manage:department_remove", "department"),
    ("manage:member_add", "department"),
    ("manage:staff_deactivate", "staff"),
    ("manage:status_remove", "status"),
]


def test_administrator_sees_every_page(client, admin_user, targets):
    client.force_login(admin_user)
    for url in targets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Event log" in response.content, url  # the administration menu is there


@pytest.mark.parametrize(
    "persona", ["supervisor", "dispatcher", "specialist", "external", "requester_a"]
)
def test_everyone_else_gets_404(client, request, persona, targets):
    client.force_login(request.getfixturevalue(persona))
    for url in targets:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x"}).status_code == 404, url


@pytest.mark.parametrize(
    "persona", ["supervisor", "dispatcher", "external", "requester_a", "admin_user"]
)
def test_post_only_actions(client, request, persona, software, dispatcher):
    """State changes refuse GET; everyone but an administrator gets 404 and changes nothing."""
    user = request.getfixturevalue(persona)
    client.force_login(user)
    status = Status.objects.get(name="Open")
    objects = {"department": software.pk, "staff": dispatcher.pk, "status": status.pk}
    for name, kind in POST_ONLY:
        url = reverse(name, args=[objects[kind]])
        expected_get = 405 if persona == "admin_user" else 404
        assert client.get(url).status_code == expected_get, url
        if persona != "admin_user":
            assert client.post(url).status_code == 404, url
    software.refresh_from_db()
    dispatcher.refresh_from_db()
    assert software.is_active
    assert dispatcher.is_active


def test_anonymous_is_sent_to_sign_in(client, targets):
    for url in targets:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
        assert "next=" in response["Location"]


def test_inactive_administrator_is_refused(client, admin_user, targets):
    admin_user.is_active = False
    admin_user.save()
    client.force_login(admin_user)
    response = client.get(targets[0])
    assert response.status_code in {302, 404}
