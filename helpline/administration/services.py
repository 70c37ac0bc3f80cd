"""Administrators' writes to the installation-wide settings."""

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.services import STAFF_ROLES
from helpline.audit.changes import diff, snapshot
from helpline.audit.services import event_record
from helpline.core.errors import ValidationFailed
from helpline.core.models import SiteSettings

SETTINGS_FIELDS = (
    "desk_name",
    "portal_welcome",
    "anonymous_submission",
    "allow_signup",
    "auto_close_days",
    "max_attachment_mb",
    "allowed_types",
    "blocked_types",
    "mfa_required_staff",
    "mfa_required_roles",
)
# Larger uploads belong in a file-sharing service, not in a ticket.
MAX_ATTACHMENT_MB = 1024


def _type_list(raw: str) -> list[str]:
    items = raw.replace(",", " ").replace(";", " ").split()
    # Order kept as typed (without repeats), so re-saving unchanged text records no change.
    return list(
        dict.fromkeys(item.strip().lstrip(".").lower() for item in items if item.strip(". "))
    )


@transaction.atomic
def site_settings_update(*, actor, **values) -> SiteSettings:
    """Change the installation's settings; file types are normalised to a list.

    A type cannot be both allowed and blocked. Records settings.changed with before/after.
    """
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not a setting: {unknown}")
    row = SiteSettings.current()
    row = SiteSettings.objects.select_for_update().get(pk=row.pk)
    before = snapshot(row, SETTINGS_FIELDS)
    for name, value in values.items():
        setattr(row, name, value)
    row.desk_name = (row.desk_name or "").strip()
    if not row.desk_name:
        raise ValidationFailed(_("The desk needs a name."), field="desk_name")
    if not 1 <= int(row.max_attachment_mb) <= MAX_ATTACHMENT_MB:
        raise ValidationFailed(
            _("The largest attachment must be between 1 and %(max)s MB.")
            % {"max": MAX_ATTACHMENT_MB},
            field="max_attachment_mb",
        )
    allowed, blocked = _type_list(row.allowed_types), _type_list(row.blocked_types)
    both = sorted(set(allowed) & set(blocked))
    if both:
        raise ValidationFailed(
            _("These types are both allowed and blocked: %(types)s.") % {"types": ", ".join(both)},
            field="allowed_types",
        )
    for field, items in (("allowed_types", allowed), ("blocked_types", blocked)):
        if any(not item.isalnum() for item in items):
            raise ValidationFailed(
                _("File types are extensions made of letters and digits, such as pdf or png."),
                field=field,
            )
    staff_roles = {str(role) for role in STAFF_ROLES}
    roles = [str(role) for role in (row.mfa_required_roles or [])]
    if not set(roles) <= staff_roles:
        raise ValidationFailed(
            _("Two-step sign-in can be required of staff roles only."), field="mfa_required_roles"
        )
    row.mfa_required_roles = [role for role in STAFF_ROLES if role in roles]
    row.allowed_types = ", ".join(allowed)
    row.blocked_types = ", ".join(blocked)
    row.save()
    changes = diff(before, snapshot(row, SETTINGS_FIELDS))
    if changes:
        event_record(
            actor=actor,
            action="settings.changed",
            obj=row,
            changes=changes,
            object_repr="Settings",
        )
    return row
