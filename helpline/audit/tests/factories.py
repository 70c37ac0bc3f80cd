"""Factories for event log rows."""

import factory

from helpline.audit.models import Event


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    action = "ticket.updated"
    object_type = "tickets.ticket"
    object_id = factory.Sequence(str)
    object_repr = factory.LazyAttribute(lambda o: f"#{o.object_id} Printer jammed")
    changes = factory.LazyFunction(lambda: {"status": ["New", "Open"]})
    ip = "192.0.2.10"
