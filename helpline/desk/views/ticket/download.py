"""Attachment downloads for staff who can see the attachment's ticket."""

from django.views.decorators.http import require_GET

from helpline.core.decorators import staff_required
from helpline.desk.permissions import staff_attachment_or_404
from helpline.tickets.downloads import attachment_response


@staff_required
@require_GET
def attachment(request, pk: int):
    """404 unless the signed-in staff member can see the ticket the file belongs to."""
    return attachment_response(staff_attachment_or_404(request.user, pk))
