"""Received mail: the quarantine (release, delete, download) and the stop list with what each
rule caught."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.audit.services import event_record
from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError
from helpline.mail.models import QuarantinedMail, StopRule
from helpline.mail.selectors import (
    quarantine_counts,
    quarantine_list,
    stop_rule_hits,
    stop_rule_list,
)
from helpline.mail.services import quarantine_delete, quarantine_release

from ..forms import StopRuleForm
from ..services import stop_rule_remove, stop_rule_save
from .base import page

VIEWS = ("held", "spam", "decided")
PAGE_SIZE = 50


@admin_required
@require_GET
def quarantine_index(request):
    view = request.GET.get("view", "held")
    view = view if view in VIEWS else "held"
    reason = request.GET.get("reason", "")
    reason = reason if reason in QuarantinedMail.Reason.values else ""
    rows = Paginator(quarantine_list(view=view, reason=reason), PAGE_SIZE)
    return page(
        request,
        "administration/quarantine.html",
        {
            "page_obj": rows.get_page(request.GET.get("page")),
            "view": view,
            "reason": reason,
            "reasons": QuarantinedMail.Reason.choices,
            "counts": quarantine_counts(),
        },
        menu="quarantine",
    )


@admin_required
@require_GET
def quarantine_detail(request, pk: int):
    item = get_object_or_404(QuarantinedMail.objects.select_related("mailbox", "stop_rule"), pk=pk)
    raw = bytes(item.raw)
    # The first part of the message as text, escaped by the template: enough to judge it.
    preview = raw[:8192].decode("utf-8", "replace")
    return page(
        request,
        "administration/quarantine_item.html",
        {
            "item": item,
            "preview": preview,
            "truncated": len(raw) > 8192,
            "back_url": reverse("manage:quarantine"),
        },
        menu="quarantine",
    )


@admin_required
@require_GET
def quarantine_raw(request, pk: int):
    """The message as received, as an .eml download (never rendered by the browser)."""
    item = get_object_or_404(QuarantinedMail, pk=pk)
    event_record(actor=request.user, action="mail.quarantine_downloaded", obj=item)
    response = HttpResponse(bytes(item.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="quarantine-{item.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@admin_required
@require_POST
def quarantine_release_view(request, pk: int):
    item = get_object_or_404(QuarantinedMail, pk=pk)
    try:
        receipt = quarantine_release(item=item, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("manage:quarantine_item", pk=item.pk)
    ticket = receipt.ticket
    messages.success(
        request,
        _("The message was let in: request #%(number)s.") % {"number": ticket.pk}
        if ticket
        else _("The message was let in."),
    )
    return redirect("manage:quarantine")


@admin_required
@require_POST
def quarantine_delete_view(request, pk: int):
    item = get_object_or_404(QuarantinedMail, pk=pk)
    try:
        quarantine_delete(item=item, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message was deleted."))
    return redirect("manage:quarantine")


@admin_required
@require_GET
def stop_rule_index(request):
    return page(
        request, "administration/stop_rules.html", {"rules": stop_rule_list()}, menu="stop_rules"
    )


@admin_required
@require_http_methods(["GET", "POST"])
def stop_rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(StopRule, pk=pk) if pk else StopRule()
    form = StopRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            stop_rule_save(rule=form.instance, actor=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Stop rule “%(rule)s” saved.") % {"rule": rule})
            return redirect("manage:stop_rules")
    shown = StopRule.objects.get(pk=pk) if pk else None
    return page(
        request,
        "administration/stop_rule_form.html",
        {
            "form": form,
            "rule": shown,
            "hits": stop_rule_hits(shown) if shown else [],
            "back_url": reverse("manage:stop_rules"),
        },
        menu="stop_rules",
    )


@admin_required
@require_POST
def stop_rule_remove_view(request, pk: int):
    rule = get_object_or_404(StopRule, pk=pk)
    try:
        stop_rule_remove(rule=rule, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("manage:stop_rule", pk=rule.pk)
    messages.success(request, _("Stop rule “%(rule)s” removed.") % {"rule": rule})
    return redirect("manage:stop_rules")
