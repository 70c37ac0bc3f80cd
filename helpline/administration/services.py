"""Configuration writes, all of them: the installation's settings, statuses, the priority matrix
and portal topics. Each checks its input, runs in a transaction and records its event.

(Departments, staff and organisations are people and rights: `helpline.accounts.services`.)
"""

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Role
from helpline.audit.changes import diff, snapshot
from helpline.audit.services import deactivated_with_event, event_record, saved_with_event
from helpline.core.errors import ValidationFailed
from helpline.core.models import SiteSettings
from helpline.core.reference import changed as reference_changed
from helpline.tickets.models import (
    Level,
    Priority,
    PriorityRule,
    Status,
    StatusCategory,
    Ticket,
    Topic,
)

# --- installation settings --------------------------------------------------------------------

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
    staff_roles = set(Role.STAFF)
    roles = [str(role) for role in (row.mfa_required_roles or [])]
    if not set(roles) <= staff_roles:
        raise ValidationFailed(
            _("Two-step sign-in can be required of staff roles only."), field="mfa_required_roles"
        )
    row.mfa_required_roles = [role for role in Role.STAFF if role in roles]
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


# --- statuses, the priority matrix, topics ------------------------------------------------------

STATUS_FIELDS = ("name", "category", "order", "is_default", "is_active")


def _category_label(category: str) -> str:
    return str(StatusCategory(category).label)


@transaction.atomic
def status_save(*, status: Status, actor) -> Status:
    """Create or update a status; every category keeps exactly one active default status.

    Making a status the default unsets the old default in the same transaction (the old one is
    unset first: the `status_one_default` constraint is checked per statement). The default
    itself cannot be unset, deactivated or moved: make another status the default first.
    A status in use cannot change category, because requests copy their status's category.
    The first active status of a category becomes its default. Records status.* events.
    """
    status.name = (status.name or "").strip()
    if not status.name:
        raise ValidationFailed(_("The status needs a name."), field="name")
    if status.category not in StatusCategory.values:
        raise ValidationFailed(_("Choose a category."), field="category")
    clash = Status.objects.filter(name__iexact=status.name)
    before: dict = {}
    if status.pk:
        clash = clash.exclude(pk=status.pk)
        current = Status.objects.select_for_update().get(pk=status.pk)
        before = snapshot(current, STATUS_FIELDS)
        if current.category != status.category:
            if current.is_default:
                raise ValidationFailed(
                    _(
                        "This is the default status of “%(category)s”: make another status the "
                        "default there first."
                    )
                    % {"category": _category_label(current.category)},
                    field="category",
                )
            if Ticket.objects.filter(status=current).exists():
                raise ValidationFailed(
                    _(
                        "Requests use this status, so its category cannot change. Add a new status "
                        "instead."
                    ),
                    field="category",
                )
        if current.is_default and not status.is_default:
            raise ValidationFailed(
                _("Each category needs a default status: make another status the default instead."),
                field="is_default",
            )
    if clash.exists():
        raise ValidationFailed(_("Another status has this name."), field="name")
    if status.is_default and not status.is_active:
        raise ValidationFailed(_("The default status must stay active."), field="is_active")

    others = Status.objects.select_for_update().filter(category=status.category)
    if status.pk:
        others = others.exclude(pk=status.pk)
    old_default = next((s for s in others if s.is_default), None)
    if old_default is None and status.is_active:
        status.is_default = True
    if status.is_default and old_default is not None:
        Status.objects.filter(pk=old_default.pk).update(is_default=False)
        reference_changed()  # a queryset update sends no post_save
        event_record(
            actor=actor,
            action="status.changed",
            obj=old_default,
            changes={"is_default": [True, False]},
        )
    return saved_with_event(status, actor=actor, kind="status", before=before, fields=STATUS_FIELDS)


@transaction.atomic
def status_remove(*, status: Status, actor) -> str:
    """Delete an unused status, or deactivate one that requests use; never the default.

    Returns "deleted" or "deactivated".
    """
    status = Status.objects.select_for_update().get(pk=status.pk)
    if status.is_default:
        raise ValidationFailed(
            _(
                "The default status of a category cannot be removed: make another status the "
                "default first."
            )
        )
    if Ticket.objects.filter(status=status).exists():
        deactivated_with_event(status, actor=actor, kind="status")
        return "deactivated"
    event_record(
        actor=actor,
        action="status.deleted",
        obj=status,
        changes={k: [v, None] for k, v in snapshot(status, STATUS_FIELDS).items()},
    )
    status.delete()
    return "deleted"


def _cell_name(impact: int, urgency: int) -> str:
    # Stored in English enum names, so the log reads the same whatever the viewer's language.
    return f"{Level(impact).name.lower()} impact × {Level(urgency).name.lower()} urgency"


@transaction.atomic
def priority_matrix_save(*, cells: Mapping[tuple[int, int], int], actor) -> dict:
    """Replace the whole impact × urgency → priority matrix at once; records one event.

    Requests keep the priority they were given; new classifications use the new matrix.
    """
    wanted = {(int(i), int(u)): int(p) for (i, u), p in cells.items()}
    expected = {(i, u) for i in Level.values for u in Level.values}
    if set(wanted) != expected:
        raise ValidationFailed(_("Every cell of the matrix needs a priority."))
    if any(p not in Priority.values for p in wanted.values()):
        raise ValidationFailed(_("Choose a priority for every cell."))
    current = {
        (rule.impact, rule.urgency): rule
        for rule in PriorityRule.objects.select_for_update().order_by("impact", "urgency")
    }
    changes = {}
    for (impact, urgency), priority in sorted(wanted.items()):
        rule = current.get((impact, urgency))
        if rule is None:
            PriorityRule.objects.create(impact=impact, urgency=urgency, priority=priority)
            old = None
        elif rule.priority != priority:
            old = Priority(rule.priority).name.lower()
            rule.priority = priority
            rule.save(update_fields=["priority"])
        else:
            continue
        changes[_cell_name(impact, urgency)] = [old, Priority(priority).name.lower()]
    if changes:
        event_record(
            actor=actor,
            action="priority_matrix.changed",
            object_repr="Priority matrix",
            changes=changes,
        )
    return changes


TOPIC_FIELDS = ("name", "description", "department", "default_class", "order", "is_active")


@transaction.atomic
def topic_save(*, topic: Topic, actor) -> Topic:
    """Create or update a portal topic; an active topic must route to an active department."""
    topic.name = (topic.name or "").strip()
    if not topic.name:
        raise ValidationFailed(_("The topic needs a name."), field="name")
    clash = Topic.objects.filter(name__iexact=topic.name)
    before: dict = {}
    if topic.pk:
        clash = clash.exclude(pk=topic.pk)
        before = snapshot(
            Topic.objects.select_for_update(of=("self",))
            .select_related("department")
            .get(pk=topic.pk),
            TOPIC_FIELDS,
        )
    if clash.exists():
        raise ValidationFailed(_("Another topic has this name."), field="name")
    if topic.is_active and not topic.department.is_active:
        raise ValidationFailed(
            _("This department is closed; choose an active one."), field="department"
        )
    return saved_with_event(topic, actor=actor, kind="topic", before=before, fields=TOPIC_FIELDS)
