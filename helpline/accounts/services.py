"""Writes for people and departments: requester registration, department tree upkeep."""

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.audit.services import event_record
from helpline.core.errors import ValidationFailed

from .models import Department, Organisation, Role, User


def organisation_for_email(email: str) -> Organisation | None:
    domain = email.rsplit("@", 1)[-1].lower()
    return Organisation.objects.filter(domain__iexact=domain, is_active=True).first()


def requester_register(
    *, email: str, name: str = "", phone: str = "", organisation: Organisation | None = None
) -> User:
    """Find the requester with this address or register one (no password until they set it).

    The organisation is taken from the mail domain when not given.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise ValidationFailed(_("A valid email address is required."), field="email")
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    first, _sep, last = name.strip().partition(" ")
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            first_name=first[:150],
            last_name=last[:150],
            phone=phone[:50],
            role=Role.REQUESTER,
            organisation=organisation or organisation_for_email(email),
        )
        event_record(actor=None, action="requester.registered", obj=user)
    return user


@transaction.atomic
def department_save(*, department: Department, actor) -> Department:
    """Create or update a department; a department cannot move below itself."""
    if department.parent_id and department.pk:
        parent = Department.objects.get(pk=department.parent_id)
        if parent.path.startswith(department.path) and department.path != "/":
            raise ValidationFailed(_("A department cannot be placed below itself."), field="parent")
    created = department.pk is None
    department.save()
    event_record(
        actor=actor,
        action="department.created" if created else "department.changed",
        obj=department,
        changes={"name": department.name, "parent": department.parent_id},
    )
    return department
