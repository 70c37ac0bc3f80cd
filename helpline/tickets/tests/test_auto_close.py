"""Resolved requests close themselves after the configured days without an answer."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from helpline.audit.models import Event
from helpline.core.models import SiteSettings
from helpline.tickets import services
from helpline.tickets.models import EntryKind, StatusCategory
from helpline.tickets.services._common import default_status
from helpline.tickets.tasks import auto_close_resolved
from helpline.tickets.tests.factories import TicketFactory


def resolved(dispatcher, support, **kwargs):
    ticket = TicketFactory(department=support, **kwargs)
    services.ticket_update(
        ticket=ticket, actor=dispatcher, status=default_status(StatusCategory.RESOLVED)
    )
    ticket.refresh_from_db()
    return ticket


def test_closes_only_after_the_configured_days(dispatcher, support):
    # given a request resolved now, with the default of 7 days
    ticket = resolved(dispatcher, support)
    later = timezone.now()
    with time_machine.travel(later + timedelta(days=6, hours=23)):
        assert services.tickets_auto_close() == 0
    # when eight days pass without an answer
    with time_machine.travel(later + timedelta(days=8)):
        auto_close_resolved.call_local()
    # then it is closed, and the history and the event log say why
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED and ticket.closed_at is not None
    event = ticket.entries.filter(kind=EntryKind.EVENT, field="status").latest("id")
    assert event.author is None and "automatically" in event.body
    assert Event.objects.filter(action="ticket.auto_closed", object_id=str(ticket.pk)).exists()


def test_a_reopened_or_deleted_request_stays(dispatcher, supervisor, requester_a, support):
    reopened = resolved(dispatcher, support, requester=requester_a)
    services.ticket_reopen(ticket=reopened, actor=requester_a, reason="Still broken")
    trashed = resolved(dispatcher, support)
    services.ticket_delete(ticket=trashed, actor=supervisor)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert services.tickets_auto_close() == 0
    reopened.refresh_from_db()
    assert reopened.status_category == StatusCategory.OPEN


def test_zero_days_switches_it_off(dispatcher, support):
    settings_row = SiteSettings.current()
    settings_row.auto_close_days = 0
    settings_row.save()
    ticket = resolved(dispatcher, support)
    with time_machine.travel(timezone.now() + timedelta(days=365)):
        assert services.tickets_auto_close() == 0
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED
