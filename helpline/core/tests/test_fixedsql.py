"""Fixed statements (`helpline.core.fixedsql`): rows written and read as Django's own would."""

import pytest
from django.db import connection
from django.db.models.signals import post_save

from helpline.core import fixedsql
from helpline.mail.models import Notification
from helpline.tickets.models import Ticket
from helpline.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_an_insert_writes_what_save_would(requester_a):
    ticket = TicketFactory(requester=requester_a)
    row = fixedsql.insert(
        Notification(kind="created", ticket_id=ticket.pk, data={"a": [1, "ü"]}, actor=None)
    )
    assert row.pk is not None and not row._state.adding
    stored = Notification.objects.get(pk=row.pk)
    # the defaults, the JSON and the auto_now times as a save gives them
    assert stored.data == {"a": [1, "ü"]}
    assert stored.state == Notification.State.PENDING and stored.outcome == []
    assert stored.created_at is not None and stored.updated_at is not None


def test_a_model_with_save_receivers_is_saved_the_ordinary_way(requester_a):
    ticket = TicketFactory(requester=requester_a)
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=Notification)
    try:
        row = fixedsql.insert(Notification(kind="created", ticket_id=ticket.pk))
    finally:
        post_save.disconnect(receiver, sender=Notification)
    assert heard == [(row.pk, True)]


def test_an_instance_read_by_a_raw_statement_equals_the_querysets(requester_a):
    ticket = TicketFactory(requester=requester_a)
    columns = fixedsql.select_columns(Ticket, "t")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM tickets_ticket t WHERE t.id = %s", [ticket.pk])  # noqa: S608
        raw = fixedsql.instance(Ticket, cursor.fetchone())
    orm = Ticket.objects.get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        assert getattr(raw, field.attname) == getattr(orm, field.attname), field.name
    # converted as the queryset converts: aware times, booleans, not the database's text
    assert raw.created_at.tzinfo is not None
    assert not raw._state.adding and raw._state.db == "default"
