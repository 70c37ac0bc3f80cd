"""Staff accounts: opening, editing role, line and rights in one form, deactivation."""

import pytest
from django.core import mail
from django.urls import reverse

from helpline.accounts.models import DepartmentMembership, Role, User
from helpline.accounts.services import staff_create, staff_deactivate, staff_update
from helpline.audit.models import Event
from helpline.core.errors import ValidationFailed


def last_event(action: str) -> Event:
    return Event.objects.filter(action=action).order_by("-id").first()


def edit_data(person: User, **overrides) -> dict:
    data = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "role": person.role,
        "support_line": person.support_line or "",
        "is_active": "on" if person.is_active else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- services -------------------------------------------------------------------------------


def test_create_with_password(admin_user):
    user = staff_create(
        actor=admin_user,
        email="New.Agent@Desk.test",
        first_name="Nora",
        role=Role.AGENT,
        support_line=2,
        password="a-long-unusual-passphrase",
    )
    assert user.email == "new.agent@desk.test"
    assert user.check_password("a-long-unusual-passphrase")
    event = last_event("staff.created")
    assert event.actor == admin_user and event.object_id == str(user.pk)
    assert event.changes["role"] == [None, "agent"]
    assert event.changes["support_line"] == [None, 2]
    assert "a-long-unusual-passphrase" not in str(event.changes)


def test_create_refuses_a_weak_password_and_saves_nothing(admin_user):
    with pytest.raises(ValidationFailed) as caught:
        staff_create(
            actor=admin_user,
            email="weak@desk.test",
            first_name="W",
            role=Role.AGENT,
            support_line=1,
            password="123",
        )
    assert caught.value.field == "password"
    assert not User.objects.filter(email="weak@desk.test").exists()
    assert not Event.objects.filter(action="staff.created").exists()


def test_create_refuses_an_address_in_use(admin_user, requester_a):
    with pytest.raises(ValidationFailed) as caught:
        staff_create(
            actor=admin_user,
            email="ALICE@acme.test",
            first_name="A",
            role=Role.SUPERVISOR,
            send_set_password_mail=True,
        )
    assert caught.value.field == "email"


def test_agents_need_a_line(admin_user):
    with pytest.raises(ValidationFailed) as caught:
        staff_create(
            actor=admin_user,
            email="x@desk.test",
            first_name="X",
            role=Role.AGENT,
            password="a-long-unusual-passphrase",
        )
    assert caught.value.field == "support_line"


def test_create_with_set_password_mail(admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = staff_create(
            actor=admin_user,
            email="sup@desk.test",
            first_name="Sue",
            role=Role.SUPERVISOR,
            send_set_password_mail=True,
            domain="desk.example",
            use_https=True,
        )
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sup@desk.test"]
    assert "https://desk.example/" in message.body
    assert message.subject == "Your account at Helpline"
    assert last_event("staff.created").changes["set_password_mail"] == [None, True]


def test_update_records_before_and_after(admin_user, dispatcher):
    staff_update(
        user=dispatcher,
        actor=admin_user,
        email=dispatcher.email,
        first_name="Dana",
        last_name=dispatcher.last_name,
        role=Role.AGENT,
        support_line=2,
        is_active=True,
    )
    assert last_event("staff.changed").changes == {"support_line": [1, 2]}


def test_update_sets_memberships_in_the_same_call(admin_user, dispatcher, support, billing):
    staff_update(
        user=dispatcher,
        actor=admin_user,
        email=dispatcher.email,
        first_name=dispatcher.first_name,
        last_name=dispatcher.last_name,
        role=Role.AGENT,
        support_line=1,
        is_active=True,
        memberships={support.pk: None, billing.pk: {"can_view": True, "can_manage": True}},
    )
    memberships = DepartmentMembership.objects.filter(user=dispatcher)
    assert [(m.department, m.can_manage) for m in memberships] == [(billing, True)]
    assert last_event("membership.removed").changes["department"] == "Support"
    assert last_event("membership.added").changes["department"] == "Billing"


def test_a_bad_membership_row_rolls_back_everything(admin_user, dispatcher, billing):
    with pytest.raises(ValidationFailed):
        staff_update(
            user=dispatcher,
            actor=admin_user,
            email=dispatcher.email,
            first_name="Renamed",
            last_name="",
            role=Role.AGENT,
            support_line=1,
            is_active=True,
            memberships={billing.pk: {"can_reply": True}},
        )
    dispatcher.refresh_from_db()
    assert dispatcher.first_name == "Dana"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"role": Role.SUPERVISOR}, "role"), ({"is_active": False}, "is_active")],
)
def test_an_administrator_cannot_demote_or_deactivate_themselves(admin_user, change, field):
    values = {
        "email": admin_user.email,
        "first_name": admin_user.first_name,
        "last_name": admin_user.last_name,
        "role": Role.ADMIN,
        "support_line": None,
        "is_active": True,
    } | change
    with pytest.raises(ValidationFailed) as caught:
        staff_update(user=admin_user, actor=admin_user, **values)
    assert caught.value.field == field
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_active
    with pytest.raises(ValidationFailed):
        staff_deactivate(user=admin_user, actor=admin_user)


def test_deactivate_keeps_the_account(admin_user, dispatcher):
    staff_deactivate(user=dispatcher, actor=admin_user)
    dispatcher.refresh_from_db()
    assert dispatcher.is_active is False
    assert last_event("staff.deactivated").changes == {"is_active": [True, False]}


def test_requesters_are_not_edited_as_staff(admin_user, requester_a):
    with pytest.raises(ValidationFailed):
        staff_deactivate(user=requester_a, actor=admin_user)


# --- pages ----------------------------------------------------------------------------------


def test_new_staff_page_opens_the_account(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:staff_new"),
        {
            "email": "exp@desk.test",
            "first_name": "Eve",
            "role": Role.AGENT,
            "support_line": "3",
            "password": "a-long-unusual-passphrase",
        },
    )
    user = User.objects.get(email="exp@desk.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:staff_edit", args=[user.pk])
    assert user.support_line == 3 and user.role == Role.AGENT


def test_new_staff_page_needs_password_or_mail(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:staff_new"),
        {"email": "x@desk.test", "first_name": "X", "role": Role.SUPERVISOR},
    )
    assert response.status_code == 200
    assert "Give an initial password or send a set-password mail" in response.content.decode()
    assert not User.objects.filter(email="x@desk.test").exists()


def test_edit_page_saves_role_line_and_rights_at_once(
    client, admin_user, dispatcher, support, billing
):
    client.force_login(admin_user)
    data = edit_data(dispatcher, support_line="2")
    data |= {f"dept_{billing.pk}_can_view": "on", f"dept_{billing.pk}_can_assign": "on"}
    # Support is left with no right ticked: the membership goes.
    response = client.post(reverse("manage:staff_edit", args=[dispatcher.pk]), data)
    assert response.status_code == 302
    dispatcher.refresh_from_db()
    assert dispatcher.support_line == 2
    membership = DepartmentMembership.objects.get(user=dispatcher)
    assert membership.department == billing
    assert membership.can_assign and not membership.can_reply


def test_edit_page_shows_the_current_rights(client, admin_user, dispatcher, support):
    client.force_login(admin_user)
    form = client.get(reverse("manage:staff_edit", args=[dispatcher.pk])).context["form"]
    assert form[f"dept_{support.pk}_can_reply"].value() is True
    assert form[f"dept_{support.pk}_can_manage"].value() is False


def test_self_demotion_is_refused_on_the_page(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:staff_edit", args=[admin_user.pk]),
        edit_data(admin_user, role="agent", support_line="1"),
    )
    assert response.status_code == 200
    assert "cannot take away your own administrator role" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_self_deactivation_is_refused_on_the_page(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:staff_edit", args=[admin_user.pk]), edit_data(admin_user, is_active="")
    )
    assert "cannot deactivate your own account" in response.content.decode()
    response = client.post(reverse("manage:staff_deactivate", args=[admin_user.pk]), follow=True)
    assert "cannot deactivate your own account" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_staff_list_filters(client, admin_user, dispatcher, supervisor, requester_a):
    client.force_login(admin_user)
    people = list(client.get(reverse("manage:staff")).context["people"])
    assert dispatcher in people and supervisor in people and requester_a not in people
    people = list(client.get(reverse("manage:staff"), {"role": "supervisor"}).context["people"])
    assert people == [supervisor]
    people = list(client.get(reverse("manage:staff"), {"q": "dispatcher@"}).context["people"])
    assert people == [dispatcher]


def test_a_superuser_cannot_give_up_the_administrator_role_either(admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    with pytest.raises(ValidationFailed):
        staff_update(
            user=admin_user,
            actor=admin_user,
            email=admin_user.email,
            first_name=admin_user.first_name,
            last_name=admin_user.last_name,
            role=Role.AGENT,
            support_line=1,
            is_active=True,
        )
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_another_administrator_may_be_demoted(admin_user):
    from helpline.accounts.tests.factories import StaffFactory

    other = StaffFactory(role=Role.ADMIN, support_line=None)
    staff_update(
        user=other,
        actor=admin_user,
        email=other.email,
        first_name=other.first_name,
        last_name=other.last_name,
        role=Role.SUPERVISOR,
        support_line=None,
        is_active=True,
    )
    assert last_event("staff.changed").changes == {"role": ["admin", "supervisor"]}
