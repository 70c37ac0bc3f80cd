"""Saved views of the board: save the current filters, rename, share, delete, reorder."""

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpline.core.decorators import staff_required
from helpline.core.errors import DomainError
from helpline.core.forms import add_domain_error

from .. import services
from ..forms import SavedViewForm
from ..models import SavedView
from ..saved import saved_views_ordered, saved_views_visible, share_targets
from ..selectors import desk_context


def _form(user, data=None, view: SavedView | None = None, targets=None) -> SavedViewForm:
    initial = {"name": view.name, "department": view.department_id} if view else None
    return SavedViewForm(
        data,
        initial=initial,
        targets=targets if targets is not None else list(share_targets(user)),
        auto_id=f"view-{view.pk}-%s" if view else "new-view-%s",
    )


def _manage_page(request, *, status: int = 200, bound: SavedViewForm | None = None, pk=None):
    """The list of the agent's saved views with a form for each; `bound` replaces the form of
    view `pk` (or the new view's form) when it came back with errors."""
    user = request.user
    views = saved_views_ordered(user)
    targets = list(share_targets(user))
    rows = []
    for view in views:
        form = None
        if view.owner_id == user.pk:
            form = bound if bound is not None and pk == view.pk else None
            form = form or _form(user, view=view, targets=targets)
        rows.append((view, form))
    context = {
        "rows": rows,
        "create_form": bound if bound is not None and pk is None else None,
        **desk_context(request),
    }
    return render(request, "desk/saved_views.html", context, status=status)


def _own_view(user, pk: int) -> SavedView:
    view = SavedView.objects.filter(pk=pk, owner_id=user.pk).first()
    if view is None:
        raise Http404
    return view


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@staff_required
@require_GET
def saved_views(request):
    return _manage_page(request)


def _board_url(query: dict) -> str:
    return reverse("desk:board") + "?" + urlencode(query)


@staff_required
@require_POST
def saved_view_create(request):
    """Save the board as it is (its query string comes with the form) under a name."""
    form = _form(request.user, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            view = services.saved_view_create(
                actor=request.user,
                name=data["name"],
                query=QueryDict(data["query"]),
                department=data["department"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect(_board_url(view.query))
    return _manage_page(request, status=422, bound=form)


@staff_required
@require_POST
def saved_view_change(request, pk: int):
    """Rename a view of one's own, or share it (or stop sharing it)."""
    view = _own_view(request.user, pk)
    form = _form(request.user, request.POST, view=view)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.saved_view_change(
                view=view, actor=request.user, name=data["name"], department=data["department"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect("desk:saved_views")
    return _manage_page(request, status=422, bound=form, pk=view.pk)


@staff_required
@require_POST
def saved_view_delete(request, pk: int):
    view = _own_view(request.user, pk)
    name = view.name
    try:
        services.saved_view_delete(view=view, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("View “%(name)s” deleted.") % {"name": name})
    return redirect("desk:saved_views")


@staff_required
@require_POST
def saved_view_move(request, pk: int):
    """Move a view one place up or down in one's own sidebar (`direction` up or down)."""
    view = saved_views_visible(request.user).filter(pk=pk).first()
    if view is None:
        raise Http404
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.saved_view_move(view=view, actor=request.user, offset=offset)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_back(request, reverse("desk:saved_views")))
