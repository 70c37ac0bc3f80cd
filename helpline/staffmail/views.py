"""Internal mail's pages in the desk: the boxes, writing, a thread, archive, files, and the
panel of a request's internal mail."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.core.decorators import staff_required
from helpline.core.errors import DomainError
from helpline.core.forms import add_domain_error
from helpline.core.submissions import submission_once
from helpline.desk.permissions import staff_ticket_or_404
from helpline.tickets.downloads import attachment_response

from . import services
from .access import message_file_or_404, message_or_404
from .forms import ComposeForm, ReplyForm
from .selectors import BOXES, PAGE_SIZE, box_rows, thread_messages, ticket_messages


def _box(request, box: str):
    if box not in BOXES:
        raise Http404
    text = request.GET.get("q", "").strip()[:200]
    rows = list(box_rows(request.user, box, text)[:PAGE_SIZE])
    return render(request, "staffmail/box.html", {"box": box, "rows": rows, "q": text})


@staff_required
@require_GET
def inbox(request):
    return _box(request, "inbox")


@staff_required
@require_GET
def archive(request):
    return _box(request, "archive")


@staff_required
@require_GET
def sent(request):
    return _box(request, "sent")


@staff_required
@require_http_methods(["GET", "POST"])
def compose(request):
    user = request.user
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = submission_once(
                    key=data["submission"],
                    scope="staffmail.send",
                    user=user,
                    write=lambda: services.message_send(
                        actor=user,
                        subject=data["subject"],
                        body=data["body"],
                        people=data["people"],
                        departments=data["departments"],
                        ticket=data["ticket"],
                        files=data["attachments"],
                    ),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                sent_message = done.result
                assert sent_message is not None
                messages.success(request, _("Message sent."))
                return redirect("staffmail:message", sent_message.pk)
        return render(request, "staffmail/compose.html", {"form": form}, status=422)
    initial = {}
    if request.GET.get("ticket", "").isdigit():
        initial["ticket"] = int(request.GET["ticket"])
    if request.GET.get("to", "").isdigit():
        initial["people"] = [int(request.GET["to"])]
    form = ComposeForm(initial=initial, user=user)
    return render(request, "staffmail/compose.html", {"form": form})


def _thread_page(request, message, form=None, status=200):
    thread = thread_messages(request.user, message)
    mine = {
        m.pk: next((r for r in m.recipients.all() if r.user_id == request.user.pk), None)
        for m in thread
    }
    context = {
        "message": message,
        "thread": [(m, mine[m.pk]) for m in thread],
        "form": form or ReplyForm(),
    }
    return render(request, "staffmail/message.html", context, status=status)


@staff_required
@require_GET
def message(request, pk: int):
    """A thread, as far as the viewer is in it; opening it reads the viewer's copies."""
    found = message_or_404(request.user, pk)
    services.message_read(message=found, actor=request.user)
    return _thread_page(request, found)


@staff_required
@require_POST
def reply(request, pk: int):
    found = message_or_404(request.user, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = submission_once(
                key=data["submission"],
                scope="staffmail.reply",
                user=request.user,
                write=lambda: services.message_send(
                    actor=request.user,
                    body=data["body"],
                    reply_to=found,
                    files=data["attachments"],
                ),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            answer = done.result
            assert answer is not None
            messages.success(request, _("Answer sent."))
            return redirect(f"{_url(found)}#message-{answer.pk}")
    return _thread_page(request, found, form=form, status=422)


def _url(found) -> str:
    return reverse("staffmail:message", args=[found.thread_root_id])


@staff_required
@require_POST
def archive_change(request, pk: int):
    """Archive one's copy (archived=1) or move it back to the inbox (archived=0)."""
    found = message_or_404(request.user, pk)
    archived = request.POST.get("archived", "1") != "0"
    try:
        services.message_archive(message=found, actor=request.user, archived=archived)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staffmail:message", found.pk)
    messages.success(request, _("Archived.") if archived else _("Back in the inbox."))
    return redirect("staffmail:inbox" if archived else "staffmail:archive")


@staff_required
@require_GET
def file(request, pk: int):
    return attachment_response(message_file_or_404(request.user, pk))


@staff_required
@require_GET
def ticket_panel(request, pk: int):
    """The internal mail attached to request `pk` (a fragment its page loads): staff who may
    see the request only."""
    ticket = staff_ticket_or_404(request.user, pk)
    context = {"ticket": ticket, "staff_messages": ticket_messages(request.user, ticket)}
    response = render(request, "staffmail/_ticket_panel.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
