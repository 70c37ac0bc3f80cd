"""The desk's structure as reference data (`helpline.core.reference`): departments, the staff
who can see each department. Kept per process, read afresh after any change to departments,
memberships or staff."""

from typing import Any

from django.db.models import Model

from helpline.core.reference import reference_models, remembered

from .models import Department, DepartmentMembership, Role, User


def departments_all() -> list[Department]:
    """Every department, active or not, in tree order (by path)."""
    return list(
        remembered("accounts:departments", lambda: list(Department.objects.order_by("path")))
    )


def department_paths() -> dict[int, str]:
    return dict(
        remembered(
            "accounts:department-paths", lambda: dict(Department.objects.values_list("id", "path"))
        )
    )


def memberships_of(user_id: int) -> list[DepartmentMembership]:
    return list(
        remembered(
            f"accounts:memberships:{user_id}",
            lambda: list(DepartmentMembership.objects.filter(user_id=user_id)),
        )
    )


def _staff_change(user: Model, kwargs: dict[str, Any]) -> bool:
    """Whether a saved or deleted person changes what reference data holds: staff (and who was
    staff until now), not a requester registering or anybody signing in."""
    assert isinstance(user, User)
    fields = kwargs.get("update_fields")
    if fields is not None and set(fields) <= {"last_login", "password"}:
        return False
    return (
        user.role in Role.STAFF or user.is_superuser or getattr(user, "_helpline_was_staff", False)
    )


def connect() -> None:
    reference_models([Department, DepartmentMembership])
    reference_models([User], when=_staff_change)
