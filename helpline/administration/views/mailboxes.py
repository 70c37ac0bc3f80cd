"""Mailboxes: the list with each one's mail health, add and edit, "Test connection", and the
OAuth2 authorisation for Gmail and Microsoft 365 mailboxes."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError
from helpline.mail.mailboxes import (
    mailbox_connection_check,
    mailbox_oauth_finish,
    mailbox_oauth_start,
    mailbox_save,
)
from helpline.mail.models import Mailbox
from helpline.mail.selectors import mailbox_health

from ..forms import MailboxForm
from .base import page


@admin_required
@require_GET
def mailbox_index(request):
    return page(
        request, "administration/mailboxes.html", {"mailboxes": mailbox_health()}, menu="mailboxes"
    )


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk: int | None = None):
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk else Mailbox()
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        try:
            mailbox_save(mailbox=form.instance, actor=request.user, secrets=form.secrets())
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Mailbox “%(name)s” saved.") % {"name": mailbox.name})
            return redirect("manage:mailbox", pk=mailbox.pk)
    shown = mailbox_health().filter(pk=pk).first() if pk else None
    return page(
        request,
        "administration/mailbox_form.html",
        {
            "form": form,
            "mailbox": shown,
            "back_url": reverse("manage:mailboxes"),
        },
        menu="mailboxes",
    )


@admin_required
@require_POST
def mailbox_test(request, pk: int):
    mailbox = get_object_or_404(Mailbox, pk=pk)
    try:
        results = mailbox_connection_check(mailbox=mailbox, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("manage:mailbox", pk=pk)
    if not results:
        messages.info(
            request,
            _(
                "Nothing to test: this mailbox is delivered by the mail server and sends through "
                "the installation's SMTP server."
            ),
        )
    for result in results:
        text = f"{result.server}: {result.message}"
        (messages.success if result.ok else messages.error)(request, text)
    return redirect("manage:mailbox", pk=pk)


def _oauth_redirect_uri(request) -> str:
    return request.build_absolute_uri(reverse("manage:mailbox_oauth_callback"))


@admin_required
@require_POST
def mailbox_oauth(request, pk: int):
    mailbox = get_object_or_404(Mailbox, pk=pk)
    try:
        url = mailbox_oauth_start(
            mailbox=mailbox,
            session=request.session,
            redirect_uri=_oauth_redirect_uri(request),
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("manage:mailbox", pk=pk)
    return redirect(url)


@admin_required
@require_GET
def mailbox_oauth_callback(request):
    try:
        mailbox = mailbox_oauth_finish(
            session=request.session,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error_description") or request.GET.get("error", ""),
            actor=request.user,
        )
    except (DomainError, Mailbox.DoesNotExist) as exc:
        messages.error(request, getattr(exc, "message", _("The mailbox no longer exists.")))
        return redirect("manage:mailboxes")
    messages.success(
        request,
        _("Mailbox “%(name)s” is connected; test the connection now.") % {"name": mailbox.name},
    )
    return redirect("manage:mailbox", pk=mailbox.pk)
