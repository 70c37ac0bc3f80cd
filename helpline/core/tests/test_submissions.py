"""One-time submission keys: a post repeated after a lost response writes once."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.core.errors import ValidationFailed
from helpline.core.models import SiteSettings, SubmissionKey
from helpline.core.submissions import submission_keys_forget, submission_once
from helpline.core.tasks import submission_keys_cleanup
from helpline.core.tests.threads import run_together
from helpline.tickets import services
from helpline.tickets.models import Channel, Entry, EntryKind, Ticket, TicketClass

KEY = "k3y-from-the-rendered-form"
PORTAL_FORM = {
    "ticket_class": TicketClass.INCIDENT,
    "subject": "Printer jams",
    "description": "On every page.",
    "submission": KEY,
}


@pytest.fixture
def ticket(requester_a, support):
    return services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN drops every hour",
        body="Since Monday.",
        channel=Channel.PORTAL,
        department=support,
    )


def test_the_same_key_twice_opens_one_request_in_the_portal(client, requester_a, support):
    client.force_login(requester_a)

    first = client.post(reverse("portal:new"), PORTAL_FORM)
    again = client.post(reverse("portal:new"), PORTAL_FORM)

    assert first.status_code == again.status_code == 302
    assert again.url == first.url == reverse("portal:submitted")
    ticket = Ticket.objects.get()
    assert f"#{ticket.pk}<" in client.get(reverse("portal:submitted")).content.decode()


def test_an_anonymous_double_click_opens_one_request(client, support):
    SiteSettings.objects.update_or_create(pk=1, defaults={"anonymous_submission": True})
    form = {**PORTAL_FORM, "name": "Pat Anon", "email": "pat@anon.test", "website": ""}

    client.post(reverse("portal:new"), form)
    client.post(reverse("portal:new"), form)

    assert Ticket.objects.count() == 1


def test_different_keys_are_different_requests(client, requester_a, support):
    client.force_login(requester_a)
    client.post(reverse("portal:new"), PORTAL_FORM)
    client.post(reverse("portal:new"), {**PORTAL_FORM, "submission": "another-key"})
    assert Ticket.objects.count() == 2


def test_a_portal_reply_sent_twice_is_one_reply(client, requester_a, ticket):
    client.force_login(requester_a)
    url = reverse("portal:request", args=[ticket.pk])

    first = client.post(
        reverse("portal:reply", args=[ticket.pk]), {"body": "Hi", "submission": KEY}
    )
    again = client.post(
        reverse("portal:reply", args=[ticket.pk]), {"body": "Hi", "submission": KEY}
    )

    entry = Entry.objects.get(ticket=ticket, body="Hi")
    assert first.url == again.url == f"{url}#entry-{entry.pk}"


def test_a_desk_reply_and_a_note_sent_twice_are_written_once(client, dispatcher, ticket):
    client.force_login(dispatcher)
    reply = reverse("desk:reply", args=[ticket.pk])
    note = reverse("desk:note", args=[ticket.pk])

    answers = [client.post(reply, {"body": "On it", "submission": KEY}) for _ in range(2)]
    notes = [client.post(note, {"body": "Logs checked", "submission": "n-" + KEY}) for _ in "ab"]

    entry = Entry.objects.get(kind=EntryKind.REPLY, author=dispatcher)
    assert {a.url for a in answers} == {
        reverse("desk:ticket", args=[ticket.pk]) + f"#entry-{entry.pk}"
    }
    assert Entry.objects.filter(kind=EntryKind.NOTE).count() == 1
    assert notes[0].url == notes[1].url


def test_a_reply_with_status_repeated_is_not_a_conflict_with_itself(client, dispatcher, ticket):
    # The first post moved the version on; the repeat carries the old one and must still be
    # answered as the first was, not refused.
    from helpline.tickets.tests.factories import status_of

    client.force_login(dispatcher)
    form = {
        "body": "Solved",
        "status": status_of("resolved").pk,
        "version": ticket.version,
        "submission": KEY,
    }
    reply = reverse("desk:reply", args=[ticket.pk])
    assert client.post(reply, form).status_code == 302
    assert client.post(reply, form).status_code == 302
    assert Entry.objects.filter(kind=EntryKind.REPLY, author=dispatcher).count() == 1


def test_a_desk_request_created_twice_is_one_request(client, dispatcher, support, requester_a):
    client.force_login(dispatcher)
    form = {
        "channel": Channel.PHONE,
        "subject": "Cannot print",
        "body": "Error 42.",
        "ticket_class": TicketClass.INCIDENT,
        "impact": "3",
        "urgency": "3",
        "department": str(support.pk),
        "requester": str(requester_a.pk),
        "submission": KEY,
    }
    first = client.post(reverse("desk:new"), form)
    again = client.post(reverse("desk:new"), form)
    ticket = Ticket.objects.get()
    assert first.url == again.url == reverse("desk:ticket", args=[ticket.pk])


def test_a_refused_first_try_leaves_the_key_unused(client, requester_a, support):
    client.force_login(requester_a)
    client.post(reverse("portal:new"), {**PORTAL_FORM, "subject": "   "})
    assert not SubmissionKey.objects.exists()
    client.post(reverse("portal:new"), PORTAL_FORM)
    assert Ticket.objects.count() == 1


def test_someone_elses_key_is_refused(requester_a, requester_b, support):
    def open_for(user):
        return lambda: services.ticket_create(
            actor=user, requester=user, subject="s", body="b", channel=Channel.PORTAL
        )

    submission_once(key=KEY, scope="portal.request", user=requester_a, write=open_for(requester_a))
    with pytest.raises(ValidationFailed):
        submission_once(
            key=KEY, scope="portal.request", user=requester_b, write=open_for(requester_b)
        )
    assert Ticket.objects.count() == 1


def test_old_keys_are_forgotten_by_the_periodic_job(requester_a, support):
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        SubmissionKey.objects.create(digest="a" * 64, scope="portal.request")
    SubmissionKey.objects.create(digest="b" * 64, scope="portal.request")

    submission_keys_cleanup.call_local()

    assert list(SubmissionKey.objects.values_list("digest", flat=True)) == ["b" * 64]
    assert submission_keys_forget() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_posts_with_the_same_key_at_once_open_one_request(requester_a, support):
    # A browser retrying while the first post is still being processed: both arrive together.
    def post():
        client = Client()
        client.force_login(requester_a)
        return client.post(reverse("portal:new"), PORTAL_FORM).status_code

    outcomes = run_together(post, post, post, hold_locks=0.05)

    assert [o.error for o in outcomes] == [None] * 3
    assert [o.value for o in outcomes] == [302] * 3
    assert Ticket.objects.count() == 1
    assert SubmissionKey.objects.count() == 1
