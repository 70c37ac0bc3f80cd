"""Reply templates seen from the administration: every template with how often it is used."""

from django.views.decorators.http import require_GET

from helpline.core.decorators import admin_required
from helpline.replies.models import Scope
from helpline.replies.selectors import template_usage

from .base import page

LIMIT = 200


@admin_required
@require_GET
def reply_template_usage(request):
    """The most used first, so the unused ones (candidates for deletion) sink to the bottom;
    global templates are added and changed from here (the editor is the desk's)."""
    text = request.GET.get("q", "")[:100]
    scope = request.GET.get("scope", "")
    rows = list(template_usage(text=text, scope=scope)[: LIMIT + 1])
    return page(
        request,
        "administration/replies.html",
        {
            "rows": rows[:LIMIT],
            "more": len(rows) > LIMIT,
            "q": text,
            "scope": scope,
            "scopes": Scope.choices,
        },
        menu="replies",
    )
