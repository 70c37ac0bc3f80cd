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


def _pending_signup_token() -> str:
    from django.core import mail

    from helpline.accounts import selfservice

    selfservice.signup_request(
        name="Dee Double", email="dee@double.test", password="long-enough-pass-42", site_url=""
    )
    return mail.outbox[-1].body.split("/signup/confirm/")[1].split("/")[0]


def test_confirming_a_sign_up_twice_at_once_is_harmless():
    from helpline.accounts import selfservice
    from helpline.audit.models import Event

    # Given a sign-up whose confirmation button is pressed twice in quick succession
    token = _pending_signup_token()

    outcomes = run_together(*[lambda: selfservice.signup_confirm(token=token)] * 2)

    # Then one account exists with the chosen password; the second press either signs in to
    # the same account or is told the link was used (never an error page), and one sign-up is
    # recorded.
    user = User.objects.get(email="dee@double.test")
    assert user.check_password("long-enough-pass-42")
    for outcome in outcomes:
        assert outcome.error is None or isinstance(outcome.error, ValidationFailed), outcome.error
        assert outcome.error is not None or outcome.value.pk == user.pk
    assert Event.objects.filter(action="account.signed_up").count() == 1


def test_a_confirmation_that_read_the_sign_up_before_the_first_finished_signs_in_the_same():
    from django.core.cache import cache

    from helpline.accounts import selfservice
    from helpline.audit.models import Event

    # Given the second press read the pending sign-up just before the first press used it up
    token = _pending_signup_token()
    pending = selfservice.signup_pending(token)
    first = selfservice.signup_confirm(token=token)
    cache.set(f"hl:signup:{token}", pending, 60)

    # When it goes on, it finds its own password already set
    second = selfservice.signup_confirm(token=token)

    # Then it is the same account, recorded once
    assert second.pk == first.pk
    assert Event.objects.filter(action="account.signed_up").count() == 1
