"""Organisations and requesters: lists, create/edit, and a person link for the event log."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.addresses import addresses_of
from helpline.accounts.models import Organisation, Role, User
from helpline.accounts.services import (
    organisation_save,
    requester_address_add,
    requester_address_make_primary,
    requester_address_remove,
    requester_update,
)
from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError

from ..forms import OrganisationForm, RequesterAddressForm, RequesterForm
from ..selectors import organisation_list, requester_page
from .base import page

ORGANISATION_PAGE_SIZE = 50


@admin_required
@require_GET
def organisation_index(request):
    q = request.GET.get("q", "").strip()[:100]
    paginator = Paginator(organisation_list(q=q), ORGANISATION_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return page(
        request,
        "administration/organisations.html",
        {"page_obj": page_obj, "organisations": page_obj.object_list, "q": q},
        menu="organisations",
        fragment="results",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk: int | None = None):
    organisation = get_object_or_404(Organisation, pk=pk) if pk else Organisation()
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_save(organisation=form.instance, actor=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": organisation})
            return redirect("manage:organisations")
    shown = Organisation.objects.get(pk=pk) if pk else None
    return page(
        request,
        "administration/organisation_form.html",
        {"form": form, "organisation": shown, "back_url": reverse("manage:organisations")},
        menu="organisations",
    )


@admin_required
@require_GET
def requester_index(request):
    q = request.GET.get("q", "").strip()[:100]
    after = request.GET.get("after", "")[:254]
    result = requester_page(q=q, after=after)
    return page(
        request,
        "administration/requesters.html",
        {"result": result, "q": q, "after": after},
        menu="requesters",
        fragment="results",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def requester_edit(request, pk: int):
    person = get_object_or_404(
        User.objects.select_related("organisation"), pk=pk, role=Role.REQUESTER
    )
    form = RequesterForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            requester_update(user=person, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": person.display_name})
            return redirect("manage:requesters")
    return _requester_page(request, person, form=form)


def _requester_page(request, person: User, *, form=None, address_form=None):
    if form is None:
        form = RequesterForm(
            initial={
                "email": person.email,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "phone": person.phone,
                "organisation": person.organisation,
                "is_active": person.is_active,
            }
        )
    context = {
        "form": form,
        "person": person,
        "back_url": reverse("manage:requesters"),
        "addresses": addresses_of(person),
        "address_form": address_form or RequesterAddressForm(initial={"action": "add"}),
    }
    return page(request, "administration/requester_form.html", context, menu="requesters")


_ADDRESS_ACTIONS = {
    "add": requester_address_add,
    "remove": requester_address_remove,
    "primary": requester_address_make_primary,
}


@admin_required
@require_POST
def requester_addresses(request, pk: int):
    """Add, remove or make primary one of a requester's addresses."""
    person = get_object_or_404(
        User.objects.select_related("organisation"), pk=pk, role=Role.REQUESTER
    )
    form = RequesterAddressForm(request.POST)
    if form.is_valid():
        action, email = form.cleaned_data["action"], form.cleaned_data["email"]
        try:
            _ADDRESS_ACTIONS[action](user=person, actor=request.user, email=email)
        except DomainError as exc:
            form.add_error("email" if action == "add" else None, exc.message)
        else:
            messages.success(
                request, _("The addresses of %(name)s are saved.") % {"name": person.display_name}
            )
            return redirect("manage:requester", pk=person.pk)
    person.refresh_from_db()
    return _requester_page(request, person, address_form=form)


@admin_required
@require_GET
def person(request, pk: int):
    """Where a person named in the event log is edited: the staff or the requester page."""
    role = get_object_or_404(User.objects.values_list("role", flat=True), pk=pk)
    if role in Role.STAFF:
        return redirect("manage:staff_edit", pk=pk)
    return redirect("manage:requester", pk=pk)
