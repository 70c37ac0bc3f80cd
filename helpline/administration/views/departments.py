"""Departments: the tree, create/edit, removal, and each department's members and rights."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.models import Department, Role, User
from helpline.accounts.services import (
    department_remove,
    department_save,
    membership_set,
)
from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError

from ..forms import AddMemberForm, DepartmentForm, RightsForm
from ..selectors import department_members, department_tree, staff_candidates
from .base import page

NEW_MEMBER_RIGHTS = {"can_view": True, "can_reply": True, "can_assign": True}


@admin_required
@require_GET
def department_list(request):
    return page(
        request,
        "administration/departments.html",
        {"departments": department_tree()},
        menu="departments",
    )


def _members_context(department: Department, *, add_form=None, error: str = "") -> dict:
    members = department_members(department)
    return {
        "department": department,
        "members": [
            (
                m,
                RightsForm(
                    initial={r: getattr(m, r) for r in RightsForm.base_fields},
                    prefix=f"m{m.user_id}",
                ),
            )
            for m in members
        ],
        "add_form": add_form
        or AddMemberForm(candidates=staff_candidates(department), initial=NEW_MEMBER_RIGHTS),
        "members_error": error,
    }


@admin_required
@require_http_methods(["GET", "POST"])
def department_edit(request, pk: int | None = None):
    department = get_object_or_404(Department, pk=pk) if pk else Department()
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST" and form.is_valid():
        try:
            department_save(department=form.instance, actor=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Department “%(name)s” saved.") % {"name": department})
            return redirect("manage:department", pk=department.pk)
    context = {"form": form, "department": department}
    if department.pk:
        # Re-read: a refused form must not show its unsaved values as the department's name.
        context |= _members_context(Department.objects.get(pk=department.pk))
    return page(request, "administration/department_form.html", context, menu="departments")


@admin_required
@require_POST
def department_remove_view(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    try:
        outcome = department_remove(department=department, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("manage:department", pk=pk)
    if outcome == "deleted":
        messages.success(request, _("Department “%(name)s” deleted.") % {"name": department})
        return redirect("manage:departments")
    messages.info(
        request,
        _(
            "“%(name)s” has requests, sub-departments or topics, so it was deactivated instead of "
            "deleted."
        )
        % {"name": department},
    )
    return redirect("manage:department", pk=pk)


def _members_response(request, department: Department, *, add_form=None, error: str = ""):
    if request.htmx:
        return page(
            request,
            "administration/department_form.html",
            _members_context(department, add_form=add_form, error=error),
            menu="departments",
            fragment="members",
        )
    if error:
        messages.error(request, error)
    return redirect("manage:department", pk=department.pk)


@admin_required
@require_POST
def member_add(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    form = AddMemberForm(request.POST, candidates=staff_candidates(department))
    if not form.is_valid():
        return _members_response(
            request, department, add_form=form, error=_("Choose a staff member to add.")
        )
    try:
        membership_set(
            user=form.cleaned_data["user"],
            department=department,
            rights=form.rights(),
            actor=request.user,
        )
    except DomainError as exc:
        return _members_response(request, department, add_form=form, error=exc.message)
    return _members_response(request, department)


@admin_required
@require_POST
def member_change(request, pk: int, user_pk: int):
    department = get_object_or_404(Department, pk=pk)
    user = get_object_or_404(User, pk=user_pk, role__in=Role.STAFF)
    form = RightsForm(request.POST, prefix=f"m{user.pk}")
    form.is_valid()
    rights = None if request.POST.get("remove") else form.rights()
    try:
        membership_set(user=user, department=department, rights=rights, actor=request.user)
    except DomainError as exc:
        return _members_response(request, department, error=f"{user.display_name}: {exc.message}")
    return _members_response(request, department)
