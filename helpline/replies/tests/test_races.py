"""Usage counts under agents sending at the same moment (real threads, own connections; on
SQLite and on PostgreSQL): every use counts, whatever each agent's copy of the row said."""

import pytest
from django.test import Client
from django.urls import reverse

from helpline.core.tests.threads import run_together
from helpline.replies import services
from helpline.tickets.models import EntryKind, StatusCategory
from helpline.tickets.tests.factories import TicketFactory

from .factories import ReplyTemplateFactory, ReplyTextFactory

# Serialized rollback, like every threaded test: the seeded statuses come back for the next one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
AGENTS = 6


def test_uses_at_the_same_moment_all_count(dispatcher):
    template = ReplyTemplateFactory()
    stale = [type(template).objects.get(pk=template.pk) for _ in range(AGENTS)]

    outcomes = run_together(*(lambda t=t: services.reply_template_used(template=t) for t in stale))

    assert [o.error for o in outcomes] == [None] * AGENTS
    template.refresh_from_db()
    assert template.usage_count == AGENTS


def test_replies_sent_with_one_template_at_once_count_each(dispatcher, support, requester_a):
    template = ReplyTemplateFactory(add_tags=["answered"])
    ReplyTextFactory(template=template, body="Hello {{ requester_first_name }}")
    tickets = [
        TicketFactory(department=support, requester=requester_a, category=StatusCategory.OPEN)
        for _ in range(AGENTS)
    ]
    clients = []
    for _ in tickets:
        client = Client()
        client.force_login(dispatcher)
        clients.append(client)

    def send(client, ticket):
        return lambda: client.post(
            reverse("desk:reply", args=[ticket.pk]),
            {"body": "Hello Alice", "template": str(template.pk)},
        )

    outcomes = run_together(
        *(send(c, t) for c, t in zip(clients, tickets, strict=True)), hold_locks=0.05
    )

    assert [o.error for o in outcomes] == [None] * AGENTS
    assert [o.value.status_code for o in outcomes] == [302] * AGENTS
    template.refresh_from_db()
    assert template.usage_count == AGENTS
    for ticket in tickets:
        assert ticket.entries.filter(kind=EntryKind.REPLY).count() == 1
        assert list(ticket.tags.values_list("name", flat=True)) == ["answered"]
