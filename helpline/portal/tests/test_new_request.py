"""Submitting a request from the portal: signed in, anonymous, topics, files, confirmation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpline.accounts.models import User
from helpline.core.models import SiteSettings
from helpline.core.submissions import submission_key_new
from helpline.tickets.models import Channel, Ticket, TicketClass, Topic

FORM = {
    "ticket_class": TicketClass.SERVICE_REQUEST,
    "subject": "New laptop for Maria",
    "description": "Maria starts on Monday and needs a laptop.",
}
ANONYMOUS = {**FORM, "name": "Petra Hansen", "email": "Petra@Initech.test", "website": ""}


@pytest.fixture
def anonymous_on(db):
    settings = SiteSettings.current()
    settings.anonymous_submission = True
    settings.save()
    return settings


def test_signed_in_requester_submits_and_sees_the_number(client, requester_a, support):
    client.force_login(requester_a)
    files = [SimpleUploadedFile("a.txt", b"one"), SimpleUploadedFile("b.txt", b"two")]
    response = client.post(reverse("portal:new"), {**FORM, "attachments": files})
    assert response.status_code == 302 and response.url == reverse("portal:submitted")
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.channel, ticket.department) == (
        requester_a,
        Channel.PORTAL,
        support,
    )
    assert ticket.ticket_class == TicketClass.SERVICE_REQUEST
    assert sorted(ticket.attachments.values_list("filename", flat=True)) == ["a.txt", "b.txt"]
    html = client.get(response.url).content.decode()
    assert f"#{ticket.pk}" in html
    assert reverse("portal:request", args=[ticket.pk]) in html


def test_topic_routes_to_its_department(client, requester_a, support, billing):
    topic = Topic.objects.create(name="Invoices", department=billing)
    Topic.objects.create(name="Retired", department=support, is_active=False)
    client.force_login(requester_a)
    html = client.get(reverse("portal:new")).content.decode()
    assert "Invoices" in html and "Retired" not in html
    client.post(reverse("portal:new"), {**FORM, "topic": topic.pk})
    ticket = Ticket.objects.get()
    assert (ticket.topic, ticket.department) == (topic, billing)


def test_topic_is_required_when_there_are_topics(client, requester_a, billing):
    Topic.objects.create(name="Invoices", department=billing)
    client.force_login(requester_a)
    response = client.post(reverse("portal:new"), FORM)
    assert response.status_code == 200 and not Ticket.objects.exists()


def test_a_bad_file_creates_nothing_and_keeps_the_text(client, requester_a, support):
    client.force_login(requester_a)
    bad = SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 60)
    response = client.post(reverse("portal:new"), {**FORM, "attachments": [bad]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "setup.exe is a type of file that is not accepted here." in html
    assert FORM["subject"] in html and FORM["description"] in html
    assert not Ticket.objects.exists()


def test_anonymous_visitors_must_sign_in_when_the_desk_does_not_accept_them(client, support):
    response = client.get(reverse("portal:new"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    response = client.post(reverse("portal:new"), ANONYMOUS)
    assert response.status_code == 302 and not Ticket.objects.exists()
    assert not User.objects.filter(email="petra@initech.test").exists()


def test_anonymous_submission_registers_the_requester(client, anonymous_on, support):
    response = client.post(reverse("portal:new"), ANONYMOUS)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    requester = ticket.requester
    assert requester.email == "petra@initech.test" and requester.first_name == "Petra"
    assert not requester.has_usable_password()
    html = client.get(reverse("portal:submitted")).content.decode()
    assert f"#{ticket.pk}" in html
    # The confirmation shows the number only: no subject, no link that would open the ticket.
    assert FORM["subject"] not in html
    assert reverse("portal:request", args=[ticket.pk]) not in html
    assert reverse("accounts:password_reset") in html
    assert client.get(reverse("portal:request", args=[ticket.pk])).status_code == 302


def test_the_confirmation_number_is_a_signed_cookie_not_a_session(client, anonymous_on, support):
    from django.contrib.sessions.models import Session

    response = client.post(reverse("portal:new"), ANONYMOUS)
    ticket = Ticket.objects.get()
    cookie = response.cookies["hl_submitted"]
    assert cookie["path"] == reverse("portal:submitted") and cookie["httponly"]
    assert not Session.objects.exists()  # an anonymous submission writes no session
    assert f"#{ticket.pk}<" in client.get(reverse("portal:submitted")).content.decode()
    # A number set by hand (unsigned, or signed for something else) is not shown.
    for forged in (str(ticket.pk), cookie.value.replace(str(ticket.pk), str(ticket.pk + 1), 1)):
        client.cookies["hl_submitted"] = forged
        response = client.get(reverse("portal:submitted"))
        assert response.status_code == 302 and response.url == reverse("portal:home")


def test_anonymous_submission_reuses_a_known_requester(client, anonymous_on, requester_a, support):
    client.post(reverse("portal:new"), {**ANONYMOUS, "email": "ALICE@acme.test"})
    assert Ticket.objects.get().requester == requester_a
    assert User.objects.filter(email__iexact="alice@acme.test").count() == 1


def test_honeypot_stops_bots(client, anonymous_on, support):
    response = client.post(reverse("portal:new"), {**ANONYMOUS, "website": "http://spam.test"})
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="petra@initech.test").exists()


def test_anonymous_form_asks_for_name_and_email(client, anonymous_on, support):
    response = client.post(reverse("portal:new"), {**FORM})
    assert response.status_code == 200 and not Ticket.objects.exists()
    html = response.content.decode()
    assert 'name="email"' in html and 'name="website"' in html


def test_signed_in_form_has_no_anonymous_fields(client, requester_a, support):
    client.force_login(requester_a)
    html = client.get(reverse("portal:new")).content.decode()
    assert 'name="email"' not in html and 'name="website"' not in html
    for label in TicketClass.labels:
        assert str(label) in html


def test_without_departments_the_request_is_refused_clearly(client, requester_a):
    client.force_login(requester_a)
    response = client.post(reverse("portal:new"), FORM)
    assert response.status_code == 200
    assert "No department exists yet" in response.content.decode()


def test_submitted_without_a_submission_goes_home(client):
    response = client.get(reverse("portal:submitted"))
    assert response.status_code == 302 and response.url == reverse("portal:home")


def test_home_offers_what_fits_the_visitor(client, dispatcher, requester_a, anonymous_on):
    html = client.get(reverse("portal:home")).content.decode()
    assert reverse("accounts:login") in html and reverse("accounts:signup") in html
    assert reverse("portal:new") in html
    anonymous_on.anonymous_submission = False
    anonymous_on.allow_signup = False
    anonymous_on.portal_welcome = "Welcome to Acme IT."
    anonymous_on.save()
    html = client.get(reverse("portal:home")).content.decode()
    assert reverse("accounts:signup") not in html and 'href="/requests/new/"' not in html
    assert "Welcome to Acme IT." in html
    client.force_login(requester_a)
    html = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:requests") in html and reverse("desk:board") not in html
    client.force_login(dispatcher)
    assert reverse("desk:board") in client.get(reverse("portal:home")).content.decode()


def _before_the_write(queries: list[dict]) -> list[str]:
    """The statements run before the write transaction opened (its first savepoint: tests run
    inside a transaction, so `atomic` opens a savepoint where a request would begin one)."""
    sql = [q["sql"] for q in queries]
    first = next(i for i, s in enumerate(sql) if s.upper().startswith("SAVEPOINT"))
    return sql[:first]


@pytest.mark.parametrize("email", ["Petra@Initech.test", "ALICE@acme.test"])
def test_a_submission_looks_the_visitor_up_before_its_write_transaction(
    client, anonymous_on, requester_a, org_a, support, email
):
    # Given the domain of a known organisation (a new visitor) or a known requester's address
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org_a.domain = "initech.test"
    org_a.save()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("portal:new"), {**ANONYMOUS, "email": email})
    assert response.status_code == 302
    # Then the address and the organisation were looked up before the transaction began, and
    # not again inside it (SQLite's single write lock is held for the inserts only)
    before = _before_the_write(captured.captured_queries)
    inside = [q["sql"] for q in captured.captured_queries][len(before) :]
    assert any("account_emailaddress" in s for s in before)
    assert not any('FROM "account_emailaddress"' in s for s in inside)
    ticket = Ticket.objects.get()
    if email.startswith("ALICE"):
        assert ticket.requester == requester_a
    else:
        assert ticket.requester.email == "petra@initech.test"
        assert ticket.organisation == org_a
        assert any('FROM "accounts_organisation"' in s for s in before)
        assert not any('FROM "accounts_organisation"' in s for s in inside)


def test_a_requester_registered_after_the_look_up_is_the_one_used(db, support):
    # Given a visitor looked up as new, then registered by a parallel submission meanwhile
    from helpline.accounts.services import requester_lookup, requester_register

    lookup = requester_lookup(email="Late@Race.test")
    assert lookup.existing is None
    winner = requester_register(email="late@race.test", name="First Winner")
    # When the write goes on with the stale look-up, the unique index decides: the winner is used
    assert requester_register(email="late@race.test", name="Second", lookup=lookup) == winner
    assert User.objects.filter(email__iexact="late@race.test").count() == 1


def test_a_retired_or_unknown_topic_is_refused(client, requester_a, support, billing):
    Topic.objects.create(name="Invoices", department=billing)
    retired = Topic.objects.create(name="Retired", department=support, is_active=False)
    client.force_login(requester_a)
    for value in (retired.pk, 999999, "x"):
        response = client.post(reverse("portal:new"), {**FORM, "topic": value})
        assert response.status_code == 200
        assert "That choice is not one of the available choices." in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_anonymous_submission_costs_few_statements(
    client, anonymous_on, support, billing, django_assert_num_queries
):
    # Given a desk with topics, its reference data read by an earlier submission
    topic = Topic.objects.create(name="Invoices", department=billing)
    client.post(reverse("portal:new"), {**ANONYMOUS, "topic": topic.pk, "email": "a@new.test"})
    # When a new visitor submits, the statements are (tests run inside a transaction, so each
    # `atomic` is a savepoint; in a request the first is BEGIN): before the write 1 the
    # reference generation (site settings, topics, departments, assignment rules: no query of
    # their own), 2 the person by address, 3 the organisation by mail domain; then 4 the write's
    # transaction, 5 the one-time key, 6 the submission's savepoint, 7-11 the registration
    # (savepoint, person, address, event, release), 12 the opening's savepoint, 13 the request,
    # 14 its first entry, 15 its search document (built from what is at hand, not read back),
    # 16 the acknowledgement's notification, 17-18 releases, 19 the key's result, 20 the end of
    # the transaction.
    with django_assert_num_queries(20):
        response = client.post(
            reverse("portal:new"),
            {
                **ANONYMOUS,
                "topic": topic.pk,
                "email": "b@new.test",
                "submission": submission_key_new(),
            },
        )
    assert response.status_code == 302
    ticket = Ticket.objects.get(requester__email="b@new.test")
    assert (ticket.topic, ticket.department) == (topic, billing)
