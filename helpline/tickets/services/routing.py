"""Who has a request and how it is classified: field changes, hand-overs, merge and links."""

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Department, Role, SupportLine, User
from helpline.core.errors import ValidationFailed

from ..access import Action, may_be_responsible
from ..history import logged
from ..models import Entry, Status, StatusCategory, Tag, Ticket
from ..notices import NoticeKind, notice
from ._common import (
    STATUS_FIELDS,
    apply_status,
    check_version,
    default_status,
    history,
    locked,
    locked_together,
    log,
    matrix_priority,
    require,
    touch,
)
from .arrival import ticket_arrived

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
    before = (ticket.line, ticket.status_category)

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
        # Into a department, or up a line within it, with nobody responsible: its rule may pick.
        if "department" in fields or ("line" in fields and ticket.line > before[0]):
            ticket_arrived(ticket)
        _announce(ticket, actor, fields, before, reason)
    return ticket


def _announce(
    ticket: Ticket, actor, fields: set[str], before: tuple[int, str], reason: str
) -> None:
    """The notices an update makes: who has the request now, and where it stands."""
    line_before, category_before = before
    # Up a line (functional escalation, possibly into another department) reads as an
    # escalation; a move within the same line is a transfer.
    if "line" in fields and ticket.line > line_before:
        notice(
            NoticeKind.ESCALATED,
            ticket,
            actor=actor,
            line=ticket.line,
            department=ticket.department_id,
            reason=reason,
        )
    elif "department" in fields:
        notice(
            NoticeKind.TRANSFERRED,
            ticket,
            actor=actor,
            department=ticket.department_id,
            reason=reason,
        )
    if "assignee" in fields and ticket.assignee_id:
        notice(NoticeKind.ASSIGNED, ticket, actor=actor, assignee=ticket.assignee_id, reason=reason)
    if "status" in fields and ticket.status_category != category_before:
        kind = {
            StatusCategory.RESOLVED: NoticeKind.RESOLVED,
            StatusCategory.CLOSED: NoticeKind.CLOSED,
        }.get(ticket.status_category)
        if kind is not None:
            notice(kind, ticket, actor=actor)


@transaction.atomic
def ticket_take(*, ticket: Ticket, actor, expected_version: int | None = None) -> Ticket:
    """Make the acting agent responsible ("Take"); a new request becomes open.

    One transaction and one version step: the status is decided on the locked row, so two
    agents pressing Take at once end with one owner and the other told who was faster (when
    their page's version is given).
    """
    fresh = locked(ticket, expected_version)
    changes: dict = {"assignee": actor}
    if fresh.status_category == StatusCategory.NEW:
        changes["status"] = default_status(StatusCategory.OPEN)
    return ticket_update(ticket=fresh, actor=actor, **changes)


def ticket_transfer(
    *,
    ticket: Ticket,
    actor,
    department: Department,
    reason: str,
    expected_version: int | None = None,
) -> Ticket:
    """Redirect the request to another department, with a reason; the line follows the
    department's line and the responsible person is released unless they can see it there."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the request is transferred."), field="reason")
    changes: dict = {"department": department}
    if department.line != ticket.line:
        changes["line"] = department.line
    return ticket_update(
        ticket=ticket,
        actor=actor,
        reason=reason.strip(),
        expected_version=expected_version,
        **changes,
    )


def ticket_escalate(
    *,
    ticket: Ticket,
    actor,
    department: Department | None = None,
    reason: str = "",
    expected_version: int | None = None,
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
        expected_version=expected_version,
        **changes,
    )


def ticket_hand_to_supervisor(
    *, ticket: Ticket, actor, supervisor: User, reason: str, expected_version: int | None = None
) -> Ticket:
    """Hierarchical escalation: the supervisor becomes responsible, with a reason."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the supervisor should take this."), field="reason")
    if supervisor.role not in Role.SUPERVISING:
        raise ValidationFailed(_("Choose a supervisor."), field="supervisor")
    return ticket_update(
        ticket=ticket,
        actor=actor,
        reason=reason.strip(),
        expected_version=expected_version,
        assignee=supervisor,
    )


@transaction.atomic
def ticket_merge(
    *, source: Ticket, target: Ticket, actor, expected_version: int | None = None
) -> Ticket:
    """Move the thread of `source` into `target` and close `source` as merged.

    Both must belong to the same requester, so nobody's correspondence reaches another person;
    different requesters' requests are linked instead. The target must be a live request: not
    merged itself (so merges never form a cycle or a chain), not closed, not in the trash.
    Both rows are locked in id order, so opposite merges at the same moment queue: the second
    finds its target already merged and is refused. `expected_version` is the source's.
    """
    if source.pk == target.pk:
        raise ValidationFailed(_("A request cannot be merged into itself."), field="target")
    rows = locked_together(source, target)
    source, target = rows[source.pk], rows[target.pk]
    check_version(source, expected_version)
    require(actor, Action.ASSIGN, source)
    require(actor, Action.UPDATE, target)
    if source.requester_id != target.requester_id:
        raise ValidationFailed(
            _("Only requests from the same requester can be merged; link them instead."),
            field="target",
        )
    if source.is_deleted or source.merged_into_id:
        raise ValidationFailed(_("This request cannot be merged any more."), field="target")
    if target.merged_into_id == source.pk:
        raise ValidationFailed(
            _("%(target)s was already merged into this request.") % {"target": target.reference},
            field="target",
        )
    if target.merged_into_id:
        raise ValidationFailed(
            _("%(target)s was itself merged into %(next)s; merge into that one instead.")
            % {"target": target.reference, "next": f"#{target.merged_into_id}"},
            field="target",
        )
    if target.is_deleted:
        raise ValidationFailed(
            _("%(target)s is in the trash.") % {"target": target.reference}, field="target"
        )
    if target.status_category == StatusCategory.CLOSED:
        raise ValidationFailed(
            _("%(target)s is closed; merge into an open request.") % {"target": target.reference},
            field="target",
        )
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
def ticket_link(*, ticket: Ticket, other: Ticket, actor) -> bool:
    """Link two related requests both ways; needs the view right on both.

    Both rows are locked in id order before the check, so linking A to B while someone links
    B to A makes one link: the second finds it there. Returns whether a link was made.
    """
    if ticket.pk == other.pk:
        raise ValidationFailed(_("A request cannot be linked to itself."), field="other")
    rows = locked_together(ticket, other)
    ticket, other = rows[ticket.pk], rows[other.pk]
    require(actor, Action.LINK, ticket)
    require(actor, Action.LINK, other)
    if ticket.links.filter(pk=other.pk).exists():
        return False
    ticket.links.add(other)
    history(ticket, actor, "link", None, other)
    history(other, actor, "link", None, ticket)
    touch(ticket)
    touch(other)
    log(actor, "ticket.linked", ticket, other=other.pk)
    return True


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, other: Ticket, actor) -> bool:
    """Remove the link between two requests; returns whether there was one. A link is one fact
    shared by both, so removing it needs the view right on both, and both histories record it."""
    rows = locked_together(ticket, other)
    ticket, other = rows[ticket.pk], rows[other.pk]
    require(actor, Action.LINK, ticket)
    require(actor, Action.LINK, other)
    if not ticket.links.filter(pk=other.pk).exists():
        return False
    ticket.links.remove(other)
    history(ticket, actor, "link", other, None)
    history(other, actor, "link", ticket, None)
    touch(ticket)
    log(actor, "ticket.unlinked", ticket, other=other.pk)
    return True


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
def ticket_tags_set(
    *, ticket: Ticket, actor, names: list[str], expected_version: int | None = None
) -> None:
    """Replace the request's tags (needs the reply right); tags are created on first use.

    A name longer than a tag can hold is refused, never cut short."""
    ticket = locked(ticket, expected_version)
    require(actor, Action.UPDATE, ticket)
    limit = Tag._meta.get_field("name").max_length
    wanted = sorted({n.strip().lower() for n in names if n.strip()})
    too_long = [name for name in wanted if len(name) > limit]
    if too_long:
        raise ValidationFailed(
            _("A tag can be at most %(limit)s characters long: “%(tag)s”.")
            % {"limit": limit, "tag": too_long[0]},
            field="tags",
        )
    current = sorted(ticket.tags.values_list("name", flat=True))
    if wanted == current:
        return
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    ticket.tags.set(tags)
    history(ticket, actor, "tags", current, wanted)
    touch(ticket)
    log(actor, "ticket.tagged", ticket, tags=[current, wanted])
