"""The template pages on the desk (mine, my departments', everyone's), the editor, and the
reply box's typeahead."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.models import Department
from helpline.core.decorators import staff_required
from helpline.core.errors import DomainError
from helpline.desk.permissions import staff_ticket_or_404
from helpline.desk.selectors import desk_context
from helpline.tickets.models import Ticket

from . import services
from .forms import ReplyTemplateForm
from .models import ReplyTemplate, Scope
from .permissions import managed_departments, may_change, template_for_change
from .rendering import (
    PLACEHOLDERS,
    language_pick,
    preview_html,
    reply_values,
    template_render,
)
from .selectors import template_choices, template_lists, template_suggestions


def _managed(user) -> list[Department]:
    """Active departments whose templates `user` may manage."""
    managed = managed_departments(user)
    qs = Department.objects.filter(is_active=True).order_by("path")
    return list(qs if managed is None else qs.filter(pk__in=managed))


def _scopes(user, managed: list[Department]) -> list[str]:
    scopes = [Scope.PERSONAL.value]
    if managed:
        scopes.append(Scope.DEPARTMENT.value)
    if user.is_admin:
        scopes.append(Scope.GLOBAL.value)
    return scopes


@staff_required
@require_GET
def template_list(request):
    """The templates the agent may use, by scope, with search and categories."""
    text = request.GET.get("q", "")
    category = request.GET.get("category", "")
    lists = template_lists(request.user, text=text, category=category)
    user = request.user
    sections = [
        ("personal", _("My templates"), lists.personal),
        ("department", _("My departments' templates"), lists.department),
        ("global", _("Everyone's templates"), lists.everyone),
    ]
    context = {
        "sections": [
            (key, title, [(t, may_change(user, t)) for t in rows]) for key, title, rows in sections
        ],
        "categories": lists.categories,
        "q": text,
        "category": category,
        "scopes": _scopes(user, lists.departments),
        **desk_context(request),
        "current_tool": "replies",
    }
    response = render(request, "replies/list.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _form(request, data=None, template: ReplyTemplate | None = None) -> ReplyTemplateForm:
    user = request.user
    if template is not None:
        # A template keeps its scope and department; only what it says and does changes.
        scopes = [template.scope]
        departments = [template.department] if template.department else []
        initial = ReplyTemplateForm.initial_for(template)
    else:
        departments = _managed(user)
        scopes = _scopes(user, departments)
        wanted = request.GET.get("scope")
        initial = {"scope": wanted if wanted in scopes else scopes[0]}
    return ReplyTemplateForm(
        data, initial=initial, scopes=scopes, departments=departments, user=user, auto_id="tpl-%s"
    )


def _editor(request, form, template=None, status=200) -> HttpResponse:
    previews = []
    if template is not None:
        previews = [
            (t.get_language_display(), preview_html(t, request.user)) for t in template.texts.all()
        ]
    context = {
        "form": form,
        "template": template,
        "placeholders": [(f"{{{{ {name} }}}}", text) for name, text in PLACEHOLDERS.items()],
        "previews": previews,
        **desk_context(request),
        "current_tool": "replies",
    }
    return render(request, "replies/form.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def template_create(request):
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = services.reply_template_create(
                actor=request.user,
                scope=data["scope"],
                department=data["department"],
                name=data["name"],
                category=data["category"],
                texts=form.texts(),
                actions=form.actions(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
            return redirect("replies:change", pk=template.pk)
    return _editor(request, form, status=422 if form.is_bound else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def template_change(request, pk: int):
    template = template_for_change(request.user, pk)
    form = _form(request, request.POST or None, template)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reply_template_change(
                template=template,
                actor=request.user,
                name=data["name"],
                category=data["category"],
                texts=form.texts(),
                actions=form.actions(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": data["name"]})
            return redirect("replies:change", pk=template.pk)
    return _editor(request, form, template, status=422 if form.is_bound else 200)


@staff_required
@require_POST
def template_delete(request, pk: int):
    template = template_for_change(request.user, pk)
    try:
        services.reply_template_delete(template=template, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
    return redirect("replies:list")


@staff_required
@require_GET
def suggest(request, pk: int):
    """The reply box's typeahead: up to eight templates matching what the agent typed, each
    with its text already rendered for this request (a listbox's options, htmx fragment)."""
    ticket = staff_ticket_or_404(
        request.user, pk, Ticket.objects.select_related("requester", "department")
    )
    text = request.GET.get("q", "")
    options = []
    values_by_language: dict[str, dict[str, str]] = {}
    for template in template_suggestions(request.user, text):
        languages = [t.language for t in template.texts.all()]
        language = language_pick(languages, ticket.requester.language) or "en"
        values = values_by_language.setdefault(
            language, reply_values(ticket, request.user, language)
        )
        options.append((template, template_render(template, ticket, request.user, values=values)))
    context = {"options": options, "q": text, "ticket": ticket}
    response = HttpResponse(render_to_string("replies/_suggest.html", context))
    patch_vary_headers(response, ("HX-Request",))
    return response


@staff_required
@require_GET
def macros(request):
    """The board's bulk bar asks for the templates it may apply only when the agent opens the
    macro control (the board itself stays at its query count)."""
    context = {"macros": template_choices(request.user)}
    response = HttpResponse(render_to_string("replies/_macros.html", context, request=request))
    patch_vary_headers(response, ("HX-Request",))
    return response
