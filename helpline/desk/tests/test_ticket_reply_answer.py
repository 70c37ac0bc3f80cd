"""The answer to a plain reply is built in Python (`helpline.desk.answers`) with the markup of the
templates that draw the same fragments on the page (`desk/ticket.html#oob` with the composer's
`reply_form` partial and the toasts): the two are held equal here, so a change to either shows.
The reply's entry is shown as its service saved it when it is the only one since the page."""

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from helpline.desk.answers import reply_answer_html
from helpline.desk.timeline import entries_since, ticket_page_for_entry
from helpline.desk.views.ticket.page import TEMPLATE, make_form, page_context
from helpline.tickets import services
from helpline.tickets.models import Entry

from .test_ticket_conflicts import shown
from .ticket_support import HTMX, site_settings_row, ticket_fixture, url  # noqa: F401

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _normalised(html: str) -> str:
    """Whitespace between and inside tags does not count; each render masks the CSRF token anew."""
    html = CSRF.sub('name="csrfmiddlewaretoken" value="…"', str(html))
    html = re.sub(r">\s+", ">", html)
    html = re.sub(r"\s+<", "<", html)
    return re.sub(r"\s+", " ", html).strip()


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.success(request, "Reply sent.")
    messages.info(request, "Tom & Jerry <b>were</b> told.")
    return request


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize("viewer", ["dispatcher", "external"])
def test_the_python_answer_is_the_templates_markup(
    request, dispatcher, requester_a, ticket, viewer, language
):
    # A requester whose name needs escaping, and a reply after the page's newest entry.
    requester_a.first_name, requester_a.last_name = "O'Brien & <Co>", '"Ltd"'
    requester_a.save()
    seen = ticket.entries.last().pk
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Try <this> & that.")
    page = ticket_page_for_entry(dispatcher, ticket.pk)
    page.entries = entries_since(page, seen, also=[dispatcher])
    page.shown_up_to = seen
    user = request.getfixturevalue(viewer)

    with translation.override(language):
        form = make_form("reply_form", page)
        from_templates = render_to_string(
            f"{TEMPLATE}#oob",
            page_context(page, oob=True, parts={"reply"}, appended=True, reply_form=form),
            request=_request(user),
        )
        key = form["submission"].value()
        from_python = reply_answer_html(
            _request(user), page, make_form("reply_form", page, {}), submission=key
        )

    assert _normalised(from_python) == _normalised(from_templates)
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in from_python and "Try &lt;this&gt;" in from_python
    assert (f'id="ticket-{ticket.pk}-kb-q"' in from_python) is (viewer == "dispatcher")
    assert ("Insert a reply template" in from_python) is (language == "en")


def test_the_reply_alone_is_shown_as_saved_without_reading_it_back(client, dispatcher, ticket):
    client.force_login(dispatcher)
    data = shown(client, ticket) | {"body": "The fuser unit is ordered.", "status": ""}
    # The first staff reply moves a new request to open: the header changes, read afresh.
    client.post(url("reply", ticket.pk), data, **HTMX)
    data = shown(client, ticket) | {"body": "It arrives on Monday.", "status": ""}

    response = client.post(url("reply", ticket.pk), data, **HTMX)

    html = response.content.decode()
    entry = Entry.objects.filter(ticket=ticket).latest("pk")
    assert response.status_code == 200 and entry.body == "It arrives on Monday."
    assert f'id="entry-{entry.pk}"' in html and "It arrives on Monday." in html
    assert dispatcher.display_name in html
    assert html.count('class="hl-entry ') == 1


def test_an_entry_added_meanwhile_without_a_new_version_is_still_shown(
    client, monkeypatch, dispatcher, supervisor, ticket
):
    # A colleague's time log adds history without changing the request's version: the answer
    # cannot take the reply for all that is new, and reads what came after the page.
    from helpline.timelog.services import time_entry_add

    client.force_login(dispatcher)
    client.post(url("reply", ticket.pk), shown(client, ticket) | {"body": "First.", "status": ""})
    data = shown(client, ticket) | {"body": "Second.", "status": ""}
    original = services.ticket_reply_add

    def meanwhile(**kwargs):
        time_entry_add(ticket=ticket, actor=supervisor, minutes=15)
        return original(**kwargs)

    monkeypatch.setattr(services, "ticket_reply_add", meanwhile)
    response = client.post(url("reply", ticket.pk), data, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Second." in html and "15" in html
    assert html.count('id="entry-') == 2


def test_a_request_out_of_sight_is_not_found_without_reading_its_thread(
    client, billing_agent, dispatcher, ticket
):
    # The ticket is read by its number and the access rule asked of it (`staff_ticket_or_404`):
    # a request in a department the agent cannot see is "not found", its thread never read.
    client.force_login(billing_agent)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url("ticket", ticket.pk))
        reply = client.post(url("reply", ticket.pk), {"body": "Hello", "status": ""}, **HTMX)
    assert page.status_code == reply.status_code == 404
    assert not [q for q in queries.captured_queries if "tickets_entry" in q["sql"]]
    client.force_login(dispatcher)
    assert client.get(url("ticket", ticket.pk)).status_code == 200


def test_a_plain_reply_takes_a_fixed_number_of_statements(client, dispatcher, ticket):
    client.force_login(dispatcher)
    client.post(url("reply", ticket.pk), shown(client, ticket) | {"body": "First.", "status": ""})
    data = shown(client, ticket) | {"body": "Second.", "status": ""}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url("reply", ticket.pk), data, **HTMX)
    assert response.status_code == 200
    # 1 session, 2 user, 3 the reference generation (the site settings and rights are
    # reference data), 4 the ticket with its requester and whether others wrote after the
    # page's newest entry; the write: 5-6 the one-time key (savepoint, insert), 7-8 the
    # savepoints of the template and reply services, 9 the ticket locked, 10 the entry, 11 the
    # ticket's version, 12-13 its search document (read, upsert), 14 the event log, 15 the
    # notification, 16-17 savepoints released, 18 the key's result, 19 released; 20 the
    # sidebar's counts forgotten, 21 the entries after the page's newest (only the reply: shown
    # as saved). On PostgreSQL the reply service's own block opens no savepoint (8 and 16:
    # round trips, nothing in it catching an error, helpline.core.atomic) and the search
    # document is extended by one UPDATE (12-13).
    assert len(queries) == (18 if connection.vendor == "postgresql" else 21)
