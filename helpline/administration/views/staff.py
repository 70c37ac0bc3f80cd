"""Staff: the list, opening an account, editing role, line and rights, deactivation."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.mfa import mfa_required, mfa_reset, mfa_summary
from helpline.accounts.models import Role, User
from helpline.accounts.services import staff_create, staff_deactivate, staff_update
from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError
from helpline.core.models import SiteSettings

from ..forms import RIGHT_LABELS, STAFF_ROLE_CHOICES, StaffCreateForm, StaffEditForm
from ..selectors import department_tree, staff_list, staff_memberships
from .base import page

STAFF_PAGE_SIZE = 100


@admin_required
@require_GET
def staff_index(request):
    q = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    active = request.GET.get("active", "1")
    paginator = Paginator(staff_list(q=q, role=role, active=active), STAFF_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return page(
        request,
        "administration/staff.html",
        {
            "page_obj": page_obj,
            "people": page_obj.object_list,
            "q": q,
            "role": role,
            "active": active,
            "roles": STAFF_ROLE_CHOICES,
        },
        menu="staff",
        fragment="results",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def staff_new(request):
    form = StaffCreateForm(request.POST or None, initial={"role": Role.AGENT, "support_line": 1})
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_create(
                actor=request.user,
                **form.cleaned_data,
                domain=request.get_host(),
                use_https=request.is_secure(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("Account for %(name)s opened.") % {"name": user.display_name}
            )
            return redirect("manage:staff_edit", pk=user.pk)
    return page(request, "administration/staff_new.html", {"form": form}, menu="staff")


@admin_required
@require_http_methods(["GET", "POST"])
def staff_edit(request, pk: int):
    person = get_object_or_404(User, pk=pk, role__in=Role.STAFF)
    memberships = staff_memberships(person)
    initial = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "role": person.role,
        "support_line": person.support_line,
        "is_active": person.is_active,
    }
    form = StaffEditForm(
        request.POST or None,
        initial=initial,
        departments=department_tree(),
        memberships=memberships,
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in initial}
        try:
            staff_update(user=person, actor=request.user, memberships=form.memberships(), **data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": person.display_name})
            return redirect("manage:staff_edit", pk=person.pk)
    return page(
        request,
        "administration/staff_edit.html",
        {
            "form": form,
            "person": person,
            "right_labels": RIGHT_LABELS.values(),
            "is_self": person.pk == request.user.pk,
            "mfa": mfa_summary(person),
            "mfa_required": mfa_required(person, SiteSettings.for_request(request)),
        },
        menu="staff",
    )


@admin_required
@require_POST
def staff_deactivate_view(request, pk: int):
    person = get_object_or_404(User, pk=pk, role__in=Role.STAFF)
    try:
        staff_deactivate(user=person, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s can no longer sign in; their history stays.")
            % {"name": person.display_name},
        )
    return redirect("manage:staff_edit", pk=pk)


@admin_required
@require_POST
def staff_mfa_reset_view(request, pk: int):
    person = get_object_or_404(User, pk=pk, role__in=Role.STAFF)
    try:
        mfa_reset(user=person, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Two-step sign-in of %(name)s is reset; they can set it up again.")
            % {"name": person.display_name},
        )
    return redirect("manage:staff_edit", pk=pk)
