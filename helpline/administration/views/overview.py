"""The administration's front page: headline numbers and the way to each area."""

from django.views.decorators.http import require_GET

from helpline.core.decorators import admin_required

from ..selectors import overview_counts
from .base import page


@admin_required
@require_GET
def index(request):
    return page(request, "administration/index.html", {"counts": overview_counts()}, menu="index")
