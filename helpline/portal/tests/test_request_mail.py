"""A requester's own mail in the portal: quoted history folded, like on the desk."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.mail.ingest import receive
from helpline.mail.models import Mailbox
from helpline.mail.tests.messages import mail

pytestmark = pytest.mark.django_db


def test_mailed_reply_shows_folded_in_the_portal(client, requester_a, support):
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.test", department=support)
    first = receive(
        mail(sender=f"Alice <{requester_a.email}>", body="The VPN drops."), mailbox=mailbox
    )
    assert first.ticket.requester == requester_a
    client.force_login(requester_a)
    page = reverse("portal:request", args=[first.ticket.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        return len(queries)

    count()  # the site's settings, remembered by the process from its first request
    before = count()
    for n in range(3):
        receive(
            mail(
                sender=f"Alice <{requester_a.email}>",
                subject="Re: Printer is broken",
                body=f"Still broken {n}.\n\nOn Mon, Ann <ann@desk.test> wrote:\n> Restart it.\n",
                in_reply_to=f"<{first.entry.mail.message_id}>",
            ),
            mailbox=mailbox,
        )

    html = client.get(page).content.decode()
    assert "Still broken 2." in html
    assert (
        len(
            re.findall(
                r'<details class="hl-quote"><summary>Show quoted text</summary><div>On Mon', html
            )
        )
        == 3
    )
    assert count() == before  # the mail rows come with their entries
