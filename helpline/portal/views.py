"""The requesters' portal: front page, new request, my requests, a request's page and actions."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.core.errors import DomainError
from helpline.core.forms import add_domain_error
from helpline.core.models import SiteSettings
from helpline.core.submissions import submission_once
from helpline.kb.services import deflection_submitted
from helpline.tickets.access import Action, can
from helpline.tickets.downloads import attachment_response
from helpline.tickets.models import StatusCategory, Ticket
from helpline.tickets.services import ticket_confirm_solved, ticket_reopen, ticket_reply_add

from .forms import CLASS_HELP, ReopenForm, ReplyForm, RequestForm
from .permissions import portal_attachment_or_404, portal_ticket_or_404
from .selectors import public_thread, requester_requests
from .services import portal_request_submit, portal_submission_prepare

# The confirmation page's number: a signed cookie for that page only, not the session (an
# anonymous visitor's session would be one more database write per submission) and not the URL
# (the confirmation must not open anyone's ticket, nor name a number someone else typed).
SUBMITTED_COOKIE = "hl_submitted"
SUBMITTED_SALT = "helpline.portal.submitted"
SUBMITTED_SECONDS = 3600


def _form_error(form, exc: DomainError) -> None:
    add_domain_error(form, exc)


@require_GET
def home(request):
    recent = []
    if request.user.is_authenticated:
        recent = requester_requests(request.user, tab="open", cursor=None).rows[:5]
    return render(request, "portal/home.html", {"portal_section": "home", "recent": recent})


@require_http_methods(["GET", "POST"])
def new(request):
    # The settings as reference data: a submission's POST renders no page that reads the row.
    if not request.user.is_authenticated and not SiteSettings.shared().anonymous_submission:
        return redirect_to_login(request.get_full_path())
    form = RequestForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def submit(lookup, files) -> Ticket:
            ticket = portal_request_submit(
                user=request.user,
                subject=data["subject"],
                description=data["description"],
                ticket_class=data["ticket_class"],
                topic=data.get("topic"),
                files=files,
                name=data.get("name", ""),
                email=data.get("email", ""),
                lookup=lookup,
            )
            # Suggestions this session opened did not stop the request: not deflected (in the
            # same transaction, which holds SQLite's write lock anyway).
            deflection_submitted(session_key=request.session.session_key, ticket=ticket)
            return ticket

        try:
            # The look-ups and file checks before the write transaction (SQLite's write lock).
            lookup, files = portal_submission_prepare(
                user=request.user, email=data.get("email", ""), files=data["attachments"]
            )
            # A repeated post (double click, browser retry) answers with the first request.
            done = submission_once(
                key=data["submission"],
                scope="portal.request",
                user=request.user,
                write=lambda: submit(lookup, files),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            response = redirect("portal:submitted")
            if done.result is not None:
                response.set_signed_cookie(
                    SUBMITTED_COOKIE,
                    str(done.result.pk),
                    salt=SUBMITTED_SALT,
                    max_age=SUBMITTED_SECONDS,
                    path=reverse("portal:submitted"),
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            return response
    return render(
        request,
        "portal/new.html",
        {"form": form, "class_help": CLASS_HELP, "portal_section": "new"},
    )


@require_GET
def submitted(request):
    pk = request.get_signed_cookie(
        SUBMITTED_COOKIE, default=None, salt=SUBMITTED_SALT, max_age=SUBMITTED_SECONDS
    )
    if pk is None or not pk.isdigit():
        return redirect("portal:home")
    return render(request, "portal/submitted.html", {"number": int(pk), "portal_section": "new"})


@login_required
@require_GET
def requests(request):
    page = requester_requests(
        request.user, tab=request.GET.get("tab", "open"), cursor=request.GET.get("after")
    )
    template = "portal/requests.html#requests-table" if request.htmx else "portal/requests.html"
    response = render(request, template, {"page": page, "portal_section": "requests"})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _ticket(request, pk: int) -> Ticket:
    return portal_ticket_or_404(
        request.user,
        pk,
        queryset=Ticket.objects.select_related("requester", "topic", "merged_into"),
    )


def _render_request(request, ticket: Ticket, *, reply_form=None, reopen_form=None):
    user = request.user
    # Another request is named only if the reader could open it; otherwise it stays anonymous.
    merged_into_visible = bool(ticket.merged_into_id and can(user, Action.VIEW, ticket.merged_into))
    context = {
        # A colleague may only read a shared request unless their organisation lets them act.
        "may_act": can(user, Action.REPLY, ticket),
        "ticket": ticket,
        "thread": public_thread(ticket),
        "reply_form": reply_form or ReplyForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "is_closed": ticket.status_category == StatusCategory.CLOSED,
        "is_resolved": ticket.status_category == StatusCategory.RESOLVED,
        "merged_into_visible": merged_into_visible,
        "portal_section": "requests",
    }
    return render(request, "portal/request.html", context)


@login_required
@require_GET
def request_detail(request, pk):
    return _render_request(request, _ticket(request, pk))


def _back_to(ticket: Ticket, anchor: str = "") -> str:
    return reverse("portal:request", args=[ticket.pk]) + anchor


@login_required
@require_POST
def reply(request, pk):
    ticket = _ticket(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            done = submission_once(
                key=form.cleaned_data["submission"],
                scope="portal.reply",
                user=request.user,
                write=lambda: ticket_reply_add(
                    ticket=ticket,
                    actor=request.user,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["attachments"],
                ),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your reply is sent."))
            anchor = f"#entry-{done.result.pk}" if done.result is not None else ""
            return redirect(_back_to(ticket, anchor))
    return _render_request(request, ticket, reply_form=form)


@login_required
@require_POST
def confirm(request, pk):
    ticket = _ticket(request, pk)
    try:
        ticket_confirm_solved(ticket=ticket, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you for confirming. The request is closed."))
    return redirect(_back_to(ticket))


@login_required
@require_POST
def reopen(request, pk):
    ticket = _ticket(request, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            ticket_reopen(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Thank you. The request is open again; we will be back."))
            return redirect(_back_to(ticket))
    return _render_request(request, ticket, reopen_form=form)


@require_GET
def attachment(request, pk):
    # No sign-in redirect here: a download link answers 404 to anyone who may not have it.
    return attachment_response(portal_attachment_or_404(request.user, pk))
