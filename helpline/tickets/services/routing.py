"""Who has a request and how it is classified: field changes, hand-overs, merge and links."""

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Department, Role, SupportLine, User
from helpline.core.errors import ValidationFailed

from ..access import Action, may_be_responsible
from ..history import logged
from ..models import Entry, Status, StatusCategory, Tag, Ticket
from ._common import (
    STATUS_FIELDS,
    apply_status,
    default_status,
    history,
    locked,
    log,
    matrix_priority,
    require,
    touch,
)

EDITABLE = (
    "status",
    "ticket_class",
    "priority",
    "impact",
    "urgency",
    "department",
    "assignee",
    "line",
)


def _check_assignee(assignee: User | None, department_id: int) -> None:
    if assignee is None:
        return
    if not assignee.is_active or not assignee.is_agent_side:
        raise ValidationFailed(_("Requests can only be given to active staff."), field="assignee")
    if not may_be_responsible(assignee, department_id):
        raise ValidationFailed(
            _("%(name)s cannot see requests in this department.") % {"name": assignee},
            field="assignee",
        )


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, actor, reason: str = "", expected_version: int | None = None, **changes
) -> Ticket:
    """Change classification and ownership fields, writing one history entry per changed field.

    Status, class, priority, impact and urgency need the reply right; department, responsible
    person and line need the assign right on the current department: a dispatcher may send a
    request to any active department, including ones they cannot see afterwards.
    Impact or urgency recompute the priority from the matrix unless it was set by hand.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {unknown}")
    ticket = locked(ticket, expected_version)
    if ticket.is_deleted:
        raise ValidationFailed(_("Restore the request from the trash first."))
    if {"department", "assignee", "line"} & changes.keys():
        require(actor, Action.ASSIGN, ticket)
    else:
        require(actor, Action.UPDATE, ticket)

    changed: dict[str, list] = {}
    fields: set[str] = set()

    def record(field: str, old, new) -> None:
        # History keeps ids and codes; the event log the same plus a snapshot of the names.
        history(ticket, actor, field, old, new, reason)
        changed[field] = [logged(field, old), logged(field, new)]

    if "department" in changes and changes["department"].pk != ticket.department_id:
        new_dept: Department = changes["department"]
        if not new_dept.is_active:
            raise ValidationFailed(_("That department is closed."), field="department")
        record("department", ticket.department, new_dept)
        ticket.department = new_dept
        fields.add("department")
        if "assignee" not in changes and ticket.assignee_id:
            assignee = ticket.assignee
            if not may_be_responsible(assignee, new_dept.pk):
                record("assignee", assignee, None)
                ticket.assignee = None
                fields.add("assignee")
    if "assignee" in changes:
        new_assignee = changes["assignee"]
        if (new_assignee.pk if new_assignee else None) != ticket.assignee_id:
            _check_assignee(new_assignee, ticket.department_id)
            record("assignee", ticket.assignee, new_assignee)
            ticket.assignee = new_assignee
            fields.add("assignee")
    if "line" in changes and changes["line"] != ticket.line:
        record("line", ticket.line, changes["line"])
        ticket.line = changes["line"]
        fields.add("line")
    if "ticket_class" in changes and changes["ticket_class"] != ticket.ticket_class:
        record("ticket_class", ticket.ticket_class, changes["ticket_class"])
        ticket.ticket_class = changes["ticket_class"]
        fields.add("ticket_class")
    for level in ("impact", "urgency"):
        if level in changes and changes[level] != getattr(ticket, level):
            record(level, getattr(ticket, level), changes[level])
            setattr(ticket, level, changes[level])
            fields.add(level)
    if "priority" in changes and changes["priority"] != ticket.priority:
        record("priority", ticket.priority, changes["priority"])
        ticket.priority = changes["priority"]
        ticket.priority_overridden = True
        fields |= {"priority", "priority_overridden"}
    elif {"impact", "urgency"} & fields and not ticket.priority_overridden:
        computed = matrix_priority(ticket.impact, ticket.urgency)
        if computed != ticket.priority:
            record("priority", ticket.priority, computed)
            ticket.priority = computed
            fields.add("priority")
    if "status" in changes and changes["status"].pk != ticket.status_id:
        new_status: Status = changes["status"]
        record("status", ticket.status, new_status)
        fields |= set(apply_status(ticket, new_status))

    if fields:
        touch(ticket, *fields)
        log(actor, "ticket.updated", ticket, reason=reason, **changed)
    return ticket


def ticket_take(*, ticket: Ticket, actor) -> Ticket:
    """Make the acting agent responsible ("Take"); a new request becomes open."""
    ticket = ticket_update(ticket=ticket, actor=actor, assignee=actor)
    if ticket.status_category == StatusCategory.NEW:
        ticket = ticket_update(
            ticket=ticket, actor=actor, status=default_status(StatusCategory.OPEN)
        )
    return ticket


def ticket_transfer(*, ticket: Ticket, actor, department: Department, reason: str) -> Ticket:
    """Redirect the request to another department, with a reason; the line follows the
    department's line and the responsible person is released unless they can see it there."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the request is transferred."), field="reason")
    changes: dict = {"department": department}
    if department.line != ticket.line:
        changes["line"] = department.line
    return ticket_update(ticket=ticket, actor=actor, reason=reason.strip(), **changes)


def ticket_escalate(
    *, ticket: Ticket, actor, department: Department | None = None, reason: str = ""
) -> Ticket:
    """Functional escalation: to the next line of support, optionally to another department.

    The responsible person is released so the next line picks the request up."""
    if ticket.line >= SupportLine.THIRD and department is None:
        raise ValidationFailed(_("This request is already at the last line of support."))
    changes: dict = {"line": min(ticket.line + 1, SupportLine.THIRD), "assignee": None}
    if department is not None:
        changes["department"] = department
        changes["line"] = max(changes["line"], department.line)
    return ticket_update(
        ticket=ticket,
        actor=actor,
        reason=(reason or "").strip() or _("Escalated to the next line."),
        **changes,
    )


def ticket_hand_to_supervisor(*, ticket: Ticket, actor, supervisor: User, reason: str) -> Ticket:
    """Hierarchical escalation: the supervisor becomes responsible, with a reason."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the supervisor should take this."), field="reason")
    if supervisor.role not in {Role.SUPERVISOR, Role.ADMIN}:
        raise ValidationFailed(_("Choose a supervisor."), field="supervisor")
    return ticket_update(ticket=ticket, actor=actor, reason=reason.strip(), assignee=supervisor)


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor) -> Ticket:
    """Move the thread of `source` into `target` and close `source` as merged.

    Both must belong to the same requester, so nobody's correspondence reaches another person;
    different requesters' requests are linked instead.
    """
    if source.pk == target.pk:
        raise ValidationFailed(_("A request cannot be merged into itself."), field="target")
    source, target = locked(source), locked(target)
    require(actor, Action.ASSIGN, source)
    require(actor, Action.UPDATE, target)
    if source.requester_id != target.requester_id:
        raise ValidationFailed(
            _("Only requests from the same requester can be merged; link them instead."),
            field="target",
        )
    if source.is_deleted or target.is_deleted or source.merged_into_id:
        raise ValidationFailed(_("These requests cannot be merged."), field="target")
    Entry.objects.filter(ticket=source).update(ticket=target)
    source.attachments.update(ticket=target)
    target.watchers.add(*source.watchers.all())
    target.tags.add(*source.tags.all())
    history(target, actor, "merged", source, target, source.subject)
    old = source.status
    closed = default_status(StatusCategory.CLOSED)
    apply_status(source, closed)
    source.merged_into = target
    history(source, actor, "merged", source, target)
    history(source, actor, "status", old, closed)
    touch(source, *STATUS_FIELDS, "merged_into")
    touch(target)
    log(actor, "ticket.merged", source, into=target.pk)
    return target


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, actor) -> None:
    """Link two related requests both ways; needs the view right on both."""
    if ticket.pk == other.pk:
        raise ValidationFailed(_("A request cannot be linked to itself."), field="other")
    require(actor, Action.LINK, ticket)
    require(actor, Action.LINK, other)
    if ticket.links.filter(pk=other.pk).exists():
        return
    ticket.links.add(other)
    history(ticket, actor, "link", None, other)
    history(other, actor, "link", None, ticket)
    touch(ticket)
    log(actor, "ticket.linked", ticket, other=other.pk)


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, other: Ticket, actor) -> None:
    """Remove the link between two requests. A link is one fact shared by both, so removing it
    needs the view right on both, and both histories record it."""
    require(actor, Action.LINK, ticket)
    require(actor, Action.LINK, other)
    if not ticket.links.filter(pk=other.pk).exists():
        return
    ticket.links.remove(other)
    history(ticket, actor, "link", other, None)
    history(other, actor, "link", ticket, None)
    touch(ticket)
    log(actor, "ticket.unlinked", ticket, other=other.pk)


@transaction.atomic
def ticket_watch(*, ticket: Ticket, actor, watch: bool) -> None:
    """Follow or stop following a request (staff with the view right)."""
    require(actor, Action.WATCH, ticket)
    if watch:
        ticket.watchers.add(actor)
    else:
        ticket.watchers.remove(actor)
    log(actor, "ticket.watched" if watch else "ticket.unwatched", ticket)


@transaction.atomic
def ticket_tags_set(*, ticket: Ticket, actor, names: list[str]) -> None:
    """Replace the request's tags (needs the reply right); tags are created on first use."""
    require(actor, Action.UPDATE, ticket)
    wanted = sorted({n.strip().lower()[:50] for n in names if n.strip()})
    current = sorted(ticket.tags.values_list("name", flat=True))
    if wanted == current:
        return
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    ticket.tags.set(tags)
    history(ticket, actor, "tags", current, wanted)
    touch(locked(ticket))
    log(actor, "ticket.tagged", ticket, tags=[current, wanted])
