"""Reads of reply templates: the management lists, the reply box's typeahead, usage."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from helpline.accounts.models import Department

from .models import ReplyTemplate, ReplyText, Scope
from .permissions import managed_departments, templates_usable

SUGGESTIONS = 8


def _loaded(qs: QuerySet[ReplyTemplate]) -> QuerySet[ReplyTemplate]:
    return qs.select_related(
        "department", "owner", "set_status", "set_department", "set_assignee"
    ).prefetch_related(Prefetch("texts", queryset=ReplyText.objects.order_by("language")))


def _search(qs: QuerySet[ReplyTemplate], text: str, category: str) -> QuerySet[ReplyTemplate]:
    text = " ".join((text or "").split())[:100]
    if text:
        matching = ReplyText.objects.filter(body__icontains=text).values("template_id")
        qs = qs.filter(Q(name__icontains=text) | Q(category__icontains=text) | Q(pk__in=matching))
    if category:
        qs = qs.filter(category=category)
    return qs


@dataclass
class TemplateLists:
    personal: list[ReplyTemplate]
    department: list[ReplyTemplate]
    everyone: list[ReplyTemplate]
    categories: list[str]
    departments: list[Department]  # where the viewer may add department templates


def template_lists(user, *, text: str = "", category: str = "") -> TemplateLists:
    """The templates `user` may use, by scope, filtered by `text` and `category` (two queries
    and one for their texts, whatever the number)."""
    rows = list(_loaded(_search(templates_usable(user), text, category)).order_by(*ORDER))
    categories = sorted(
        set(templates_usable(user).exclude(category="").values_list("category", flat=True))
    )
    managed = managed_departments(user)
    departments = Department.objects.filter(is_active=True).order_by("path")
    if managed is not None:
        departments = departments.filter(pk__in=managed)
    return TemplateLists(
        personal=[t for t in rows if t.scope == Scope.PERSONAL],
        department=[t for t in rows if t.scope == Scope.DEPARTMENT],
        everyone=[t for t in rows if t.scope == Scope.GLOBAL],
        categories=categories,
        departments=list(departments),
    )


ORDER = ("category", "name", "pk")


def template_suggestions(user, text: str) -> list[ReplyTemplate]:
    """Up to eight templates for the reply box, the most used first among those matching."""
    qs = _search(templates_usable(user), text, "")
    return list(_loaded(qs).order_by("-usage_count", "name", "pk")[:SUGGESTIONS])


def template_choices(user) -> list[ReplyTemplate]:
    """Every template `user` may apply, for the board's bulk bar (one query)."""
    return list(
        templates_usable(user).order_by("category", "name", "pk").only("pk", "name", "category")
    )


def template_usable(user, pk: int) -> ReplyTemplate | None:
    return _loaded(templates_usable(user).filter(pk=pk)).first()


def template_usage(*, text: str = "", scope: str = "") -> QuerySet[ReplyTemplate]:
    """Every template with its use count, the most used first (administrators' page)."""
    qs = _search(ReplyTemplate.objects.all(), text, "")
    if scope in Scope.values:
        qs = qs.filter(scope=scope)
    return qs.select_related("department", "owner").order_by("-usage_count", "name", "pk")
