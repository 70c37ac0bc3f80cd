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
from helpline.tickets.search import index_tickets


def status_of(category: str) -> Status:
    return Status.objects.filter(category=category).order_by("-is_default", "order").first()


class TicketFactory(factory.django.DjangoModelFactory):
    """Like the services, the factories keep the search index in step (helpline.search)."""

    class Meta:
        model = Ticket
        skip_postgeneration_save = True

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

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        if create:
            index_tickets(self)


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entry
        skip_postgeneration_save = True

    ticket = factory.SubFactory(TicketFactory)
    kind = EntryKind.REPLY
    author = factory.LazyAttribute(lambda o: o.ticket.requester)
    body = factory.Faker("paragraph")

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        if create:
            index_tickets(self.ticket)
