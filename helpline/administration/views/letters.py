"""Letter templates: every letter in every language, per department, with a live preview."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.models import Department
from helpline.core.decorators import admin_required
from helpline.core.errors import DomainError, ValidationFailed
from helpline.core.models import SiteSettings
from helpline.mail.letters import PLACEHOLDERS, letter_default, letter_render
from helpline.mail.models import LetterKind, LetterTemplate
from helpline.mail.services import letter_template_reset, letter_template_save

from ..forms import LetterForm
from .base import page


def _languages() -> list[tuple[str, str]]:
    from django.conf import settings

    return [(code, str(label)) for code, label in settings.LANGUAGES]


def _target(params) -> tuple[str, str, Department | None]:
    """The letter a page or post is about: kind, language and department (None: all)."""
    kind = params.get("kind") or LetterKind.RECEIVED
    language = params.get("language") or "en"
    if kind not in LetterKind.values or language not in dict(_languages()):
        raise Http404
    department = None
    if params.get("department"):
        try:
            department = Department.objects.get(pk=int(params["department"]))
        except (ValueError, Department.DoesNotExist) as exc:
            raise Http404 from exc
    return kind, language, department


def _edit_url(kind: str, language: str, department: Department | None) -> str:
    query = {"kind": kind, "language": language}
    if department is not None:
        query["department"] = str(department.pk)
    return f"{reverse('manage:letter')}?{urlencode(query)}"


@admin_required
@require_GET
def letter_index(request):
    """The grid of letters × languages: shipped text, changed for all, or changed for the
    chosen department."""
    departments = list(Department.objects.filter(is_active=True).order_by("path"))
    department = None
    if request.GET.get("department"):
        department = next((d for d in departments if str(d.pk) == request.GET["department"]), None)
    rows = LetterTemplate.objects.filter(department__isnull=True).values_list("kind", "language")
    changed_all = set(rows)
    changed_here: set[tuple[str, str]] = set()
    if department is not None:
        changed_here = set(
            LetterTemplate.objects.filter(department=department).values_list("kind", "language")
        )
    languages = _languages()
    grid = []
    for kind, label in LetterKind.choices:
        cells = []
        for code, language_label in languages:
            if (kind, code) in changed_here:
                state = "department"
            elif (kind, code) in changed_all:
                state = "changed"
            else:
                state = "shipped"
            cells.append(
                {
                    "language": code,
                    "language_label": language_label,
                    "state": state,
                    "url": _edit_url(kind, code, department),
                }
            )
        grid.append({"kind": kind, "label": label, "cells": cells})
    return page(
        request,
        "administration/letters.html",
        {
            "grid": grid,
            "languages": languages,
            "departments": departments,
            "department": department,
        },
        menu="letters",
    )


def _current(kind: str, language: str, department: Department | None):
    """The text shown in the editor: this level's own, else the level it inherits from."""
    rows = {
        row.department_id: row
        for row in LetterTemplate.objects.filter(kind=kind, language=language).filter(
            department__isnull=True
        )
        | LetterTemplate.objects.filter(
            kind=kind, language=language, department_id=department.pk if department else -1
        )
    }
    own = rows.get(department.pk if department else None)
    inherited = rows.get(None) if department is not None else None
    if own is not None:
        return own.subject, own.body, own, "own"
    if inherited is not None:
        return inherited.subject, inherited.body, None, "inherited"
    subject, body = letter_default(kind, language)
    return subject, body, None, "shipped"


@admin_required
@require_http_methods(["GET", "POST"])
def letter_edit(request):
    kind, language, department = _target(request.GET)
    subject, body, own, source = _current(kind, language, department)
    form = LetterForm(request.POST or None, initial={"subject": subject, "body": body})
    if request.method == "POST":
        if form.is_valid():
            try:
                letter_template_save(
                    kind=kind,
                    language=language,
                    department=department,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("The letter is saved."))
                return redirect(_edit_url(kind, language, department))
    preview = _preview(
        request,
        kind=kind,
        language=language,
        department=department,
        subject=form["subject"].value() or "",
        body=form["body"].value() or "",
    )
    return page(
        request,
        "administration/letter_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": LetterKind(kind).label,
            "language": language,
            "language_label": dict(_languages())[language],
            "department": department,
            "own": own,
            "source": source,
            "placeholders": [(f"{{{{ {name} }}}}", text) for name, text in PLACEHOLDERS.items()],
            "preview": preview,
            "preview_url": reverse("manage:letter_preview"),
            "back_url": reverse("manage:letters")
            + (f"?department={department.pk}" if department else ""),
        },
        menu="letters",
    )


def _sample_values(request, department: Department | None, language: str) -> dict[str, str]:
    from django.conf import settings

    department_name = department.name if department else _("Support")
    return {
        "requester_name": _("Alice Example"),
        "ticket_number": "#1234",
        "subject": _("The printer on floor 2 is jammed"),
        "status": _("Open"),
        "link": f"{settings.SITE_URL}{reverse('portal:request', args=[1234])}",
        "agent_name": request.user.display_name,
        "reply_text": _("Please open tray 2 and remove the stuck sheet.\nThen try again."),
        "department": department_name,
        "signature": department.signature if department else "",
        "desk_name": SiteSettings.current().desk_name,
    }


def _preview(request, *, kind, language, department, subject, body) -> dict:
    with translation.override(language):
        values = _sample_values(request, department, language)
    try:
        letter = letter_render(subject=subject, body=body, values=values)
    except ValidationFailed as exc:
        return {"error": exc.message}
    # html_body is made of escaped pieces only (helpline.mail.letters._html_body).
    return {
        "subject": f"[#1234] {letter.subject}",
        "text": letter.text,
        "html": mark_safe(letter.html_body),  # noqa: S308
    }


@admin_required
@require_POST
def letter_preview(request):
    """The preview fragment for what is in the editor now (htmx, as one types); changes
    nothing."""
    kind, language, department = _target(request.GET)
    preview = _preview(
        request,
        kind=kind,
        language=language,
        department=department,
        subject=request.POST.get("subject", ""),
        body=request.POST.get("body", ""),
    )
    return page(
        request,
        "administration/letter_form.html",
        {"preview": preview},
        menu="letters",
        fragment="preview",
    )


@admin_required
@require_POST
def letter_reset(request):
    kind, language, department = _target(request.GET)
    try:
        removed = letter_template_reset(
            kind=kind, language=language, department=department, actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if removed:
            messages.success(request, _("The letter is back to the text it inherits."))
    return redirect(_edit_url(kind, language, department))
