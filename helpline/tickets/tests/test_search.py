"""Ticket search: the index follows every service in its transaction, and nobody finds what they
may not read (departments, internal notes, other requesters' requests, the trash)."""

import pytest
from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from helpline.search import engine
from helpline.search.models import SearchDocument
from helpline.search.text import PASSAGE
from helpline.tickets import services
from helpline.tickets.models import Channel, EntryKind
from helpline.tickets.search import KIND, tickets_search
from helpline.tickets.tests.factories import EntryFactory, TicketFactory

pytestmark = pytest.mark.django_db


def found(user, query, **kw):
    return [hit.object_id for hit in tickets_search(user, query, **kw).hits]


@pytest.fixture
def ticket(requester_a, support, dispatcher):
    return services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Laptop overheating",
        body="My laptop fan is noisy; serial XK-4411-B.",
        channel=Channel.PORTAL,
        department=support,
    )


def test_create_indexes_subject_body_requester_and_number(ticket, dispatcher):
    for query in ["overheating", "fans", "XK-4411-B", "alice@acme.test", "Alice", "Acme"]:
        assert found(dispatcher, query) == [ticket.pk], query
    assert found(dispatcher, str(ticket.pk)) == [ticket.pk]


def test_reply_and_note_are_indexed_and_notes_stay_private(ticket, dispatcher, requester_a):
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Try the cooling pad.")
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Vendor RMA pending warranty")
    assert found(dispatcher, "cooling") == [ticket.pk]
    assert found(dispatcher, "warranty") == [ticket.pk]
    hit = tickets_search(dispatcher, "warranty").hits[0]
    assert hit.private and "<mark>warranty</mark>" in hit.snippet_html
    assert found(requester_a, "cooling") == [ticket.pk]
    assert found(requester_a, "warranty") == []


def test_agents_never_find_requests_outside_their_departments(ticket, billing_agent, specialist):
    assert found(billing_agent, "laptop") == []
    assert found(specialist, "laptop") == []  # Software is below Support, not above it


def test_requesters_never_find_others_requests(ticket, requester_b, requester_a2):
    assert found(requester_b, "laptop") == []
    assert found(requester_b, "alice@acme.test") == []


def test_tags_merge_trash_restore_and_purge_follow(
    ticket, dispatcher, supervisor, requester_a, support
):
    services.ticket_tags_set(ticket=ticket, actor=dispatcher, names=["hardware-x1"])
    assert found(dispatcher, "hardware-x1") == [ticket.pk]

    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Also the screen",
        body="The screen flickers",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_merge(source=other, target=ticket, actor=dispatcher)
    assert ticket.pk in found(dispatcher, "flickers")

    services.ticket_delete(ticket=ticket, actor=supervisor)
    assert found(dispatcher, "overheating") == []
    assert found(supervisor, "overheating", trash=True) == [ticket.pk]
    assert found(requester_a, "overheating") == []
    services.ticket_restore(ticket=ticket, actor=supervisor)
    assert found(dispatcher, "overheating") == [ticket.pk]

    services.ticket_delete(ticket=ticket, actor=supervisor)
    services.ticket_purge(ticket=ticket, actor=supervisor)
    assert not SearchDocument.objects.filter(kind=KIND, object_id=ticket.pk).exists()


def test_a_refused_change_leaves_the_index_as_it_was(ticket, dispatcher):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_note_add(ticket=ticket, actor=dispatcher, body="quixotic remark")
        raise RuntimeError
    assert found(dispatcher, "quixotic") == []


def test_reindex_picks_up_rows_written_around_the_services(support, requester_a, admin_user):
    written = TicketFactory(subject="Projector bulb", department=support, requester=requester_a)
    EntryFactory(ticket=written, kind=EntryKind.NOTE, body="ordered a spare bulb")
    SearchDocument.objects.all().delete()  # as if written by an import, around the services
    assert found(admin_user, "projector") == []
    engine.reindex(KIND)
    assert found(admin_user, "projector") == [written.pk]
    assert found(admin_user, "spare") == [written.pk]


def test_narrow_combines_filters_with_the_text(ticket, dispatcher, support):
    from helpline.tickets.models import Ticket

    assert found(dispatcher, "laptop", narrow=Ticket.objects.filter(pk=ticket.pk)) == [ticket.pk]
    assert found(dispatcher, "laptop", narrow=Ticket.objects.none()) == []


def test_indexing_a_request_takes_two_statements(ticket, dispatcher, django_assert_num_queries):
    """Every write reindexes its request in its transaction: one read of everything the document
    holds, one upsert of its parts (no delete first; notes only grow, so no delete after)."""
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Internal: warranty ends soon.")
    ticket.tags.create(name="hardware")
    with django_assert_num_queries(2):
        engine.index(KIND, [ticket.pk])
    assert found(dispatcher, "warranty") == [ticket.pk]
    assert found(dispatcher, "hardware") == [ticket.pk]
    assert SearchDocument.objects.filter(kind=KIND, object_id=ticket.pk).count() == 2


def _rows(ticket_id):
    fields = ["part", "language", "title", "body", "exact", "when", "title_stems", "body_stems"]
    rows = SearchDocument.objects.filter(kind=KIND, object_id=ticket_id)
    if connection.vendor == "postgresql":
        # The vector too: extended in place by `append`, computed whole by the trigger.
        rows = rows.annotate(vector=RawSQL("tsv::text", []))  # noqa: S611
        fields.append("vector")
    return {row["part"]: row for row in rows.values(*fields)}


def test_a_reply_or_note_extends_the_document_as_a_full_reindex_would(
    ticket, dispatcher, requester_a, django_assert_num_queries
):
    """A new entry's text is added to the stored rows (one read and one upsert on SQLite, one
    UPDATE on PostgreSQL, however long the thread): the rows are the ones a full reindex
    writes, recency included."""
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Try pad CP-200, then reboot.")
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="First note: RMA-77 opened.")
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Vendor says two weeks.")
    services.ticket_reply_add(ticket=ticket, actor=requester_a, body="Thanks, the fan is quiet.")
    appended = _rows(ticket.pk)
    SearchDocument.objects.filter(kind=KIND, object_id=ticket.pk).delete()
    engine.index(KIND, [ticket.pk])
    assert appended == _rows(ticket.pk)
    assert len(appended) == 2
    assert appended[0]["body"].count(PASSAGE) == 2  # the request and two replies
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        assert engine.append(KIND, ticket.pk, body="more", when=appended[0]["when"])
    assert _rows(ticket.pk)[0]["body"].endswith(PASSAGE + "more")
    assert found(dispatcher, "CP-200") == found(dispatcher, "RMA-77") == [ticket.pk]
    assert found(requester_a, "quiet") == [ticket.pk]
    assert found(requester_a, "vendor") == []


def test_replies_and_notes_do_not_read_the_thread_again(ticket, dispatcher, monkeypatch):
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="First note.")

    def whole(*args, **kwargs):
        raise AssertionError("reindexed the whole request")

    monkeypatch.setattr(engine, "index", whole)
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Cooling pad sent.")
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Second note: warranty.")
    monkeypatch.undo()
    assert found(dispatcher, "cooling") == found(dispatcher, "warranty") == [ticket.pk]


def test_appending_gives_way_to_a_full_reindex_when_rows_cannot_be_extended(ticket):
    # No private part yet: a note's text cannot be appended to it.
    assert engine.append(KIND, ticket.pk, private="secret") is False
    # Not indexed at all.
    SearchDocument.objects.filter(kind=KIND, object_id=ticket.pk).delete()
    assert engine.append(KIND, ticket.pk, body="more") is False
    assert not SearchDocument.objects.filter(kind=KIND, object_id=ticket.pk).exists()


def test_a_compound_the_document_already_holds_is_not_repeated(ticket, dispatcher):
    before = _rows(ticket.pk)[0]["exact"]
    services.ticket_reply_add(
        ticket=ticket, actor=dispatcher, body="Mail alice@acme.test, XK-4411-B"
    )
    assert _rows(ticket.pk)[0]["exact"] == before  # the address and the serial were there
    assert found(dispatcher, "alice@acme.test") == found(dispatcher, "XK-4411-B") == [ticket.pk]


def test_indexing_a_gone_request_removes_its_parts(ticket):
    ticket_id = ticket.pk
    type(ticket).objects.filter(pk=ticket_id).delete()
    engine.index(KIND, [ticket_id])
    assert not SearchDocument.objects.filter(kind=KIND, object_id=ticket_id).exists()


def test_a_requesters_new_name_and_addresses_find_their_requests(
    ticket, dispatcher, requester_a, admin_user
):
    from helpline.accounts import services as accounts

    accounts.requester_update(
        user=requester_a,
        actor=admin_user,
        email="alice.new@acme.test",
        first_name="Alicia",
        last_name="Quimby",
        phone="+47 555 01234",
        organisation=requester_a.organisation,
        is_active=True,
    )
    for query in ["Alicia", "Quimby", "alice.new@acme.test"]:
        assert found(dispatcher, query) == [ticket.pk], query
    assert found(dispatcher, "Alice") == []
    accounts.requester_address_add(user=requester_a, actor=admin_user, email="ally@home.test")
    assert found(dispatcher, "ally@home.test") == [ticket.pk]
    accounts.requester_address_remove(user=requester_a, actor=admin_user, email="ally@home.test")
    assert found(dispatcher, "ally@home.test") == []


def test_a_save_of_other_fields_does_not_reindex(ticket, requester_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        requester_a.save(update_fields=["last_login"])


@pytest.fixture
def umbrella_ticket(ticket):
    from helpline.accounts.tests.factories import OrganisationFactory

    organisation = OrganisationFactory(name="Umbrella", domain="umbrella.test")
    type(ticket).objects.filter(pk=ticket.pk).update(organisation=organisation)
    engine.index(KIND, [ticket.pk])
    return ticket, organisation


def test_a_renamed_organisation_finds_its_requests_by_the_new_name(
    umbrella_ticket, dispatcher, admin_user
):
    from helpline.accounts import services as accounts

    ticket, organisation = umbrella_ticket
    assert found(dispatcher, "Umbrella") == [ticket.pk]
    organisation.name = "Tyrell"
    with transaction.atomic():
        accounts.organisation_save(organisation=organisation, actor=admin_user)
        # In the service's transaction: the index changed with the row.
        assert found(dispatcher, "Tyrell") == [ticket.pk]
    assert found(dispatcher, "Umbrella") == []


def test_a_renamed_organisation_reindexes_in_batches(umbrella_ticket, monkeypatch):
    from helpline.tickets import search

    ticket, organisation = umbrella_ticket
    other = TicketFactory(requester=ticket.requester, organisation=organisation)
    batches = []
    monkeypatch.setattr(search, "REINDEX_BATCH", 1)
    monkeypatch.setattr(search.engine, "index", lambda kind, ids: batches.append(ids) or len(ids))
    assert search.organisation_requests_reindex(organisation.pk) == 2
    assert batches == [[ticket.pk], [other.pk]]


def test_saving_an_organisation_without_a_new_name_does_not_reindex(
    umbrella_ticket, admin_user, django_assert_num_queries, monkeypatch
):
    from helpline.accounts import services as accounts
    from helpline.tickets import search

    ticket, organisation = umbrella_ticket
    with django_assert_num_queries(1):
        organisation.save(update_fields=["notes"])
    # A full save reads the stored name once, and no request is reindexed.
    organisation.notes = "Key account"
    organisation.domain = "umbrella.example"
    with django_assert_num_queries(2):
        organisation.save()
    calls = []
    monkeypatch.setattr(search.engine, "index", lambda kind, ids: calls.append(ids) or 0)
    accounts.organisation_save(organisation=organisation, actor=admin_user)
    assert calls == []


def test_the_set_based_rebuild_writes_what_indexing_each_request_writes(
    support, requester_a, requester_b, org_b
):
    """`helpline reindex` on PostgreSQL joins the text in SQL (engine._bulk_index): every column
    of every part, the stored tsvector included, must equal the per-request path's. SQLite's
    rebuild (`engine.reindex`, batches through Python) must equal it too."""
    from allauth.account.models import EmailAddress

    # Given requests with everything a document holds: replies and notes in thread order (two
    # at the same moment, told apart by id), empty and blank entries, tags, several addresses,
    # an organisation, compounds in the subject, names and a language beyond ASCII.
    requester_b.first_name, requester_b.last_name = "Øyvind", "Ødegård-Ås"
    requester_b.language = "nb-NO"
    requester_b.phone = "+47 22 33 44 55"
    requester_b.save()
    EmailAddress.objects.create(user=requester_b, email="Øyvind@Globex.test")
    EmailAddress.objects.create(user=requester_b, email="oy.second@globex.test")
    full = TicketFactory(
        subject="Skriver AB-1234-X virker ikke (v2.1.3, SKU_88/B)",
        department=support,
        requester=requester_b,
        organisation=org_b,
    )
    full.tags.create(name="maskinvare")
    full.tags.create(name="VIP-kunde")
    moment = full.created_at
    for kind, body in [
        (EntryKind.REPLY, "Skriveren lager en merkelig lyd. Serienummer XK-4411-B."),
        (EntryKind.NOTE, "Intern: garantien går ut snart, ring anna@example.org"),
        (EntryKind.REPLY, ""),
        (EntryKind.NOTE, "  \n\t "),
        (EntryKind.EVENT, "status changed"),
        (EntryKind.REPLY, "Принтер шумит — замените барабан."),
        (EntryKind.REPLY, "Same moment, later id."),
    ]:
        EntryFactory(ticket=full, kind=kind, body=body, created_at=moment)
    blank_notes = TicketFactory(
        subject="Only blank notes", department=support, requester=requester_a
    )
    EntryFactory(ticket=blank_notes, kind=EntryKind.NOTE, body=" \u3000 ")
    EntryFactory(ticket=blank_notes, kind=EntryKind.NOTE, body="")
    bare = TicketFactory(subject="No thread at all", department=support, requester=requester_a)
    ids = [full.pk, blank_notes.pk, bare.pk]

    postgresql = connection.vendor == "postgresql"

    columns = 'object_id, part, language, title, body, exact, "when", title_stems, body_stems'
    if postgresql:
        columns += ", tsv::text"

    def rows():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM search_searchdocument WHERE kind = %s "  # noqa: S608
                "ORDER BY object_id, part",
                [KIND],
            )
            return cursor.fetchall()

    def rebuild():
        return engine._bulk_index(KIND, ids) if postgresql else engine.reindex(KIND)

    # When each request is indexed on its own, then all of them by the set-based rebuild
    engine.index(KIND, ids)
    each = rows()
    SearchDocument.objects.filter(kind=KIND).delete()
    assert rebuild() == 3
    bulk = rows()

    # Then the rows are the same, column for column
    assert bulk == each
    parts = [(full.pk, 0), (full.pk, 1), (blank_notes.pk, 0), (bare.pk, 0)]
    assert [(r[0], r[1]) for r in bulk] == parts
    assert "øyvind@globex.test" in bulk[0][5] and "ab-1234-x" in bulk[0][5]
    assert bulk[0][2] == "nb"
    # And a second run over existing rows (the upsert) changes nothing
    rebuild()
    assert rows() == each


@pytest.mark.parametrize("with_organisation", [True, False])
def test_a_new_requesters_first_request_is_indexed_without_reading_it_back(
    support, org_a, with_organisation
):
    """Registered in the same transaction, the requester's addresses and organisation are at
    hand: the first request's document is built from them, the rows a full reindex writes."""
    from django.test.utils import CaptureQueriesContext

    from helpline.accounts.services import requester_register

    address = "Pat.New@acme.test" if with_organisation else "pat.new@elsewhere.test"
    with transaction.atomic():
        pat = requester_register(email=address, name="Pat Newcomer")
        with CaptureQueriesContext(connection) as queries:
            ticket = services.ticket_create(
                actor=pat,
                requester=pat,
                subject="Docking station XK-9 dead",
                body="No power since Tuesday's update.",
                channel=Channel.PORTAL,
                department=support,
            )
    assert (ticket.organisation == org_a) is with_organisation
    assert not any("UNION ALL" in q["sql"] for q in queries.captured_queries)
    built = _rows(ticket.pk)
    engine.index(KIND, [ticket.pk])
    assert built == _rows(ticket.pk)


def test_a_known_requesters_request_is_indexed_from_the_database(support, requester_a):
    # Given a person whose addresses changed since they were created (an address of their own
    # that the services added)
    from helpline.accounts.addresses import address_add

    address_add(user=requester_a, email="alice.home@example.test")
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer offline",
        body="Since this morning.",
        channel=Channel.PORTAL,
        department=support,
    )
    # Then the document holds every address, read from the database
    exact = SearchDocument.objects.get(kind=KIND, object_id=ticket.pk, part=0).exact
    assert "alice.home@example.test" in exact


def test_what_a_new_person_was_created_with_is_forgotten_at_the_commit(
    support, django_capture_on_commit_callbacks
):
    from helpline.accounts.models import ADDRESSES_KNOWN
    from helpline.accounts.services import requester_register

    with django_capture_on_commit_callbacks(execute=True):
        pat = requester_register(email="pat.later@example.test", name="Pat Later")
        assert getattr(pat, ADDRESSES_KNOWN) == ("pat.later@example.test",)
    # After the commit a request of theirs reads their addresses (others may have been added)
    assert not hasattr(pat, ADDRESSES_KNOWN)
