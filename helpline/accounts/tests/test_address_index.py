"""Looking a person up by address is answered from the unique indexes on lower(email).

Django's `iexact` (UPPER(...) on PostgreSQL, LIKE on SQLite) cannot use those indexes, so every
portal submission and every mail from an unknown address read the whole people table. The plans
are checked with sequential scans priced out (PostgreSQL) — a plan that still reads the table
has no index that answers it.
"""

from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.accounts.addresses import user_by_address
from helpline.accounts.models import User


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def _plans_of(call) -> list[tuple[str, str]]:
    with CaptureQueriesContext(connection) as queries:
        call()
    plans = []
    for query in queries.captured_queries:
        sql = query["sql"]
        table = "account_emailaddress" if "account_emailaddress" in sql else "accounts_user"
        # The captured SQL has the values in it.
        plans.append((table, _plan(sql, None)))
    return plans


def test_an_unknown_address_is_looked_up_through_the_lower_email_indexes(requester_a):
    # One statement: the address among everybody's addresses, else User.email, then the person
    # by primary key; each part answered from an index, no table read whole.
    ((_table, plan),) = _plans_of(lambda: user_by_address("Nobody.Here@Example.TEST"))
    assert "accounts_emailaddress_email_unique" in plan, plan
    assert "user_email_ci_unique" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "SCAN account_emailaddress" not in plan and "SCAN accounts_user" not in plan, plan


def test_iexact_on_the_email_fields_keeps_its_meaning(requester_a):
    assert user_by_address(requester_a.email.upper()) == requester_a
    assert User.objects.filter(email__iexact=requester_a.email.title()).get() == requester_a
    assert EmailAddress.objects.filter(email__iexact=requester_a.email.upper()).count() == 1
    # Other fields keep Django's own iexact.
    assert User.objects.filter(first_name__iexact=requester_a.first_name.upper()).exists()


def test_a_new_requesters_organisation_is_found_through_the_lower_domain_index(db):
    from helpline.accounts.models import Organisation
    from helpline.accounts.services import organisation_for_email

    acme = Organisation.objects.create(name="Acme Domain Test", domain="Acme-Domain.TEST")
    with CaptureQueriesContext(connection) as queries:
        assert organisation_for_email("pat@ACME-domain.test") == acme
    (query,) = queries.captured_queries
    plan = _plan(query["sql"], None)
    assert "organisation_domain_ci" in plan, plan
    assert "Seq Scan" not in plan and "SCAN accounts_organisation" not in plan, plan
    assert organisation_for_email("pat@other.test") is None
