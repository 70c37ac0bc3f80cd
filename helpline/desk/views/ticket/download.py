"""Attachment downloads for staff who can see the attachment's ticket."""

from django.http import Http404
from django.views.decorators.http import require_GET

from helpline.core.decorators import staff_required
from helpline.desk.permissions import staff_ticket_or_404
from helpline.tickets.downloads import attachment_response
from helpline.tickets.models import Attachment


@staff_required
@require_GET
def attachment(request, pk: int):
    """404 unless the signed-in staff member can see the ticket the file belongs to."""
    found = Attachment.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    staff_ticket_or_404(request.user, found.ticket_id)
    return attachment_response(found)
