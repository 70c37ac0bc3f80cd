"""`helpline demo`: the demo organisation loads once, with requests in every status and class."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from helpline.accounts.models import Department, Organisation, Role, User
from helpline.audit.models import Event
from helpline.demo.load import NotAnEmptyDesk, demo_load
from helpline.demo.people import DEMO_PASSWORD, demo_logins
from helpline.tickets.models import (
    Channel,
    Entry,
    EntryKind,
    Priority,
    StatusCategory,
    Ticket,
    TicketClass,
    Topic,
)
from helpline.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

# Fewer requests than the real demo's 300 keep the suite fast; the mix is the same.
REQUESTS = "60"


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Department, Organisation, Topic, Ticket, Entry, Event)
    }


def load() -> str:
    out = StringIO()
    call_command("demo", "--no-serve", "--no-migrate", "--requests", REQUESTS, stdout=out)
    return out.getvalue()


def test_demo_loads_once_with_a_realistic_desk():
    # One load serves every check below: loading is the slow part of this module.
    first = load()
    after_first = counts()
    second = load()

    # idempotent: the second run keeps what is there
    assert "Demo loaded in" in first
    assert "already loaded" in second
    assert counts() == after_first
    assert after_first["Ticket"] >= int(REQUESTS)
    assert_every_status_class_priority_and_channel()
    assert_threads_look_real()
    assert_people_and_departments()


def assert_every_status_class_priority_and_channel():
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("status_category", flat=True)) == set(StatusCategory.values)
    assert set(tickets.values_list("ticket_class", flat=True)) == set(TicketClass.values)
    assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
    assert set(tickets.values_list("channel", flat=True)) == set(Channel.values)
    assert tickets.filter(deleted_at__isnull=False).exists()
    assert tickets.filter(line=3).exists()


def assert_threads_look_real():
    now = timezone.now()
    entries = Entry.objects.all()
    # history spreads over the past months, never in the future
    assert not entries.filter(created_at__gt=now).exists()
    assert entries.filter(created_at__lt=now - timedelta(days=30)).exists()
    assert not Event.objects.filter(created_at__gt=now).exists()
    # replies, internal notes and recorded hand-overs
    kinds = set(entries.values_list("kind", flat=True))
    assert kinds == {EntryKind.REPLY, EntryKind.NOTE, EntryKind.EVENT}
    fields = set(entries.filter(kind=EntryKind.EVENT).values_list("field", flat=True))
    assert {"status", "assignee", "department", "line", "tags"} <= fields
    # every closed request went through resolution, with its times in order
    for ticket in Ticket.objects.filter(status_category=StatusCategory.CLOSED, merged_into=None):
        assert ticket.created_at <= ticket.resolved_at <= ticket.closed_at <= now
        assert ticket.first_response_at is not None
    for ticket in Ticket.objects.prefetch_related("entries"):
        assert min(e.created_at for e in ticket.entries.all()) >= ticket.created_at


def assert_people_and_departments():
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    for email, _what in demo_logins():
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD), email
    shared = Organisation.objects.get(name="Nordlys Hosting AS")
    assert shared.shared_requests is True
    assert Organisation.objects.get(name="Acme Retail").shared_requests is False
    assert shared.members.count() == 6
    support = Department.objects.get(name="Support")
    assert set(support.children.values_list("name", flat=True)) == {
        "Hardware",
        "Software",
        "Network",
    }
    assert Topic.objects.filter(department__name="Refunds").exists()
    # The knowledge base: answers in the three languages, translations linked, one in review.
    from helpline.kb.models import Article

    published = Article.objects.filter(status="published")
    assert set(published.values_list("language", flat=True)) == {"en", "nb", "ru"}
    assert published.filter(translation_of__title="The VPN disconnects every hour").count() == 2
    assert Article.objects.filter(status="in_review").exists()


def test_the_demos_made_up_history_sends_no_letters(django_capture_on_commit_callbacks):
    from helpline.mail.models import Notification, OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        demo_load(tickets=30)
    assert Notification.objects.exists()
    assert not Notification.objects.filter(state=Notification.State.PENDING).exists()
    assert not OutboxMessage.objects.filter(ticket__isnull=False).exists()


def test_demo_refuses_a_desk_with_requests_of_its_own():
    TicketFactory()

    with pytest.raises(NotAnEmptyDesk):
        demo_load(tickets=10)
