"""The notifications centre's pages: the list, opening one, marking read (one, or all), the
bell's dropdown and the header badges."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpline.core.decorators import staff_required

from . import services
from .selectors import PAGE_SIZE, header_counters, notification_of, notifications_of

# The bell's dropdown: the latest few; the centre has the rest.
MENU_SIZE = 8


@staff_required
@require_GET
def notifications(request):
    unread_only = request.GET.get("show") == "unread"
    rows = list(notifications_of(request.user, unread_only=unread_only)[:PAGE_SIZE])
    context = {"rows": rows, "unread_only": unread_only}
    return render(request, "notify/list.html", context)


@staff_required
@require_POST
def notification_open(request, pk: int):
    """Mark one's notification read and go to what it is about."""
    notification = notification_of(request.user, pk)
    if notification is None:
        raise Http404
    services.notification_read(notification=notification, actor=request.user)
    return redirect(notification.target_url() or reverse("notify:list"))


@staff_required
@require_POST
def notification_read(request, pk: int):
    """Mark one's notification read where it is (the bell's dropdown): the dropdown again for
    htmx, with the badges told to refresh; the centre for a plain post."""
    notification = notification_of(request.user, pk)
    if notification is None:
        raise Http404
    services.notification_read(notification=notification, actor=request.user)
    if request.htmx:
        return _menu(request, changed=True)
    return redirect("notify:list")


@staff_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_read_all(actor=request.user)
    if request.htmx:
        return _menu(request, changed=True)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notify:list")


@staff_required
@require_GET
def menu(request):
    """The bell's dropdown, loaded when it opens: the latest notifications (one query besides
    the session's and the person's)."""
    return _menu(request)


def _menu(request, *, changed: bool = False) -> HttpResponse:
    rows = list(notifications_of(request.user)[:MENU_SIZE])
    context = {
        "rows": rows,
        "unread": any(n.read_at is None for n in rows),
        "csrf_token": get_token(request),
    }
    # Without the page's context processors, like the badges: the list needs nothing else.
    response = HttpResponse(render_to_string("notify/_menu.html", context))
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ("HX-Request",))
    if changed:
        response["HX-Trigger"] = "hl-counters"
    return response


@staff_required
@require_GET
def counters(request):
    """The header's badges (an htmx fragment the desk's header loads and polls): one query
    besides the session's."""
    context = {"counters": header_counters(request.user), "oob": True}
    # Without the page's context processors: the badges need nothing but their counts.
    response = HttpResponse(render_to_string("notify/_counters.html", context))
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ("HX-Request",))
    return response
