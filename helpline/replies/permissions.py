"""Who may use and who may change which reply templates (querysets and predicates).

Using: a personal template its owner; a department's template whoever can see requests in that
department; a global one all staff. Changing: a personal template its owner; a department's
template whoever holds the manage right there (supervisors and administrators everywhere); a
global one administrators.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from helpline.accounts.access import access_for
from helpline.tickets.access import departments_with

from .models import ReplyTemplate, Scope


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_agent_side)


def usable_filter(user) -> Q:
    if not _is_staff(user):
        return Q(pk__in=[])
    departments = departments_with(user, "view")
    department = Q(scope=Scope.DEPARTMENT)
    if departments is not None:
        department &= Q(department_id__in=departments)
    return Q(scope=Scope.PERSONAL, owner_id=user.pk) | department | Q(scope=Scope.GLOBAL)


def templates_usable(user) -> QuerySet[ReplyTemplate]:
    """The templates `user` may insert and apply."""
    return ReplyTemplate.objects.filter(usable_filter(user))


def may_use(user, template: ReplyTemplate) -> bool:
    if not _is_staff(user):
        return False
    if template.scope == Scope.PERSONAL:
        return template.owner_id == user.pk
    if template.scope == Scope.DEPARTMENT:
        return access_for(user).can("view", template.department_id)
    return True


def may_manage(user, scope: str, department_id: int | None = None) -> bool:
    """Whether `user` may create or change templates of `scope` (in `department_id`)."""
    if not _is_staff(user):
        return False
    if scope == Scope.PERSONAL:
        return True
    if scope == Scope.DEPARTMENT:
        return department_id is not None and access_for(user).can("manage", department_id)
    return user.is_admin


def may_change(user, template: ReplyTemplate) -> bool:
    if template.scope == Scope.PERSONAL:
        return _is_staff(user) and template.owner_id == user.pk
    return may_manage(user, template.scope, template.department_id)


def managed_departments(user) -> frozenset[int] | None:
    """Departments whose templates `user` may manage (None: all of them)."""
    return departments_with(user, "manage")


def template_for_change(user, pk: int) -> ReplyTemplate:
    """The template `pk` if `user` may change it, else 404 (whether it exists stays unsaid)."""
    template = (
        ReplyTemplate.objects.select_related("department", "owner")
        .prefetch_related("texts")
        .filter(pk=pk)
        .first()
    )
    if template is None or not may_change(user, template):
        raise Http404
    return template
