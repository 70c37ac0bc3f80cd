"""Departments: saving with before/after events, the tree's rules, removal and members."""

import pytest
from django.urls import reverse

from helpline.accounts.models import Department, DepartmentMembership
from helpline.accounts.services import department_remove, department_save, membership_set
from helpline.accounts.tests.factories import DepartmentFactory
from helpline.audit.models import Event
from helpline.core.errors import ValidationFailed
from helpline.tickets.models import Topic
from helpline.tickets.tests.factories import TicketFactory


def last_event(action: str) -> Event:
    return Event.objects.filter(action=action).order_by("-id").first()


def test_create_records_the_new_values(admin_user, support):
    department = department_save(
        department=Department(name="Payments", parent=support, line=2, email="pay@desk.test"),
        actor=admin_user,
    )
    assert department.path == f"{support.path}{department.pk}/"
    event = last_event("department.created")
    assert event.actor == admin_user
    assert event.object_id == str(department.pk)
    assert event.changes["name"] == [None, "Payments"]
    assert event.changes["parent"] == [None, "Support"]
    assert event.changes["email"] == [None, "pay@desk.test"]


def test_change_records_before_and_after(admin_user, software, billing):
    software.parent = billing
    software.name = "Apps"
    department_save(department=software, actor=admin_user)
    event = last_event("department.changed")
    assert event.changes == {"name": ["Software", "Apps"], "parent": ["Support", "Billing"]}
    software.refresh_from_db()
    assert software.path == f"{billing.path}{software.pk}/"


def test_saving_without_changes_records_nothing(admin_user, software):
    department_save(department=Department.objects.get(pk=software.pk), actor=admin_user)
    assert not Event.objects.filter(action="department.changed").exists()


@pytest.mark.parametrize("below", ["itself", "child", "grandchild"])
def test_a_department_cannot_move_below_itself(admin_user, support, software, below):
    grandchild = DepartmentFactory(name="Mobile", parent=software)
    target = {"itself": support, "child": software, "grandchild": grandchild}[below]
    support.parent = target
    with pytest.raises(ValidationFailed) as caught:
        department_save(department=support, actor=admin_user)
    assert caught.value.field == "parent"
    support.refresh_from_db()
    assert support.parent_id is None and support.path == f"/{support.pk}/"
    assert not Event.objects.filter(action="department.changed").exists()


def test_sibling_names_are_unique_ignoring_case(admin_user, support, software):
    with pytest.raises(ValidationFailed) as caught:
        department_save(department=Department(name="software", parent=support), actor=admin_user)
    assert caught.value.field == "name"
    # The same name elsewhere in the tree is fine.
    department_save(department=Department(name="Software"), actor=admin_user)


def test_remove_deletes_an_unused_department(admin_user, billing, billing_agent):
    assert department_remove(department=billing, actor=admin_user) == "deleted"
    assert not Department.objects.filter(pk=billing.pk).exists()
    event = last_event("department.deleted")
    assert event.changes["name"] == ["Billing", None]
    assert event.changes["members"] == [["billing@desk.test"], None]


def test_remove_deactivates_a_department_with_tickets(admin_user, billing):
    TicketFactory(department=billing)
    assert department_remove(department=billing, actor=admin_user) == "deactivated"
    billing.refresh_from_db()
    assert billing.is_active is False
    assert last_event("department.deactivated").changes == {"is_active": [True, False]}


@pytest.mark.parametrize("reason", ["children", "topics"])
def test_remove_deactivates_a_department_others_refer_to(admin_user, support, software, reason):
    if reason == "topics":
        Topic.objects.create(name="VPN", department=software)
        target = software
    else:
        target = support
    assert department_remove(department=target, actor=admin_user) == "deactivated"
    assert Department.objects.filter(pk=target.pk, is_active=False).exists()


def test_membership_add_change_remove_are_recorded(admin_user, billing, dispatcher):
    membership_set(
        user=dispatcher,
        department=billing,
        rights={"can_view": True, "can_reply": True},
        actor=admin_user,
    )
    added = last_event("membership.added")
    assert added.object_id == str(dispatcher.pk)
    assert added.changes["department"] == "Billing"
    assert added.changes["can_reply"] == [None, True]

    membership_set(
        user=dispatcher,
        department=billing,
        rights={"can_view": True, "can_reply": True, "can_manage": True},
        actor=admin_user,
    )
    assert last_event("membership.changed").changes == {
        "department": "Billing",
        "can_manage": [False, True],
    }
    membership_set(user=dispatcher, department=billing, rights=None, actor=admin_user)
    assert not DepartmentMembership.objects.filter(user=dispatcher, department=billing).exists()
    assert last_event("membership.removed").changes["can_view"] == [True, None]


def test_rights_without_view_are_refused(admin_user, billing, dispatcher):
    with pytest.raises(ValidationFailed):
        membership_set(
            user=dispatcher, department=billing, rights={"can_reply": True}, actor=admin_user
        )
    assert not DepartmentMembership.objects.filter(department=billing).exists()


def test_requesters_cannot_be_members(admin_user, billing, requester_a):
    with pytest.raises(ValidationFailed):
        membership_set(
            user=requester_a, department=billing, rights={"can_view": True}, actor=admin_user
        )


# --- pages ----------------------------------------------------------------------------------


def test_tree_page_indents_by_depth(client, admin_user, support, software, billing):
    DepartmentFactory(name="Mobile", parent=software)
    client.force_login(admin_user)
    html = client.get(reverse("manage:departments")).content.decode()
    # Tree order, siblings by name: Billing, Support → Software → Mobile.
    assert html.index("Billing") < html.index("Support") < html.index("Software")
    assert html.index("Software") < html.index("Mobile")
    assert 'class="hl-tree-2"' in html


def test_create_through_the_form(client, admin_user, support):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:department_new"),
        {"name": "Network", "parent": support.pk, "line": 2, "email": "", "is_active": "on"},
    )
    created = Department.objects.get(name="Network")
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:department", args=[created.pk])
    assert created.parent == support


def test_form_shows_the_cycle_refusal_and_saves_nothing(client, admin_user, support, software):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:department", args=[support.pk]),
        {"name": "Renamed", "parent": software.pk, "line": 1, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "cannot be placed below itself" in response.content.decode()
    support.refresh_from_db()
    assert support.name == "Support" and support.parent_id is None


def test_parent_choices_leave_out_the_own_subtree(client, admin_user, support, software, billing):
    client.force_login(admin_user)
    form = client.get(reverse("manage:department", args=[support.pk])).context["form"]
    offered = {value for value, _label in form.fields["parent"].choices}
    assert str(billing.pk) in offered
    assert str(support.pk) not in offered and str(software.pk) not in offered


def test_members_are_added_and_changed_with_htmx(client, admin_user, billing, dispatcher):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:member_add", args=[billing.pk]),
        {"user": dispatcher.pk, "can_view": "on", "can_reply": "on"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="department-{billing.pk}-members"' in response.content.decode()
    assert "<html" not in response.content.decode()  # only the fragment
    assert "HX-Request" in response["Vary"]
    membership = DepartmentMembership.objects.get(user=dispatcher, department=billing)
    assert membership.can_reply and not membership.can_assign

    url = reverse("manage:member_change", args=[billing.pk, dispatcher.pk])
    prefix = f"m{dispatcher.pk}"
    client.post(url, {f"{prefix}-can_view": "on", f"{prefix}-can_manage": "on"})
    membership.refresh_from_db()
    assert membership.can_manage and not membership.can_reply

    response = client.post(url, {"remove": "1"})
    assert response.status_code == 302
    assert not DepartmentMembership.objects.filter(user=dispatcher, department=billing).exists()


def test_member_error_is_shown_in_the_fragment(client, admin_user, billing, dispatcher):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:member_add", args=[billing.pk]),
        {"user": dispatcher.pk, "can_assign": "on"},
        headers={"HX-Request": "true"},
    )
    assert "need the right to view" in response.content.decode()
    assert not DepartmentMembership.objects.filter(department=billing).exists()


def test_remove_page_action_deactivates_when_used(client, admin_user, billing):
    TicketFactory(department=billing)
    client.force_login(admin_user)
    response = client.post(reverse("manage:department_remove", args=[billing.pk]))
    assert response.status_code == 302
    billing.refresh_from_db()
    assert billing.is_active is False
