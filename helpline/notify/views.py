"""The notifications centre's pages: the list, opening one, "mark all read", the header badges."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpline.core.decorators import staff_required

from . import services
from .selectors import PAGE_SIZE, header_counters, notification_of, notifications_of


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
def notifications_read_all(request):
    count = services.notifications_read_all(actor=request.user)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notify:list")


@staff_required
@require_GET
def counters(request):
    """The header's badges (an htmx fragment the desk's header loads and polls): one query
    besides the session's."""
    context = {"counters": header_counters(request.user)}
    # Without the page's context processors: the badges need nothing but their counts.
    response = HttpResponse(render_to_string("notify/_counters.html", context))
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ("HX-Request",))
    return response
