"""The desk's configuration: statuses, the priority matrix, portal topics and site settings."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError
from helpline.core.models import SiteSettings
from helpline.tickets.models import Level, Status, Topic

from ..forms import PriorityMatrixForm, SettingsForm, StatusForm, TopicForm
from ..selectors import priority_matrix, status_groups, topic_list
from ..services import (
    SETTINGS_FIELDS,
    priority_matrix_save,
    site_settings_update,
    status_remove,
    status_save,
    topic_save,
)
from .base import page


@admin_required
@require_GET
def status_index(request):
    return page(
        request, "administration/statuses.html", {"groups": status_groups()}, menu="statuses"
    )


@admin_required
@require_http_methods(["GET", "POST"])
def status_edit(request, pk: int | None = None):
    status = get_object_or_404(Status, pk=pk) if pk else Status()
    initial = {"category": request.GET.get("category")} if not pk else None
    form = StatusForm(request.POST or None, instance=status, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            status_save(status=form.instance, actor=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Status “%(name)s” saved.") % {"name": status})
            return redirect("manage:statuses")
    shown = Status.objects.get(pk=pk) if pk else None
    return page(
        request,
        "administration/status_form.html",
        {"form": form, "status": shown, "back_url": reverse("manage:statuses")},
        menu="statuses",
    )


@admin_required
@require_POST
def status_remove_view(request, pk: int):
    status = get_object_or_404(Status, pk=pk)
    try:
        outcome = status_remove(status=status, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if outcome == "deleted":
            messages.success(request, _("Status “%(name)s” deleted.") % {"name": status})
        else:
            messages.info(
                request,
                _("Requests use “%(name)s”, so it was deactivated instead of deleted.")
                % {"name": status},
            )
    return redirect("manage:statuses")


@admin_required
@require_http_methods(["GET", "POST"])
def priority_matrix_edit(request):
    form = PriorityMatrixForm(request.POST or None, matrix=priority_matrix())
    if request.method == "POST" and form.is_valid():
        try:
            changes = priority_matrix_save(cells=form.cells(), actor=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            if changes:
                messages.success(request, _("Priority matrix saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("manage:priorities")
    return page(
        request,
        "administration/priorities.html",
        {"form": form, "urgencies": [label for _value, label in Level.choices]},
        menu="priorities",
    )


@admin_required
@require_GET
def topic_index(request):
    return page(request, "administration/topics.html", {"topics": topic_list()}, menu="topics")


@admin_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, pk: int | None = None):
    topic = get_object_or_404(Topic, pk=pk) if pk else Topic()
    form = TopicForm(request.POST or None, instance=topic)
    if request.method == "POST" and form.is_valid():
        try:
            topic_save(topic=form.instance, actor=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Topic “%(name)s” saved.") % {"name": topic})
            return redirect("manage:topics")
    shown = Topic.objects.get(pk=pk) if pk else None
    return page(
        request,
        "administration/topic_form.html",
        {"form": form, "topic": shown, "back_url": reverse("manage:topics")},
        menu="topics",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def settings_edit(request):
    form = SettingsForm(request.POST or None, instance=SiteSettings.current())
    if request.method == "POST" and form.is_valid():
        try:
            site_settings_update(
                actor=request.user, **{name: form.cleaned_data[name] for name in SETTINGS_FIELDS}
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("manage:settings")
    return page(request, "administration/settings.html", {"form": form}, menu="settings")
