"""The desk's search page: highlighted results, the entry that matched, filters combined with
the words, only requests the agent may open, pages, bad queries, and its query count."""

import pytest
from django.urls import reverse

from helpline.tickets import services
from helpline.tickets.models import Channel, StatusCategory
from helpline.tickets.tests.factories import TicketFactory, status_of

pytestmark = pytest.mark.django_db
SEARCH = reverse("desk:search")


@pytest.fixture
def laptop(requester_a, support, dispatcher):
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Laptop will not boot",
        body="Black screen after the update.",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Ordered a new motherboard")
    return ticket


def found(response):
    return [item.ticket.pk for item in response.context["found"]]


def test_a_word_of_an_internal_note_finds_the_request(client, laptop, dispatcher):
    client.force_login(dispatcher)
    response = client.get(SEARCH, {"q": "motherboards"})
    assert found(response) == [laptop.pk]
    html = response.content.decode()
    assert "<mark>motherboard</mark>" in html
    assert "In an internal note" in html
    note = laptop.entries.get(kind="note")
    assert f"#entry-{note.pk}" in html


def test_a_reply_match_names_the_reply(client, laptop, dispatcher):
    client.force_login(dispatcher)
    html = client.get(SEARCH, {"q": "black screen"}).content.decode()
    assert "In a reply" in html and "<mark>Black</mark> <mark>screen</mark>" in html


def test_only_requests_the_agent_may_open(client, laptop, billing_agent, specialist):
    for agent in (billing_agent, specialist):
        client.force_login(agent)
        response = client.get(SEARCH, {"q": "laptop"})
        assert found(response) == []
        assert "Laptop will not boot" not in response.content.decode()


def test_requesters_get_no_search_page(client, laptop, requester_a):
    client.force_login(requester_a)
    assert client.get(SEARCH, {"q": "laptop"}).status_code == 404


def test_filters_combine_with_the_words(client, laptop, dispatcher, support, billing):
    client.force_login(dispatcher)
    open_pk = str(status_of(StatusCategory.OPEN).pk)
    new_pk = str(status_of(StatusCategory.NEW).pk)
    assert found(client.get(SEARCH, {"q": "laptop", "status": new_pk})) == [laptop.pk]
    assert found(client.get(SEARCH, {"q": "laptop", "status": open_pk})) == []
    assert found(client.get(SEARCH, {"q": "laptop", "responsible": "none"})) == [laptop.pk]
    assert found(client.get(SEARCH, {"q": "laptop", "responsible": "me"})) == []
    assert found(client.get(SEARCH, {"q": "laptop", "ticket_class": "change_request"})) == []
    assert found(client.get(SEARCH, {"q": "laptop", "since": "2999-01-01"})) == []
    assert found(client.get(SEARCH, {"q": "laptop", "until": "2999-01-01"})) == [laptop.pk]
    assert found(client.get(SEARCH, {"q": "laptop", "department": str(support.pk)})) == [laptop.pk]
    # Unparsable filter values are ignored, never an error page.
    assert found(client.get(SEARCH, {"q": "laptop", "status": "x", "since": "soon"})) == [laptop.pk]


def test_number_jumps(client, laptop, dispatcher):
    client.force_login(dispatcher)
    response = client.get(SEARCH, {"q": f"#{laptop.pk}"})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[laptop.pk])


@pytest.mark.parametrize("bad", ['"unbalanced', "-only", "x" * 10_000, "\x00", "OR AND NOT", ""])
def test_bad_queries_give_a_message(client, laptop, dispatcher, bad):
    client.force_login(dispatcher)
    response = client.get(SEARCH, {"q": bad})
    assert response.status_code == 200
    assert found(response) == []


def test_pages(client, dispatcher, support, requester_a):
    for _ in range(23):
        TicketFactory(subject="Toner empty", department=support, requester=requester_a)
    client.force_login(dispatcher)
    first = client.get(SEARCH, {"q": "toner"})
    assert len(found(first)) == 20 and first.context["pages"].get("next")
    second = client.get(SEARCH, {"q": "toner", "page": "2"})
    assert len(found(second)) == 3 and "previous" in second.context["pages"]
    assert not set(found(first)) & set(found(second))


def test_query_count_does_not_grow_with_results(
    client, dispatcher, support, requester_a, django_assert_max_num_queries
):
    for _ in range(20):
        TicketFactory(subject="Scanner offline", department=support, requester=requester_a)
    client.force_login(dispatcher)
    client.get(SEARCH, {"q": "scanner"})  # reference data into the process cache
    with django_assert_max_num_queries(12):
        response = client.get(SEARCH, {"q": "scanner"})
    assert len(found(response)) == 20
