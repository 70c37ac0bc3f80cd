"""My requests: tabs, the labels a requester reads, keyset pages and the htmx fragment."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpline.tickets.models import StatusCategory, Ticket
from helpline.tickets.tests.factories import TicketFactory

LABELS = {
    StatusCategory.NEW: "Open",
    StatusCategory.OPEN: "Open",
    StatusCategory.PENDING: "Waiting for your reply",
    StatusCategory.ON_HOLD: "In progress",
    StatusCategory.RESOLVED: "Solved — please confirm",
    StatusCategory.CLOSED: "Closed",
}


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/requests/(\d+)/" data-hl-open', html)]


@pytest.mark.parametrize(("category", "label"), LABELS.items())
def test_status_reads_as_the_requester_understands_it(client, requester_a, category, label):
    ticket = TicketFactory(requester=requester_a, category=category)
    client.force_login(requester_a)
    html = client.get(reverse("portal:requests") + "?tab=all").content.decode()
    assert numbers(html) == [ticket.pk]
    assert f">{label}</span>" in html


def test_tabs_split_open_and_closed(client, requester_a):
    waiting = TicketFactory(requester=requester_a, category=StatusCategory.PENDING)
    solved = TicketFactory(requester=requester_a, category=StatusCategory.RESOLVED)
    closed = TicketFactory(requester=requester_a, category=StatusCategory.CLOSED)
    client.force_login(requester_a)

    def tab(name):
        return set(
            numbers(client.get(reverse("portal:requests") + f"?tab={name}").content.decode())
        )

    assert tab("open") == {waiting.pk, solved.pk}
    assert tab("closed") == {closed.pk}
    assert tab("all") == {waiting.pk, solved.pk, closed.pk}
    assert tab("nonsense") == tab("open")


def test_keyset_pages_cover_every_request_once(client, requester_a):
    now = timezone.now()
    tickets = [TicketFactory(requester=requester_a) for _n in range(30)]
    # Two requests share a timestamp, so the id has to break the tie.
    for n, ticket in enumerate(tickets):
        ticket.last_activity_at = now - timedelta(minutes=min(n, 24))
    Ticket.objects.bulk_update(tickets, ["last_activity_at"])
    client.force_login(requester_a)
    first = client.get(reverse("portal:requests")).content.decode()
    assert len(numbers(first)) == 25
    after = re.search(r'href="\?tab=open&amp;after=([\d.]+)"', first).group(1)
    second = client.get(reverse("portal:requests") + f"?tab=open&after={after}").content.decode()
    assert len(numbers(second)) == 5
    assert sorted(numbers(first) + numbers(second)) == sorted(t.pk for t in tickets)
    assert "Older requests" not in second and "First page" in second


def test_a_broken_cursor_shows_the_first_page(client, requester_a):
    ticket = TicketFactory(requester=requester_a)
    client.force_login(requester_a)
    html = client.get(reverse("portal:requests") + "?after=garbage").content.decode()
    assert numbers(html) == [ticket.pk]


def test_htmx_gets_only_the_table(client, requester_a):
    ticket = TicketFactory(requester=requester_a, category=StatusCategory.CLOSED)
    client.force_login(requester_a)
    response = client.get(
        reverse("portal:requests") + "?tab=closed", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html and numbers(html) == [ticket.pk]
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("portal:requests"))
    assert "<html" in full.content.decode() and "HX-Request" in full["Vary"]
