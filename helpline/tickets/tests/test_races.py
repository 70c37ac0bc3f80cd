"""Several writers on the same requests: merge and link rules, lock order, versions, Take.

The threaded tests run real threads on their own connections, on SQLite and on PostgreSQL; on
PostgreSQL they would end in a deadlock error if two tickets were locked in opposite orders.
"""

import pytest

from helpline.core.errors import Conflict, DomainError, ValidationFailed
from helpline.core.reference import changed as reference_changed
from helpline.core.tests.threads import run_together
from helpline.tickets import services
from helpline.tickets.models import Channel, StatusCategory, Ticket
from helpline.tickets.services._common import default_status

ROUNDS = 3
# Seconds each granted row lock is held, so the threads' transactions overlap.
HOLD = 0.05


def open_request(requester, department, subject="VPN drops every hour"):
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject=subject,
        body="Since Monday the VPN disconnects.",
        channel=Channel.PORTAL,
        department=department,
    )


@pytest.fixture
def pair(requester_a, support):
    return open_request(requester_a, support, "First"), open_request(requester_a, support, "Dup")


# --- merge rules --------------------------------------------------------------------------


def test_merging_back_into_a_merged_request_is_refused(pair, dispatcher):
    a, b = pair
    services.ticket_merge(source=a, target=b, actor=dispatcher)
    with pytest.raises(ValidationFailed, match="already merged into this request"):
        services.ticket_merge(source=b, target=a, actor=dispatcher)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.merged_into_id == b.pk and b.merged_into_id is None


def test_merging_into_a_merged_request_is_refused_and_names_where_it_went(
    pair, requester_a, support, dispatcher
):
    a, b = pair
    c = open_request(requester_a, support, "Third")
    services.ticket_merge(source=b, target=c, actor=dispatcher)
    with pytest.raises(ValidationFailed, match=f"merged into #{c.pk}"):
        services.ticket_merge(source=a, target=b, actor=dispatcher)
    assert Ticket.objects.get(pk=a.pk).merged_into_id is None


def test_merging_into_a_closed_request_is_refused(pair, dispatcher):
    a, b = pair
    services.ticket_update(ticket=b, actor=dispatcher, status=default_status("closed"))
    with pytest.raises(ValidationFailed, match="closed"):
        services.ticket_merge(source=a, target=b, actor=dispatcher)


def test_merging_into_a_trashed_request_is_refused(pair, dispatcher, supervisor):
    a, b = pair
    services.ticket_delete(ticket=b, actor=supervisor)
    with pytest.raises(ValidationFailed, match="trash"):
        services.ticket_merge(source=a, target=b, actor=dispatcher)


def test_merge_with_an_old_version_of_the_source_is_a_conflict(pair, dispatcher):
    a, b = pair
    seen = a.version
    services.ticket_reply_add(ticket=a, actor=dispatcher, body="Which client?")
    with pytest.raises(Conflict):
        services.ticket_merge(source=a, target=b, actor=dispatcher, expected_version=seen)


# --- versions -----------------------------------------------------------------------------


def test_linking_from_a_stale_instance_never_moves_the_version_backwards(
    pair, requester_a, support, dispatcher
):
    a, b = pair
    stale = Ticket.objects.get(pk=a.pk)
    for body in ("One", "Two", "Three"):
        services.ticket_note_add(ticket=a, actor=dispatcher, body=body)
    current = Ticket.objects.get(pk=a.pk).version
    services.ticket_link(ticket=stale, other=b, actor=dispatcher)
    assert Ticket.objects.get(pk=a.pk).version == current + 1
    assert Ticket.objects.get(pk=b.pk).version == b.version + 1


def test_every_write_counts_from_the_database_not_the_instance(pair, dispatcher):
    a, _b = pair
    stale = Ticket.objects.get(pk=a.pk)
    services.ticket_note_add(ticket=a, actor=dispatcher, body="One")
    services.ticket_tags_set(ticket=stale, actor=dispatcher, names=["vpn"])
    services.ticket_watch(ticket=stale, actor=dispatcher, watch=True)
    assert Ticket.objects.get(pk=a.pk).version == stale.version + 2


# Real commits (the mark on a locked instance goes with its transaction's commit); the
# serialised rollback as for the threaded tests below, whose data it would otherwise flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_version_known_under_the_lock_is_the_database_s(pair, requester_a, dispatcher):
    """A request read under its row lock is saved without reading its version back: the
    database's increment is known. Every write, and several in one transaction, agree with
    the row; an instance kept past its transaction reads the version again."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from helpline.tickets.services._common import locked, touch

    a, _b = pair
    entry = services.ticket_reply_add(ticket=a, actor=requester_a, body="Still broken.")
    assert entry.ticket.version == Ticket.objects.get(pk=a.pk).version
    with transaction.atomic():
        held = locked(a)
        before = held.version
        with CaptureQueriesContext(connection) as queries:
            touch(held)
            touch(held)
        assert not [q for q in queries.captured_queries if '"version" FROM' in q["sql"]]
        assert held.version == before + 2 == Ticket.objects.get(pk=a.pk).version
    # Another writer moves the row after the commit; the instance kept from the committed
    # transaction must not count on what it knew then.
    services.ticket_note_add(ticket=a, actor=dispatcher, body="One")
    with transaction.atomic():
        touch(held)
    assert held.version == Ticket.objects.get(pk=a.pk).version == before + 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_read_under_its_lock_is_handed_over_once(pair, dispatcher):
    """`locked_read` (the mail intake's threading look-up, which read the request under its
    row lock) hands that instance to the next `locked` call without a second read, still
    checking the version; the call after it reads again, and outside a transaction, or after
    the commit, nothing is handed over."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from helpline.tickets.services._common import locked

    a, _b = pair
    with transaction.atomic():
        row = Ticket.objects.select_for_update(no_key=True).get(pk=a.pk)
        services.locked_read(row)
        with CaptureQueriesContext(connection) as queries:
            assert locked(row) is row
        assert not [q for q in queries.captured_queries if "tickets_ticket" in q["sql"]]
        with CaptureQueriesContext(connection) as queries:
            again = locked(row)
        assert again is not row
        assert len([q for q in queries.captured_queries if "tickets_ticket" in q["sql"]]) == 1
    with transaction.atomic():
        row = Ticket.objects.select_for_update(no_key=True).get(pk=a.pk)
        services.locked_read(row)
        with pytest.raises(Conflict):
            locked(row, row.version - 1)
    kept = services.locked_read(Ticket.objects.get(pk=a.pk))
    services.ticket_note_add(ticket=a, actor=dispatcher, body="Moved on")
    with transaction.atomic():
        assert locked(kept).version == Ticket.objects.get(pk=a.pk).version == kept.version + 1


def test_take_is_one_step(requester_a, support, dispatcher):
    ticket = open_request(requester_a, support)
    taken = services.ticket_take(ticket=ticket, actor=dispatcher, expected_version=ticket.version)
    assert taken.assignee == dispatcher and taken.status_category == StatusCategory.OPEN
    assert taken.version == ticket.version + 1
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version + 1


def test_take_refused_half_way_leaves_nothing_behind(requester_a, support, dispatcher):
    # A status that cannot be set makes the whole Take fail: nobody is left responsible.
    from helpline.tickets.models import Status

    ticket = open_request(requester_a, support)
    Status.objects.filter(category=StatusCategory.OPEN).update(is_active=False)
    reference_changed()  # a queryset update sends no signal; services save
    with pytest.raises(LookupError):
        services.ticket_take(ticket=ticket, actor=dispatcher)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


# --- values never cut ---------------------------------------------------------------------


def test_a_tag_longer_than_allowed_is_refused_not_cut(pair, dispatcher):
    a, _b = pair
    with pytest.raises(ValidationFailed, match="50") as refused:
        services.ticket_tags_set(ticket=a, actor=dispatcher, names=["ok", "x" * 51])
    assert refused.value.field == "tags"
    assert not a.tags.exists()


def test_a_subject_longer_than_allowed_is_refused_not_cut(requester_a, support):
    with pytest.raises(ValidationFailed, match="250") as refused:
        open_request(requester_a, support, "s" * 251)
    assert refused.value.field == "subject"
    assert not Ticket.objects.exists()


# --- threads ------------------------------------------------------------------------------

threaded = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _only_domain_errors(outcomes) -> list[DomainError]:
    errors = [o.error for o in outcomes if o.error is not None]
    for error in errors:
        assert isinstance(error, DomainError), repr(error)
    return errors


@threaded
def test_opposite_merges_at_once_one_wins_the_other_is_refused(requester_a, support, dispatcher):
    for _round in range(ROUNDS):
        a = open_request(requester_a, support, "A")
        b = open_request(requester_a, support, "B")
        outcomes = run_together(
            lambda a=a, b=b: services.ticket_merge(source=a, target=b, actor=dispatcher),
            lambda a=a, b=b: services.ticket_merge(source=b, target=a, actor=dispatcher),
            hold_locks=HOLD,
        )
        errors = _only_domain_errors(outcomes)
        assert len(errors) == 1
        a.refresh_from_db()
        b.refresh_from_db()
        assert [a.merged_into_id, b.merged_into_id].count(None) == 1


@threaded
def test_opposite_links_at_once_make_one_link(requester_a, requester_b, support, dispatcher):
    for _round in range(ROUNDS):
        a = open_request(requester_a, support, "A")
        b = open_request(requester_b, support, "B")
        outcomes = run_together(
            lambda a=a, b=b: services.ticket_link(ticket=a, other=b, actor=dispatcher),
            lambda a=a, b=b: services.ticket_link(ticket=b, other=a, actor=dispatcher),
            hold_locks=HOLD,
        )
        assert _only_domain_errors(outcomes) == []
        assert sorted(o.value for o in outcomes) == [False, True]
        assert list(a.links.all()) == [b] and list(b.links.all()) == [a]
        assert a.entries.filter(field="link").count() == 1


@threaded
def test_link_and_unlink_at_once_in_opposite_directions(
    requester_a, requester_b, support, dispatcher
):
    for _round in range(ROUNDS):
        a = open_request(requester_a, support, "A")
        b = open_request(requester_b, support, "B")
        services.ticket_link(ticket=a, other=b, actor=dispatcher)
        outcomes = run_together(
            lambda a=a, b=b: services.ticket_unlink(ticket=a, other=b, actor=dispatcher),
            lambda a=a, b=b: services.ticket_merge(source=b, target=a, actor=dispatcher),
            hold_locks=HOLD,
        )
        _only_domain_errors(outcomes)
        assert not a.links.exists()


@threaded
def test_two_agents_pressing_take_at_once_one_owner_one_conflict(
    requester_a, support, dispatcher, supervisor
):
    ticket = open_request(requester_a, support)
    shown = ticket.version
    outcomes = run_together(
        lambda: services.ticket_take(ticket=ticket, actor=dispatcher, expected_version=shown),
        lambda: services.ticket_take(ticket=ticket, actor=supervisor, expected_version=shown),
        hold_locks=HOLD,
    )
    errors = _only_domain_errors(outcomes)
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    ticket.refresh_from_db()
    assert ticket.assignee in (dispatcher, supervisor)
    assert ticket.entries.filter(field="assignee").count() == 1
    assert ticket.version == shown + 1


@threaded
def test_a_locked_request_lets_rows_that_refer_to_it_commit(requester_a, support):
    """Foreign keys are checked at commit under KEY SHARE. The request's write lock must not
    conflict with that, or two writers each holding one request and inserting rows that refer to
    the other's deadlock at commit (seen with two mail deliveries on PostgreSQL). SQLite has one
    writer at a time: there the other transaction waits its turn and both still succeed."""
    import threading

    from django.db import connection, transaction

    from helpline.tickets.models import Tag
    from helpline.tickets.services._common import locked

    row_locks = connection.vendor == "postgresql"
    ticket = open_request(requester_a, support)
    tag = Tag.objects.create(name="vpn")
    held, referred = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic():
            locked(ticket)
            held.set()
            # True when the other transaction committed while this one held the lock.
            return referred.wait(timeout=5 if row_locks else 1)

    def refer_to_it():
        held.wait(timeout=5)
        with transaction.atomic():
            Ticket.objects.get(pk=ticket.pk).tags.add(tag)
        referred.set()

    holder, referrer = run_together(hold_the_lock, refer_to_it)
    assert holder.error is None and referrer.error is None
    assert holder.value is row_locks
    assert list(Ticket.objects.get(pk=ticket.pk).tags.all()) == [tag]
