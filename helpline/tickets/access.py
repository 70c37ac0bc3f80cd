"""Who may see and do what on requests: the one place the desk, the portal, the ticket services
(and later mail, the API and reports) ask.

Staff act through department rights (`helpline.accounts.access`), inherited down the department
tree; supervisors and administrators see everything; the responsible person may always read and
work their own request. External providers are staff whose work is what was given to them (their
departments' requests and those they are responsible for); they get no requester directory.
Requesters see their own requests and, when their organisation shares them and they have proved
their address, their colleagues'; they act on a colleague's request only if the organisation
allows it.

Two kinds of answers: querysets and Q filters ("which tickets, entries, attachments, requesters
may this person see"), and predicates (`can`, `require`: "may this person do this action on this
ticket"). Querysets use subqueries, never Python lists of ticket ids, so they stay cheap on a
large desk.
"""

from collections.abc import Callable
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from helpline.accounts.access import access_for
from helpline.accounts.addresses import primary_address_proved, primary_address_verified
from helpline.accounts.models import Organisation, Role, User
from helpline.core.errors import PermissionDenied

from .models import Attachment, Entry, EntryKind, Tag, Ticket

NOTHING = Q(pk__in=[])


class Action(StrEnum):
    """What someone may want to do with a request."""

    VIEW = "view"  # read it (staff: the whole thread; requesters: the public part)
    REPLY = "reply"  # a public reply
    NOTE = "note"  # an internal note (staff)
    WATCH = "watch"  # follow it (staff)
    LINK = "link"  # link it to, or unlink it from, another request (staff)
    UPDATE = "update"  # status, class, priority, impact, urgency, tags (staff)
    ASSIGN = "assign"  # department, responsible person, line; merge it away (staff)
    MANAGE = "manage"  # move it to the trash (staff)
    SUPERVISE = "supervise"  # restore from or purge out of the trash (supervisors, admins)
    CONFIRM = "confirm"  # confirm a solution (requester side)
    REOPEN = "reopen"  # say a solution did not work (requester side)


# The department right each staff action needs.
_STAFF_RIGHT: dict[str, str] = {
    Action.VIEW: "view",
    Action.NOTE: "view",
    Action.WATCH: "view",
    Action.LINK: "view",
    Action.REPLY: "reply",
    Action.UPDATE: "reply",
    Action.ASSIGN: "assign",
    Action.MANAGE: "manage",
}
# The responsible person may always read and work their own request, whatever their rights.
_ASSIGNEE_ACTIONS: set[str] = {
    Action.VIEW,
    Action.NOTE,
    Action.WATCH,
    Action.LINK,
    Action.REPLY,
    Action.UPDATE,
}
# What a requester (or a staff member on a request they asked themselves) may do.
_REQUESTER_ACTIONS: set[str] = {Action.VIEW, Action.REPLY, Action.CONFIRM, Action.REOPEN}

_REFUSALS: dict[str, Callable[[], str]] = {
    Action.CONFIRM: lambda: _("Only the requester can confirm or reopen this request."),
    Action.REOPEN: lambda: _("Only the requester can confirm or reopen this request."),
    Action.SUPERVISE: lambda: _("Only supervisors and administrators can do this."),
}


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _is_staff(user) -> bool:
    return _signed_in(user) and user.is_agent_side


def is_staff(user) -> bool:
    """Signed in, active and on the desk's side (who may read internal notes they can open)."""
    return _is_staff(user)


# --- staff side -----------------------------------------------------------------------------


def staff_ticket_filter(user, prefix: str = "") -> Q | None:
    """The Q limiting tickets to those `user` may open on the desk; None means every ticket."""
    if not _is_staff(user):
        return NOTHING
    access = access_for(user)
    if access.everything:
        return None
    return Q(**{f"{prefix}department_id__in": access.view}) | Q(**{f"{prefix}assignee_id": user.pk})


def desk_tickets(user) -> QuerySet[Ticket]:
    """Tickets `user` may open on the desk (trashed ones included: the trash view narrows)."""
    condition = staff_ticket_filter(user)
    qs = Ticket.objects.all()
    return qs if condition is None else qs.filter(condition)


def staff_can(user, action: str, ticket: Ticket) -> bool:
    """`can` for the desk: only the staff member's rights count, not being the requester."""
    if not _is_staff(user):
        return False
    if action == Action.SUPERVISE:
        return user.is_supervisor_or_admin
    right = _STAFF_RIGHT.get(action)
    if right is None:
        return False
    if action in _ASSIGNEE_ACTIONS and ticket.assignee_id == user.pk:
        return True
    return access_for(user).can(right, ticket.department_id)


def departments_with(user, right: str) -> frozenset[int] | None:
    """Ids of the departments where `user` holds `right`; None means all of them."""
    if not _is_staff(user):
        return frozenset()
    access = access_for(user)
    return None if access.everything else getattr(access, right)


def may_be_responsible(user, department_id: int) -> bool:
    """Whether `user` can be made responsible for a request in the department: active staff who
    can see it there."""
    return (
        user is not None
        and user.is_active
        and user.is_agent_side
        and access_for(user).can("view", department_id)
    )


def require_open_in(user, department, *, assignee=None) -> None:
    """Staff open a request on someone's behalf only where they hold the reply right, and make
    someone responsible on the way only where they hold the assign right."""
    if not _is_staff(user):
        raise PermissionDenied(_("Only staff can open a request for someone else."))
    access = access_for(user)
    if not access.can("reply", department.pk):
        raise PermissionDenied(
            _("You do not have the right to open requests in %(department)s.")
            % {"department": department.name}
        )
    if assignee is not None and not access.can("assign", department.pk):
        raise PermissionDenied(
            _("You do not have the right to assign requests in %(department)s.")
            % {"department": department.name}
        )


# --- requester side -------------------------------------------------------------------------


def _sharing_organisation(user) -> Organisation | None:
    """The user's organisation when it shares its requests with its members (requesters only),
    and only once the user has proved their primary address: an organisation joined by the mail
    domain of an address somebody merely typed must not show its requests to whoever typed it."""
    if not _signed_in(user) or user.is_agent_side or not user.organisation_id:
        return None
    if not User.organisation.is_cached(user):
        # The organisation and whether its member proved their address, in one query.
        organisation = (
            Organisation.objects.filter(pk=user.organisation_id)
            .annotate(member_proved=Exists(primary_address_proved(user)))
            .first()
        )
        if organisation is None:
            return None
        user.organisation = organisation
        user._helpline_verified = organisation.member_proved
    organisation = user.organisation
    if not organisation.is_active or not organisation.shared_requests:
        return None
    if not primary_address_verified(user):
        return None
    return organisation


def organisation_shares(user) -> bool:
    """Whether `user` may read their organisation's requests in the portal."""
    return _sharing_organisation(user) is not None


def organisation_acts(user) -> bool:
    """Whether `user` may also reply to, confirm and reopen their colleagues' requests."""
    organisation = _sharing_organisation(user)
    return organisation is not None and organisation.colleagues_may_act


def portal_ticket_filter(user, prefix: str = "") -> Q:
    """Tickets `user` may read in the portal: those they asked, and their organisation's when it
    shares them; never trashed ones. Staff see only the requests they asked themselves."""
    if not _signed_in(user):
        return NOTHING
    condition = Q(**{f"{prefix}requester_id": user.pk})
    if organisation_shares(user):
        condition |= Q(**{f"{prefix}organisation_id": user.organisation_id})
    return condition & Q(**{f"{prefix}deleted_at__isnull": True})


def portal_tickets(user) -> QuerySet[Ticket]:
    return Ticket.objects.filter(portal_ticket_filter(user))


def requester_can(user, action: str, ticket: Ticket) -> bool:
    """`can` for the portal: ownership, or organisation sharing (reading; acting if allowed)."""
    if action not in _REQUESTER_ACTIONS or not _signed_in(user) or ticket.deleted_at is not None:
        return False
    if ticket.requester_id == user.pk:
        return True
    if not ticket.organisation_id or ticket.organisation_id != user.organisation_id:
        return False
    if action == Action.VIEW:
        return organisation_shares(user)
    return organisation_acts(user)


# --- both -----------------------------------------------------------------------------------


def can(user, action: str, ticket: Ticket) -> bool:
    """May `user` do `action` on `ticket`? Staff by their rights, requesters by ownership and
    organisation sharing; a staff member on a request they asked themselves acts as requester."""
    return requester_can(user, action, ticket) or staff_can(user, action, ticket)


def require(user, action: str, ticket: Ticket) -> None:
    """`can` or PermissionDenied, with a message that says which rule refused."""
    if can(user, action, ticket):
        return
    refusal = _REFUSALS.get(action)
    if refusal is not None:
        raise PermissionDenied(refusal())
    if _is_staff(user):
        raise PermissionDenied(_("You do not have the right to do this in this department."))
    if not requester_can(user, Action.VIEW, ticket):
        raise PermissionDenied(_("You cannot see this request."))
    if action == Action.REPLY:
        raise PermissionDenied(_("Your organisation lets you read this request, not answer it."))
    raise PermissionDenied(_("Only the help desk's staff can do this."))


def ticket_filter(user, prefix: str = "") -> Q | None:
    """Every ticket `user` may read, on either side of the desk; None means every ticket."""
    staff = staff_ticket_filter(user, prefix)
    if staff is None:
        return None
    return staff | portal_ticket_filter(user, prefix)


def visible_tickets(user) -> QuerySet[Ticket]:
    condition = ticket_filter(user)
    return Ticket.objects.all() if condition is None else Ticket.objects.filter(condition)


def desk_attachments(user) -> QuerySet[Attachment]:
    """Files on tickets `user` may open on the desk (notes' files included)."""
    condition = staff_ticket_filter(user, prefix="ticket__")
    qs = Attachment.objects.all()
    return qs if condition is None else qs.filter(condition)


def portal_attachments(user) -> QuerySet[Attachment]:
    """Files of public replies on tickets `user` may read in the portal; notes' files never."""
    return Attachment.objects.filter(entry__kind=EntryKind.REPLY).filter(
        portal_ticket_filter(user, prefix="entry__ticket__")
    )


def visible_entries(user, ticket: Ticket) -> QuerySet[Entry]:
    """The part of `ticket`'s thread `user` may read: all of it for staff who can open the ticket,
    the public replies for requesters who can read it, nothing otherwise."""
    qs = Entry.objects.filter(ticket=ticket)
    if staff_can(user, Action.VIEW, ticket):
        return qs
    if requester_can(user, Action.VIEW, ticket):
        return qs.filter(kind=EntryKind.REPLY)
    return qs.none()


# --- directories: what staff are offered in filters and pickers -----------------------------


def _sees_all(user) -> bool:
    return _is_staff(user) and access_for(user).everything


def requester_directory(user) -> QuerySet[User]:
    """Requesters `user` may look up and open requests for.

    Supervisors, administrators and agents: every active requester (logging a caller's request
    needs to find them wherever they asked before). External providers: only the requesters of
    their own work; they get no directory. Requesters: nobody.
    """
    requesters = User.objects.filter(role=Role.REQUESTER, is_active=True)
    if not _is_staff(user):
        return requesters.none()
    if user.role == Role.EXTERNAL and not _sees_all(user):
        return requesters.filter(pk__in=desk_tickets(user).values("requester_id"))
    return requesters


def may_register_requesters(user) -> bool:
    """Whether `user` may enter a new requester when logging a request (not external providers,
    who work only for the requesters of their own work)."""
    return _is_staff(user) and (user.role != Role.EXTERNAL or _sees_all(user))


def may_open_for(user, requester) -> bool:
    """May `user` open a request on `requester`'s behalf (or their own, as a requester)?"""
    if not _signed_in(user):
        return False
    if requester is not None and requester.pk == user.pk:
        return True
    if not user.is_agent_side or requester is None:
        return False
    if user.role == Role.EXTERNAL and not _sees_all(user):
        return desk_tickets(user).filter(requester_id=requester.pk).exists()
    return True


def organisations_visible(user) -> QuerySet[Organisation]:
    """Active organisations of the requests `user` may open (all for supervisors and admins)."""
    organisations = Organisation.objects.filter(is_active=True)
    if _sees_all(user):
        return organisations
    if not _is_staff(user):
        return organisations.none()
    # One indexed probe per organisation (ticket_org_department) instead of reading every ticket
    # of the user's departments: a dispatcher's tree holds most of a million requests.
    in_departments = Exists(
        Ticket.objects.filter(
            organisation_id=OuterRef("pk"), department_id__in=access_for(user).view
        )
    )
    given = Ticket.objects.filter(assignee_id=user.pk).values("organisation_id")
    return organisations.filter(Q(in_departments) | Q(pk__in=given))


def tags_visible(user) -> QuerySet[Tag]:
    """Tags used on requests `user` may open (all for supervisors and admins)."""
    if _sees_all(user):
        return Tag.objects.all()
    if not _is_staff(user):
        return Tag.objects.none()
    through = Ticket.tags.through
    in_departments = Exists(
        through.objects.filter(
            tag_id=OuterRef("pk"), ticket__department_id__in=access_for(user).view
        )
    )
    given = through.objects.filter(ticket__assignee_id=user.pk).values("tag_id")
    return Tag.objects.filter(Q(in_departments) | Q(pk__in=given))


def staff_visible(user) -> QuerySet[User]:
    """Active staff `user` works with: members of the departments they can see, plus supervisors
    and administrators (who take escalations) and `user` themself; everyone for those who see
    all."""
    staff = User.objects.filter(is_active=True, role__in=Role.STAFF)
    if _sees_all(user):
        return staff
    if not _is_staff(user):
        return staff.none()
    colleagues = User.objects.filter(
        memberships__department_id__in=access_for(user).view, memberships__can_view=True
    )
    return staff.filter(
        Q(pk=user.pk)
        | Q(role__in=Role.SUPERVISING)
        | Q(is_superuser=True)
        | Q(pk__in=colleagues.values("pk"))
    )
