"""Factories for tickets and their thread."""

import factory

from helpline.accounts.tests.factories import DepartmentFactory, UserFactory
from helpline.tickets.models import (
    Channel,
    Entry,
    EntryKind,
    Status,
    StatusCategory,
    Ticket,
    TicketClass,
)


def status_of(category: str) -> Status:
    return Status.objects.filter(category=category).order_by("-is_default", "order").first()


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Printer on floor {n} is jammed")
    ticket_class = TicketClass.INCIDENT
    status = factory.LazyAttribute(lambda o: status_of(o.category))
    status_category = factory.LazyAttribute(lambda o: o.status.category)
    department = factory.SubFactory(DepartmentFactory)
    requester = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda o: o.requester.organisation)
    channel = Channel.PORTAL

    class Params:
        category = StatusCategory.NEW


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entry

    ticket = factory.SubFactory(TicketFactory)
    kind = EntryKind.REPLY
    author = factory.LazyAttribute(lambda o: o.ticket.requester)
    body = factory.Faker("paragraph")
