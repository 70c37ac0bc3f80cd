"""Outgoing mail: what waits or failed, with the last error; send again or discard."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError
from helpline.mail.models import OutboxMessage
from helpline.mail.selectors import outbox_counts, outbox_recent_sent, outbox_unsent
from helpline.mail.services import (
    outbox_failed_retry_all,
    outbox_message_discard,
    outbox_message_retry,
)

from .base import page


@admin_required
@require_GET
def outbox_index(request):
    return page(
        request,
        "administration/outbox.html",
        {"unsent": outbox_unsent(), "sent": outbox_recent_sent(), "counts": outbox_counts()},
        menu="outbox",
    )


@admin_required
@require_POST
def outbox_retry(request, pk: int):
    message = get_object_or_404(OutboxMessage, pk=pk)
    try:
        outbox_message_retry(message=message, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message will be sent again now."))
    return redirect("manage:outbox")


@admin_required
@require_POST
def outbox_retry_failed(request):
    try:
        count = outbox_failed_retry_all(actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s failed message will be sent again now.",
                "%(count)s failed messages will be sent again now.",
                count,
            )
            % {"count": count},
        )
    return redirect("manage:outbox")


@admin_required
@require_POST
def outbox_discard(request, pk: int):
    message = get_object_or_404(OutboxMessage, pk=pk)
    try:
        outbox_message_discard(message=message, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message was discarded."))
    return redirect("manage:outbox")
