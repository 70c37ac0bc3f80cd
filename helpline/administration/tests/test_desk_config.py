"""Statuses, the priority matrix, topics and settings: rules, events and pages."""

import pytest
from django.urls import reverse

from helpline.administration.services import (
    priority_matrix_save,
    site_settings_update,
    status_remove,
    status_save,
    topic_save,
)
from helpline.audit.models import Event
from helpline.core.errors import ValidationFailed
from helpline.core.models import SiteSettings
from helpline.tickets.models import PriorityRule, Status, StatusCategory, Topic
from helpline.tickets.tests.factories import TicketFactory


def last_event(action: str) -> Event:
    return Event.objects.filter(action=action).order_by("-id").first()


def default_of(category: str) -> Status:
    return Status.objects.get(category=category, is_default=True)


# --- statuses -------------------------------------------------------------------------------


def test_switching_the_default_unsets_the_old_one_at_once(admin_user):
    old = default_of(StatusCategory.PENDING)
    new = status_save(
        status=Status(name="Waiting for logs", category=StatusCategory.PENDING, is_default=True),
        actor=admin_user,
    )
    assert default_of(StatusCategory.PENDING) == new
    old.refresh_from_db()
    assert old.is_default is False
    assert Status.objects.filter(category=StatusCategory.PENDING, is_default=True).count() == 1
    assert last_event("status.changed").changes == {"is_default": [True, False]}
    assert last_event("status.created").changes["is_default"] == [None, True]

    # And back again, through an edit of the old one.
    old.is_default = True
    status_save(status=old, actor=admin_user)
    assert default_of(StatusCategory.PENDING) == old


def test_the_default_cannot_be_unset_directly(admin_user):
    status = default_of(StatusCategory.OPEN)
    status.is_default = False
    with pytest.raises(ValidationFailed) as caught:
        status_save(status=status, actor=admin_user)
    assert caught.value.field == "is_default"
    assert default_of(StatusCategory.OPEN).pk == status.pk


def test_the_default_cannot_be_deactivated_or_moved(admin_user):
    status = default_of(StatusCategory.OPEN)
    status.is_active = False
    with pytest.raises(ValidationFailed):
        status_save(status=status, actor=admin_user)
    status = default_of(StatusCategory.OPEN)
    status.category = StatusCategory.CLOSED
    with pytest.raises(ValidationFailed) as caught:
        status_save(status=status, actor=admin_user)
    assert caught.value.field == "category"


def test_a_status_in_use_keeps_its_category(admin_user):
    extra = status_save(
        status=Status(name="In progress", category=StatusCategory.OPEN), actor=admin_user
    )
    TicketFactory(status=extra, category=StatusCategory.OPEN)
    extra.category = StatusCategory.ON_HOLD
    with pytest.raises(ValidationFailed):
        status_save(status=extra, actor=admin_user)


def test_remove_deletes_unused_and_deactivates_used(admin_user):
    unused = status_save(status=Status(name="Unused", category="open"), actor=admin_user)
    used = status_save(status=Status(name="Used", category="open"), actor=admin_user)
    TicketFactory(status=used, category="open")
    assert status_remove(status=unused, actor=admin_user) == "deleted"
    assert status_remove(status=used, actor=admin_user) == "deactivated"
    assert not Status.objects.filter(pk=unused.pk).exists()
    used.refresh_from_db()
    assert used.is_active is False
    assert last_event("status.deleted").changes["name"] == ["Unused", None]
    with pytest.raises(ValidationFailed):
        status_remove(status=default_of("new"), actor=admin_user)


def test_status_page_switches_the_default(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:status_new"),
        {
            "name": "Awaiting vendor",
            "category": "on_hold",
            "order": 45,
            "is_default": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert default_of("on_hold").name == "Awaiting vendor"
    html = client.get(reverse("manage:statuses")).content.decode()
    assert "Awaiting vendor" in html


def test_status_page_shows_the_refusal(client, admin_user):
    status = default_of("open")
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:status", args=[status.pk]),
        {"name": status.name, "category": "open", "order": status.order, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "Each category needs a default status" in response.content.decode()


# --- priority matrix ------------------------------------------------------------------------


def matrix_post(**cells) -> dict:
    data = {f"cell_{r.impact}_{r.urgency}": r.priority for r in PriorityRule.objects.all()}
    data.update(cells)
    return data


def test_matrix_saves_at_once_with_one_event(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("manage:priorities"), matrix_post(cell_3_3=3, cell_1_1=2))
    assert response.status_code == 302
    assert PriorityRule.objects.get(impact=3, urgency=3).priority == 3
    assert PriorityRule.objects.get(impact=1, urgency=1).priority == 2
    event = Event.objects.get(action="priority_matrix.changed")
    assert event.changes == {
        "high impact × high urgency": ["critical", "high"],
        "low impact × low urgency": ["low", "normal"],
    }


def test_matrix_refuses_a_bad_cell_and_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("manage:priorities"), matrix_post(cell_3_3=3, cell_2_2=9))
    assert response.status_code == 200
    assert PriorityRule.objects.get(impact=3, urgency=3).priority == 4


def test_matrix_service_needs_every_cell(admin_user):
    with pytest.raises(ValidationFailed):
        priority_matrix_save(cells={(1, 1): 1}, actor=admin_user)


# --- topics ---------------------------------------------------------------------------------


def test_topic_create_and_change(admin_user, support, billing):
    topic = topic_save(topic=Topic(name="Invoices", department=support), actor=admin_user)
    assert last_event("topic.created").changes["department"] == [None, "Support"]
    topic.department = billing
    topic_save(topic=topic, actor=admin_user)
    assert last_event("topic.changed").changes == {"department": ["Support", "Billing"]}


def test_active_topic_needs_an_active_department(admin_user, billing):
    billing.is_active = False
    billing.save()
    with pytest.raises(ValidationFailed) as caught:
        topic_save(topic=Topic(name="Refunds", department=billing), actor=admin_user)
    assert caught.value.field == "department"


def test_topic_page(client, admin_user, support):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:topic_new"),
        {
            "name": "VPN",
            "department": support.pk,
            "default_class": "incident",
            "order": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Topic.objects.get(name="VPN").department == support


# --- settings -------------------------------------------------------------------------------


def test_settings_change_is_recorded(admin_user):
    site_settings_update(
        actor=admin_user, desk_name="Acme Service Desk", allowed_types=".PDF; png,png"
    )
    row = SiteSettings.current()
    assert row.allowed_types == "pdf, png"
    assert last_event("settings.changed").changes == {
        "desk_name": ["Helpline", "Acme Service Desk"],
        "allowed_types": ["", "pdf, png"],
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"max_attachment_mb": 0}, "max_attachment_mb"),
        ({"allowed_types": "exe"}, "allowed_types"),
        ({"blocked_types": "../x"}, "blocked_types"),
        ({"desk_name": "  "}, "desk_name"),
    ],
)
def test_bad_settings_are_refused(admin_user, values, field):
    with pytest.raises(ValidationFailed) as caught:
        site_settings_update(actor=admin_user, **values)
    assert caught.value.field == field
    assert SiteSettings.current().desk_name == "Helpline"
    assert not Event.objects.filter(action="settings.changed").exists()


def test_settings_page(client, admin_user):
    client.force_login(admin_user)
    data = {
        "desk_name": "IT Help",
        "portal_welcome": "Hello",
        "allow_signup": "on",
        "auto_close_days": 3,
        "max_attachment_mb": 10,
        "allowed_types": "",
        "blocked_types": "exe, bat",
    }
    assert client.post(reverse("manage:settings"), data).status_code == 302
    row = SiteSettings.current()
    assert row.auto_close_days == 3
    assert (row.desk_name, row.max_attachment_mb, row.anonymous_submission) == (
        "IT Help",
        10,
        False,
    )
    response = client.post(reverse("manage:settings"), data | {"allowed_types": "exe"})
    assert "both allowed and blocked" in response.content.decode()
