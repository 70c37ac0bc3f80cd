"""Who may log, change and read time, and whose activity statistics a person may see.

Everyone who can open a request at the desk may log time on it and read its time entries. An
entry is changed or deleted by its author, by a supervisor of the request's department, or by an
administrator. Reports (statistics, exports) show a person their own work, a supervisor the work
done in the departments they belong to (sub-departments included), administrators everything.
"""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from helpline.accounts.access import _subtrees
from helpline.accounts.models import Department, Role, User
from helpline.core.errors import PermissionDenied
from helpline.tickets.access import Action, staff_can
from helpline.tickets.models import Ticket

from .models import TimeEntry


def _staff(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.is_agent_side


def supervised_departments(user) -> frozenset[int] | None:
    """Departments whose people and work `user` oversees in reports: None means all of them
    (administrators); a supervisor's are the departments they belong to and those below them;
    nobody else oversees any."""
    if not _staff(user):
        return frozenset()
    if user.is_admin:
        return None
    if user.role != Role.SUPERVISOR:
        return frozenset()
    from helpline.accounts.reference import department_paths, memberships_of

    return _subtrees({m.department_id for m in memberships_of(user.pk)}, department_paths())


def may_log(user, ticket: Ticket) -> bool:
    return _staff(user) and staff_can(user, Action.VIEW, ticket)


def require_log(user, ticket: Ticket) -> None:
    if not may_log(user, ticket):
        raise PermissionDenied(_("You cannot log time on this request."))


def may_change(user, entry: TimeEntry, ticket: Ticket) -> bool:
    """The author (while they can still open the request), a supervisor of its department, an
    administrator."""
    if not _staff(user):
        return False
    if entry.author_id == user.pk and staff_can(user, Action.VIEW, ticket):
        return True
    supervised = supervised_departments(user)
    return supervised is None or ticket.department_id in supervised


def require_change(user, entry: TimeEntry, ticket: Ticket) -> None:
    if not may_change(user, entry, ticket):
        raise PermissionDenied(
            _("Only its author or a supervisor of the department can change this time entry.")
        )


def report_entries_filter(user, prefix: str = "") -> Q | None:
    """Time entries `user` may see in reports; None means all of them."""
    if not _staff(user):
        return Q(pk__in=[])
    supervised = supervised_departments(user)
    if supervised is None:
        return None
    own = Q(**{f"{prefix}author_id": user.pk})
    if not supervised:
        return own
    return own | Q(**{f"{prefix}ticket__department_id__in": supervised})


def report_people(user) -> QuerySet[User]:
    """Staff whose statistics `user` may see: themself; a supervisor's department members;
    every staff member for administrators."""
    staff = User.objects.filter(role__in=Role.STAFF)
    if not _staff(user):
        return staff.none()
    supervised = supervised_departments(user)
    if supervised is None:
        return staff
    if not supervised:
        return staff.filter(pk=user.pk)
    return staff.filter(Q(pk=user.pk) | Q(memberships__department_id__in=supervised)).distinct()


def report_departments(user) -> QuerySet[Department]:
    supervised = supervised_departments(user)
    if supervised is None:
        return Department.objects.all()
    return Department.objects.filter(pk__in=supervised)
