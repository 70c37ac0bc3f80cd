"""Suggestions for the merge and link dialogs, as the agent types (htmx fragments)."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from helpline.core.decorators import staff_required
from helpline.desk.candidates import Purpose, ticket_candidates
from helpline.desk.permissions import staff_ticket_or_404

# purpose → (the dialog's field, its id on the page)
FIELDS = {Purpose.MERGE: ("target", "merge-target"), Purpose.LINK: ("other", "link-other")}


def _candidates(request, pk: int, purpose: str):
    ticket = staff_ticket_or_404(request.user, pk)
    name, field_id = FIELDS[purpose]
    text = request.GET.get(name, "")
    context = {
        "candidates": ticket_candidates(request.user, ticket, text, purpose=purpose),
        "field_id": field_id,
        "searched": bool(text.strip()),
    }
    response = render(request, "desk/ticket/_candidates.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@staff_required
@require_GET
def merge_candidates(request, pk: int):
    """Requests this one could be merged into: the same requester's first."""
    return _candidates(request, pk, Purpose.MERGE)


@staff_required
@require_GET
def link_candidates(request, pk: int):
    """Requests this one could be linked to."""
    return _candidates(request, pk, Purpose.LINK)
