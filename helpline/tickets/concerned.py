"""Who among staff a notice concerns: the one decision the mail letters and the desk's
notifications centre share (decision 0013, "Who gets what").

Each channel then applies its own filter: letters go to those who chose them in their profile,
the notifications centre shows every one of them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from helpline.accounts.models import DepartmentMembership, Role, StaffNotice, User

from .access import Action, can
from .models import Ticket
from .notices import NoticeKind


@dataclass(frozen=True)
class Concerned:
    """A staff member a notice is about, and the profile choice that covers it."""

    user: User
    choice: str  # a StaffNotice


Wanted = Callable[[User, str], bool]


def _staff(
    users: Iterable[User | None],
    ticket: Ticket,
    actor_id: int | None,
    choice: str,
    wanted: Wanted | None,
) -> list[Concerned]:
    """Active staff among `users` who may see the request and did not cause it (and, with
    `wanted`, who want to hear of it: asked before the access check, which may cost a query)."""
    seen: set[int] = set()
    out: list[Concerned] = []
    for user in users:
        if user is None or user.pk in seen or user.pk in (actor_id, ticket.requester_id):
            continue
        seen.add(user.pk)
        if not (user.is_active and user.is_agent_side):
            continue
        if (wanted is None or wanted(user, choice)) and can(user, Action.VIEW, ticket):
            out.append(Concerned(user, choice))
    return out


def department_staff(ticket: Ticket) -> list[User]:
    """Active staff with the view right in the request's department or one above it."""
    ancestors = [int(pk) for pk in ticket.department.path.strip("/").split("/") if pk]
    members = DepartmentMembership.objects.filter(
        department_id__in=ancestors, can_view=True
    ).values("user_id")
    return list(
        User.objects.filter(pk__in=members, is_active=True, role__in=Role.STAFF).order_by("pk")
    )


def staff_concerned(
    kind: str,
    ticket: Ticket,
    *,
    actor_id: int | None,
    data: dict[str, Any],
    wanted: Wanted | None = None,
) -> list[Concerned]:
    """The staff a `kind` notice about `ticket` concerns (never the actor, never the requester,
    only people who may see the request); `wanted(user, choice)` narrows it to a channel's
    takers."""
    if kind == NoticeKind.CREATED:
        return _staff(
            department_staff(ticket), ticket, actor_id, StaffNotice.NEW_IN_DEPARTMENT, wanted
        )
    if kind == NoticeKind.REQUESTER_REPLIED:
        # all(): a request read with its watchers known to be none (the mail intake's locked
        # look-up) answers from that, without a query.
        people = [ticket.assignee, *sorted(ticket.watchers.all(), key=lambda user: user.pk)]
        return _staff(people, ticket, actor_id, StaffNotice.REQUESTER_REPLIED, wanted)
    if kind == NoticeKind.ASSIGNED:
        assignee = User.objects.filter(pk=data.get("assignee")).first()
        if assignee is not None and assignee.pk == ticket.assignee_id:
            return _staff([assignee], ticket, actor_id, StaffNotice.ASSIGNED, wanted)
        return []
    if kind in (NoticeKind.TRANSFERRED, NoticeKind.ESCALATED):
        handlers: list[User]
        if ticket.assignee is not None:
            handlers = [ticket.assignee]
        else:
            handlers = department_staff(ticket)
            if kind == NoticeKind.ESCALATED:
                # The next line: people of that line (or without one), not the line it left.
                handlers = [
                    p for p in handlers if p.support_line is None or p.support_line >= ticket.line
                ]
        return _staff(handlers, ticket, actor_id, StaffNotice.TRANSFERRED, wanted)
    if kind == NoticeKind.MENTIONED:
        ids = [int(pk) for pk in data.get("mentioned", [])]
        people = list(User.objects.filter(pk__in=ids).order_by("pk"))
        return _staff(people, ticket, actor_id, StaffNotice.MENTIONED, wanted)
    return []
