"""Parallel first contacts from one new address end with one requester, on both databases."""

import pytest
from django.db import connection

from helpline.accounts.models import User
from helpline.accounts.services import requester_register
from helpline.core.errors import ValidationFailed
from helpline.core.tests.threads import run_together
from helpline.portal.services import portal_request_submit
from helpline.tickets.models import Ticket, TicketClass

THREADS = 4

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_parallel_registrations_of_one_address_return_one_requester():
    outcomes = run_together(
        *[lambda: requester_register(email="New.Person@Example.test", name="New Person")] * THREADS
    )
    assert [o.error for o in outcomes] == [None] * THREADS
    assert len({o.value.pk for o in outcomes}) == 1
    assert User.objects.filter(email__iexact="new.person@example.test").count() == 1


def test_parallel_portal_submissions_from_a_new_address_all_succeed(support):
    # Given an anonymous visitor who submits the form from several tabs at once
    from django.contrib.auth.models import AnonymousUser

    def submit(n: int):
        return lambda: portal_request_submit(
            user=AnonymousUser(),
            subject=f"Printer jam {n}",
            description="It jams on every page.",
            ticket_class=TicketClass.INCIDENT,
            name="Pat Parallel",
            email="pat@parallel.test",
        )

    outcomes = run_together(*[submit(n) for n in range(THREADS)])

    # Then every request was opened, all for one requester
    assert [o.error for o in outcomes] == [None] * THREADS
    requester = User.objects.get(email="pat@parallel.test")
    assert Ticket.objects.filter(requester=requester).count() == THREADS
    assert connection.vendor in {"postgresql", "sqlite"}


def test_a_name_too_long_is_refused_not_cut():
    with pytest.raises(ValidationFailed) as refused:
        requester_register(email="long@name.test", name="A" * 151)
    assert refused.value.field == "name"
    assert not User.objects.filter(email="long@name.test").exists()


def test_confirming_a_sign_up_twice_at_once_is_harmless():
    import re

    from django.core import mail
    from django.test import Client
    from django.urls import reverse

    from helpline.audit.models import Event

    # Given a sign-up whose confirmation button is pressed twice at the same moment
    Client().post(
        reverse("accounts:signup"),
        {
            "name": "Dee Double",
            "email": "dee@double.test",
            "password1": "long-enough-pass-42",
            "password2": "long-enough-pass-42",
        },
    )
    link = re.search(r"https?://[^/\s]+(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body)[1]
    browser = Client()

    outcomes = run_together(*[lambda: browser.post(link).status_code] * 2, hold_locks=0.05)

    # Then both answer with a page (no error), one person has the address, confirmed once
    assert [o.error for o in outcomes] == [None, None]
    assert {o.value for o in outcomes} <= {200, 302}
    assert User.objects.filter(email="dee@double.test").count() == 1
    assert Event.objects.filter(action="account.address_confirmed").count() == 1
