"""`helpline createadmin`: the first administrator, without a terminal."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from helpline.accounts.models import Role, User
from helpline.audit.models import Event

pytestmark = pytest.mark.django_db

STRONG = "correct-horse-battery-42"


def test_creates_an_administrator_from_options():
    out = StringIO()
    call_command(
        "createadmin",
        "--email",
        "Boss@Example.test",
        "--password",
        STRONG,
        "--name",
        "Bo Ss",
        stdout=out,
    )

    user = User.objects.get(email="boss@example.test")
    assert user.role == Role.ADMIN
    assert user.is_superuser and user.is_staff and user.is_admin
    assert user.check_password(STRONG)
    assert (user.first_name, user.last_name) == ("Bo", "Ss")
    assert "Administrator boss@example.test created." in out.getvalue()
    assert Event.objects.filter(action="staff.created", object_id=str(user.pk)).exists()


def test_takes_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("HELPLINE_ADMIN_PASSWORD", STRONG)

    call_command("createadmin", "--email", "root@example.test", stdout=StringIO())

    assert User.objects.get(email="root@example.test").check_password(STRONG)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", STRONG], "valid --email"),
        (["--email", "not-an-address", "--password", STRONG], "valid --email"),
        (["--email", "a@example.test"], "password is required"),
        (["--email", "a@example.test", "--password", "123"], "too short"),
    ],
)
def test_refuses_bad_input_without_creating_anybody(args, message, monkeypatch):
    monkeypatch.delenv("HELPLINE_ADMIN_PASSWORD", raising=False)

    with pytest.raises(CommandError, match=message):
        call_command("createadmin", *args, stdout=StringIO())

    assert not User.objects.exists()


def test_refuses_an_address_already_taken(admin_user):
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "createadmin",
            "--email",
            admin_user.email.upper(),
            "--password",
            STRONG,
            stdout=StringIO(),
        )
    assert User.objects.count() == 1
