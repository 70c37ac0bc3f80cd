"""Presence on the ticket page: heartbeats in the shared cache, answered with who else is there,
`304` when that has not changed."""

import datetime

from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.teamwork.models import Availability
from helpline.teamwork.presence import STALE_SECONDS, presence_beat
from helpline.teamwork.services import staff_status_set


def poll(client, ticket, writing="", etag=None):
    headers = {"HTTP_HX_REQUEST": "true"}
    if etag:
        headers["HTTP_IF_NONE_MATCH"] = etag
    return client.get(
        reverse("teamwork:presence", args=[ticket.pk]), {"writing": writing}, **headers
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_two_agents_see_each_other_and_who_is_writing(dispatcher, supervisor, ticket):
    dana, sue = logged_in(dispatcher), logged_in(supervisor)

    first = poll(dana, ticket)
    assert first.status_code == 200 and "is viewing" not in first.content.decode()

    answer = poll(sue, ticket, writing="reply").content.decode()
    assert "Dana" in answer and "is viewing" in answer

    answer = poll(dana, ticket).content.decode()
    assert "Sue" in answer and "is writing a reply" in answer


def test_an_unchanged_answer_is_a_304_without_a_body(dispatcher, supervisor, ticket):
    dana, sue = logged_in(dispatcher), logged_in(supervisor)
    poll(sue, ticket)
    first = poll(dana, ticket)

    again = poll(dana, ticket, etag=first["ETag"])

    assert again.status_code == 304 and again.content == b""
    assert again["Cache-Control"] == "private, no-cache"
    # Sue starts a note: the answer changes
    poll(sue, ticket, writing="note")
    changed = poll(dana, ticket, etag=first["ETag"])
    assert changed.status_code == 200 and "is writing a note" in changed.content.decode()


def test_a_closed_page_drops_out_after_a_few_missed_beats(
    dispatcher, supervisor, ticket, time_machine
):
    time_machine.move_to(timezone.now())
    presence_beat(ticket.pk, supervisor.pk, "")
    assert [p.user_id for p in presence_beat(ticket.pk, dispatcher.pk, "")] == [supervisor.pk]

    time_machine.shift(datetime.timedelta(seconds=STALE_SECONDS + 1))

    assert presence_beat(ticket.pk, dispatcher.pk, "") == []


def test_beats_live_in_the_shared_cache(dispatcher, ticket):
    presence_beat(ticket.pk, dispatcher.pk, "reply")
    assert dispatcher.pk in cache.get(f"helpline:presence:{ticket.pk}")


def test_an_away_colleague_is_marked(dispatcher, supervisor, ticket):
    staff_status_set(actor=supervisor, state=Availability.AWAY)
    poll(logged_in(supervisor), ticket)
    answer = poll(logged_in(dispatcher), ticket).content.decode()
    assert "Sue" in answer and "Away" in answer


def test_only_who_may_open_the_request_beats(billing_agent, requester_a, ticket):
    assert poll(logged_in(billing_agent), ticket).status_code == 404
    assert poll(logged_in(requester_a), ticket).status_code == 404


def test_the_ticket_page_polls_presence(client, dispatcher, ticket):
    client.force_login(dispatcher)
    html = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert f'id="ticket-{ticket.pk}-presence"' in html
    assert reverse("teamwork:presence", args=[ticket.pk]) in html


def test_a_poll_costs_a_fixed_number_of_queries(
    dispatcher, supervisor, admin_user, ticket, django_assert_max_num_queries
):
    dana = logged_in(dispatcher)
    for user in (supervisor, admin_user):
        poll(logged_in(user), ticket)
    poll(dana, ticket)
    # session, user, site settings, the reference generation, the ticket (access), the
    # presence entry read, its write (the database cache: count, savepoint, select, update,
    # release), the people shown. Absences come from the warm reference data.
    with django_assert_max_num_queries(12):
        assert poll(dana, ticket).status_code == 200
