"""The engine on whichever database the run uses (SQLite by default, PostgreSQL with
HELPLINE_DATABASE_URL): matching, stemming, exact tokens, ranking, snippets, bad queries."""

import re
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from helpline.core import clock
from helpline.core.tests.threads import run_together
from helpline.search import engine
from helpline.search import text as analysis
from helpline.search.engine import Document
from helpline.search.models import SearchDocument

pytestmark = pytest.mark.django_db


def ids(results):
    return [hit.object_id for hit in results.hits]


def doc(object_id, title="", body="", **kw):
    kw.setdefault("language", "en")
    return Document(object_id=object_id, title=title, body=body, **kw)


def test_a_word_is_found_in_its_other_forms(memo):
    memo.put(doc(1, "Printer problems", "The printers on floor 3 keep jamming."))
    memo.put(doc(2, "Password", "I forgot my password."))
    assert ids(engine.search("memo", "printer jammed", prefix=False)) == [1]
    assert ids(engine.search("memo", "password", prefix=False)) == [2]
    assert ids(engine.search("memo", "scanner", prefix=False)) == []


def test_norwegian_and_russian_stems(memo):
    memo.put(doc(1, "Skriveren virker ikke", "Skriverne i andre etasje er ødelagt.", language="nb"))
    memo.put(doc(2, "Не работает принтер", "Принтеры на третьем этаже сломались.", language="ru"))
    assert ids(engine.search("memo", "skriver", prefix=False)) == [1]
    assert ids(engine.search("memo", "принтеров", prefix=False)) == [2]
    assert ids(engine.search("memo", "принтеров", language="ru", prefix=False)) == [2]


def test_exact_tokens_are_found_exactly(memo):
    memo.put(doc(1, "Laptop", "Serial AB-1234-X, ask anna.berg@example.org", exact="42 vip"))
    memo.put(doc(2, "Laptop", "Serial AB-1235-X, ask anna@example.org"))
    assert ids(engine.search("memo", "AB-1234-X")) == [1]
    assert ids(engine.search("memo", "anna.berg@example.org")) == [1]
    assert ids(engine.search("memo", "anna@example.org")) == [2]
    assert ids(engine.search("memo", "42")) == [1]
    assert ids(engine.search("memo", "vip")) == [1]


def test_title_above_body_and_phrase_above_scattered(memo):
    memo.put(
        doc(1, "Question", "The network is slow today and the printer too."),
        doc(2, "Network slow", "Since this morning."),
        doc(3, "Question", "Slow printer, and the network drops."),
        doc(4, "Question", "The network slow since Monday."),
    )
    assert ids(engine.search("memo", "network slow", prefix=False))[0] == 2
    found = ids(engine.search("memo", "network slow", prefix=False))
    assert found.index(4) < found.index(3)


def test_recent_above_old(memo):
    now = clock.now()
    memo.put(
        doc(1, "VPN", "The VPN drops.", when=now - timedelta(days=900)),
        doc(2, "VPN", "The VPN drops.", when=now - timedelta(days=1)),
    )
    assert ids(engine.search("memo", "vpn", prefix=False)) == [2, 1]


def test_prefix_as_you_type(memo):
    memo.put(doc(1, "Keyboard", "My keyboard is broken"), doc(2, "Key", "Lost key"))
    assert ids(engine.search("memo", "keyb")) == [1]
    assert ids(engine.search("memo", "keyb ", prefix=True)) == []


def test_phrases_or_and_exclusion(memo):
    memo.put(
        doc(1, "A", "paper jam in the printer"),
        doc(2, "B", "the printer has no paper, also a jam"),
        doc(3, "C", "the scanner is broken"),
    )
    assert ids(engine.search("memo", '"paper jam"')) == [1]
    assert sorted(ids(engine.search("memo", "paper OR scanner", prefix=False))) == [1, 2, 3]
    assert ids(engine.search("memo", "printer -jam", prefix=False)) == []
    assert ids(engine.search("memo", "broken -jam", prefix=False)) == [3]


def test_snippets_highlight_and_escape(memo):
    memo.put(
        doc(1, "<b>Mail</b> outage", "Nothing <script>x</script> here. The mail server is down.")
    )
    hit = engine.search("memo", "mail server", prefix=False).hits[0]
    assert hit.title_html == "&lt;b&gt;<mark>Mail</mark>&lt;/b&gt; outage"
    assert "<mark>mail</mark> <mark>server</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html


def test_private_text_only_for_who_may_read_it(memo):
    memo.put(doc(1, "Laptop", "It is slow", private="Replaced the motherboard"))
    assert ids(engine.search("memo", "motherboard")) == []
    results = engine.search("memo", "motherboard", private=True)
    assert ids(results) == [1]
    assert results.hits[0].private
    assert "<mark>motherboard</mark>" in results.hits[0].snippet_html


def test_reindex_upserts_in_place_and_drops_an_emptied_private_part(memo):
    memo.put(doc(1, "Laptop", "It is slow", private="Replaced the motherboard"))
    memo.put(doc(1, "Laptop", "It is fast now"))
    assert ids(engine.search("memo", "motherboard", private=True)) == []
    assert ids(engine.search("memo", "fast")) == [1]
    assert ids(engine.search("memo", "slow")) == []
    assert SearchDocument.objects.filter(kind="memo", object_id=1).count() == 1


def test_among_limits_results_in_sql(memo, django_user_model):
    from helpline.accounts.models import User

    users = [User.objects.create(email=f"u{i}@example.org") for i in range(3)]
    memo.put(*(doc(u.pk, "Account", "locked account") for u in users))
    among = User.objects.filter(pk__in=[users[0].pk, users[2].pk])
    assert sorted(ids(engine.search("memo", "account", among=among))) == sorted(
        [users[0].pk, users[2].pk]
    )


def test_index_follows_changes_and_removal(memo):
    memo.put(doc(1, "Old title", "old words"))
    memo.put(doc(1, "New title", "new words"))
    assert ids(engine.search("memo", "old", prefix=False)) == []
    assert ids(engine.search("memo", "new", prefix=False)) == [1]
    engine.remove("memo", [1])
    assert ids(engine.search("memo", "new", prefix=False)) == []
    assert not SearchDocument.objects.exists()


def test_source_losing_a_document_drops_it(memo):
    memo.put(doc(1, "Title", "words"))
    del memo.store[1]
    engine.index("memo", [1])
    assert ids(engine.search("memo", "words")) == []


def test_reindex_rebuilds(memo):
    memo.store = {i: doc(i, f"Ticket {i}", "common text") for i in range(1, 8)}
    seen = []
    assert engine.reindex("memo", batch=3, progress=seen.append) == 7
    assert seen == [3, 6, 7]
    assert engine.search("memo", "common").total == 7


def test_pagination_and_total(memo):
    memo.put(*(doc(i, "Same", "word") for i in range(1, 26)))
    first = engine.search("memo", "word", limit=10)
    second = engine.search("memo", "word", limit=10, offset=10)
    assert first.total == second.total == 25
    assert not set(ids(first)) & set(ids(second))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        '"unbalanced',
        'paper "jam',
        "AND OR NOT",
        "-only -excluded",
        "x" * 10_000,
        "'; DROP TABLE search_searchdocument; --",
        'title_stems:foo NEAR(a b) ^c * "" ( )',
        "foo\x00bar",
        "!! & | <-> :* ' \\",
        "NOT",
        "*",
    ],
)
def test_malformed_queries_never_raise(memo, bad):
    memo.put(doc(1, "Paper", "paper jam foo bar"))
    results = engine.search("memo", bad)
    assert isinstance(results.hits, list)
    assert results.hits or results.message
    assert SearchDocument.objects.count() == 1


def test_index_is_in_the_callers_transaction(memo):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        memo.put(doc(1, "Rolled back", "gone"))
        raise RuntimeError
    assert ids(engine.search("memo", "gone")) == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'gone'")
            assert cursor.fetchone()[0] == 0


def test_reindex_command_rebuilds_and_drops_stale_rows(memo):
    from io import StringIO

    from django.core.management import call_command

    memo.store = {i: doc(i, f"Ticket {i}", "common text") for i in range(1, 5)}
    SearchDocument.objects.create(kind="memo", object_id=99, language="en", title="gone")
    out = StringIO()
    call_command("reindex", kind=["memo"], batch=2, stdout=out)
    assert re.search(r"Reindexed memo 4 \(\d+/s\), 1 dropped in [\d.]+ s, index ", out.getvalue())
    assert engine.search("memo", "common").total == 4
    assert not SearchDocument.objects.filter(object_id=99).exists()


def test_below_the_cap_every_page_is_that_of_scoring_every_match(memo):
    """Below the cap the newest matches are every match: each page and the total are those of
    scoring them all (a request by the better of its parts, notes at 0.8)."""
    now = clock.now()
    memo.put(
        *(
            doc(
                i,
                "Printer jam" if i % 3 == 0 else "Office",
                "printer " * (i % 4 + 1) + "paper tray",
                when=now - timedelta(days=i * 7),
                private="printer toner" if i % 5 == 0 else "",
            )
            for i in range(1, 13)
        )
    )
    query = analysis.parse("printer", prefix=False)
    where, score, params = engine._match_sql("memo", query, engine._languages(None), True)
    for offset in (0, 4, 8):
        page = engine.search("memo", "printer", private=True, limit=4, offset=offset, prefix=False)
        every = engine._full_page(where, score, params, "", [], 4, offset)
        assert [(h.object_id, round(h.rank, 9)) for h in page.hits] == [
            (row[0], round(row[1], 9)) for row in every
        ]
        assert (page.total, page.capped) == (12, False)
    assert engine.search("memo", "nowhere", private=True).total == 0


def test_one_statement_ranks_and_counts_the_newest_matches(memo, monkeypatch):
    """Past TOTAL_CAP the total is "more than TOTAL_CAP" from the page's own statement, below
    it the exact count: on either engine one statement reads the page and its total."""
    now = clock.now()
    memo.put(
        *(
            doc(i, "Printer", "printer " * (i % 3 + 1), when=now - timedelta(days=i))
            for i in range(1, 9)
        )
    )
    for cap in (3, 20):
        monkeypatch.setattr(engine, "TOTAL_CAP", cap)
        with CaptureQueriesContext(connection) as statements:
            results = engine.search("memo", "printer", limit=2, prefix=False)
        searches = [
            q["sql"] for q in statements.captured_queries if "MATCH" in q["sql"] or "@@" in q["sql"]
        ]
        assert len(searches) == 1
        assert len(results.hits) == 2
        assert (results.total, results.capped) == ((3, True) if cap == 3 else (8, False))


def test_requests_matching_in_text_and_notes_still_make_the_newest_cap(memo, monkeypatch):
    """A request matching in its text and its notes is two documents: SQLite's walk of the
    newest TOTAL_CAP + 1 documents then finds fewer requests, and walks again twice as far."""
    monkeypatch.setattr(engine, "TOTAL_CAP", 2)
    now = clock.now()
    memo.put(
        *(
            doc(i, "Fan", "fan noise", private="fan replaced", when=now - timedelta(days=i))
            for i in range(1, 5)
        )
    )
    with CaptureQueriesContext(connection) as statements:
        results = engine.search("memo", "fan", prefix=False, private=True)
    searches = [q for q in statements.captured_queries if "MATCH" in q["sql"]]
    assert results.capped and results.total == 2
    assert ids(results) == [1, 2, 3]  # the newest three, the more recent first
    if connection.vendor == "sqlite":
        assert len(searches) == 2
    # Without the notes one walk finds them; a page past the end is empty.
    assert ids(engine.search("memo", "fan", prefix=False)) == [1, 2, 3]
    assert ids(engine.search("memo", "fan", prefix=False, private=True, offset=3)) == []


def test_the_newest_matches_are_those_that_pass_the_filters(memo, monkeypatch, django_user_model):
    """A match the person may not open takes no place among the newest: the filter applies
    before the cap (a department's agent sees the newest of their own requests)."""
    from helpline.accounts.models import User

    monkeypatch.setattr(engine, "TOTAL_CAP", 2)
    now = clock.now()
    users = [User.objects.create(email=f"u{i}@example.org") for i in range(6)]
    memo.put(
        *(
            doc(u.pk, "Account", "locked account", when=now - timedelta(days=i))
            for i, u in enumerate(users)
        )
    )
    mine = [users[1].pk, users[3].pk, users[4].pk, users[5].pk]
    results = engine.search("memo", "account", among=User.objects.filter(pk__in=mine))
    # The newest TOTAL_CAP + 1 of the allowed ones are ranked; the oldest allowed one waits.
    assert results.capped and results.total == 2
    assert ids(results) == [users[1].pk, users[3].pk, users[4].pk]


def test_many_matches_rank_the_newest_candidates_title_first(memo, monkeypatch):
    """Beyond TOTAL_CAP matches both engines rank only the newest TOTAL_CAP + 1 requests: among
    them the title still wins, then the more recent; an older title match waits."""
    monkeypatch.setattr(engine, "TOTAL_CAP", 3)
    now = clock.now()
    memo.put(
        *[
            doc(
                i,
                "VPN down" if i in (3, 8) else "Question",
                "The vpn drops.",
                when=now - timedelta(days=i),
            )
            for i in range(1, 9)
        ]
    )
    results = engine.search("memo", "vpn", prefix=False, limit=4)
    assert ids(results) == [3, 1, 2, 4]
    assert results.capped and results.total == 3
    # Few matches: every one ranked, the old title match first.
    monkeypatch.setattr(engine, "TOTAL_CAP", 1000)
    assert ids(engine.search("memo", "vpn", prefix=False, limit=2)) == [3, 8]


def test_a_match_in_text_and_notes_counts_once_toward_the_cap(memo, monkeypatch):
    monkeypatch.setattr(engine, "TOTAL_CAP", 2)
    memo.put(
        doc(1, "Fan", "The fan is loud.", private="fan replaced"),
        doc(2, "Fan", "Fan noise.", private="fan ordered"),
    )
    results = engine.search("memo", "fan", prefix=False, private=True)
    assert not results.capped and results.total == 2
    assert sorted(ids(results)) == [1, 2]


def test_a_phrase_is_looked_for_among_the_newest_documents_first(memo, monkeypatch):
    """The planner underestimates a phrase's matches: PostgreSQL first looks among the newest
    PHRASE_WALK x TOTAL_CAP documents, and reads every match only when too few are there.
    SQLite's walk is newest first already. Either way the newest matches are ranked."""
    monkeypatch.setattr(engine, "TOTAL_CAP", 2)
    monkeypatch.setattr(engine, "PHRASE_WALK", 2)
    now = clock.now()
    memo.put(
        *[
            doc(i, "Question", "A strange noise again.", when=now - timedelta(days=i))
            for i in (1, 2, 3, 4)
        ],
        doc(5, "Strange noise", "Strange noise.", when=now - timedelta(days=100)),
        doc(6, "Fan", "An old rattle.", when=now - timedelta(days=300)),
    )
    # The same page as ranking the newest matches of all (the walk only spares the planner's
    # misjudgement), from one statement over the newest four documents:
    with CaptureQueriesContext(connection) as statements:
        results = engine.search("memo", '"strange noise"', prefix=False, limit=2)
    assert results.capped and ids(results) == [1, 2]
    if connection.vendor != "postgresql":
        assert ids(engine.search("memo", '"old rattle"', prefix=False)) == [6]
        return
    searches = [q["sql"] for q in statements.captured_queries if "tsv @@" in q["sql"]]
    assert len(searches) == 1 and 'ORDER BY "when" DESC LIMIT 4) d' in searches[0]
    # A phrase only in older documents: the walk finds too few, every match is read.
    assert ids(engine.search("memo", '"old rattle"', prefix=False)) == [6]


def test_below_the_cap_every_match_is_ranked_by_its_best_part(memo):
    """Under the cap PostgreSQL's one statement ranks every match exactly as scoring them all
    does: a request by the better of its public and private parts (notes count 0.8)."""
    from helpline.search import text as analysis

    now = clock.now()
    memo.put(
        doc(1, "Fan", "The fan.", when=now - timedelta(days=3)),
        doc(2, "Desk", "Loud.", private="fan fan fan, the fan again", when=now),
        doc(3, "Desk", "A fan, somewhere in a long text about other things.", private="fan"),
        doc(4, "Fan noise", "fan fan", private="fan fan fan fan", when=now - timedelta(days=40)),
        doc(5, "Chair", "Nothing here.", private="nothing"),
    )
    results = engine.search("memo", "fan", prefix=False, private=True)
    query = analysis.parse("fan", prefix=False)
    where, score, params = engine._match_sql("memo", query, engine._languages(None), True)
    every = engine._full_page(where, score, params, "", [], 20, 0)
    assert [(h.object_id, round(h.rank, 9)) for h in results.hits] == [
        (row[0], round(row[1], 9)) for row in every
    ]
    assert results.total == 4 and not results.capped


def test_matching_ids_answers_every_match_up_to_the_cap(memo):
    memo.put(
        doc(1, "Printer", "Jammed again."),
        doc(2, "Password", "The printer asks for one.", private="Printer in room 3."),
        doc(3, "Scanner", "Slow."),
    )
    found = engine.matching_ids("memo", "printer", private=True)
    assert found is not None
    assert found.ids == [1, 2]  # document 2 matches in both parts: once
    assert engine.matching_ids("memo", "zqxj").ids == []
    assert engine.matching_ids("memo", "  ") is None


def test_matching_ids_over_the_cap_gives_the_match_set_as_sql(memo):
    memo.put(doc(1, "Printer", ""), doc(2, "Printer", ""), doc(3, "Scanner", ""))
    over = engine.matching_ids("memo", "printer", cap=1)
    assert over is not None
    assert over.ids is None
    assert over.filter_sql() is over.sql
    assert sorted(
        SearchDocument.objects.filter(object_id__in=over.filter_sql()).values_list(
            "object_id", flat=True
        )
    ) == [1, 2]
    under = engine.matching_ids("memo", "printer", cap=2)
    assert under.ids == [1, 2]
    assert sorted(
        SearchDocument.objects.filter(object_id__in=under.filter_sql()).values_list(
            "object_id", flat=True
        )
    ) == [1, 2]


def test_matching_ids_is_one_bounded_statement(memo):
    memo.put(*(doc(i, "Printer", "") for i in range(1, 6)))
    with CaptureQueriesContext(connection) as queries:
        found = engine.matching_ids("memo", "printer", cap=3)
    assert found.ids is None
    assert len(queries.captured_queries) == 1
    assert queries.captured_queries[0]["sql"].rstrip().endswith("LIMIT 4")


def test_the_planner_reads_each_configurations_query_once(memo):
    """PostgreSQL: the configurations' queries are ORed without repeats while planning (an
    address is one lexeme, not four independent ones: four times the estimate); the search
    finds the same. SQLite has no configurations: the address is found exactly."""
    memo.put(doc(1, "Mail", "From kari@example.no today."), doc(2, "Printer", "Jammed."))
    assert ids(engine.search("memo", "kari@example.no", prefix=False)) == [1]
    assert ids(engine.search("memo", "printers", prefix=False)) == [2]
    if connection.vendor != "postgresql":
        return
    query = analysis.parse("kari@example.no", prefix=False)
    where, _score, params = engine._match_sql("memo", query, engine._languages(None), False)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN SELECT d.object_id {where}", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.count("kari@example.no") == plan.count("tsv @@") >= 1, plan
    # A word the stemmers change: each distinct form once.
    tsquery, params = engine._pg_query(
        analysis.parse("printers", prefix=False), engine._languages(None)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {tsquery}::text", params)  # noqa: S608
        text = cursor.fetchone()[0]
    lexemes = re.findall(r"'([^']+)'", text)
    assert sorted(lexemes) == sorted(set(lexemes)) and "printer" in lexemes, text


def test_postgresql_connections_compile_nothing_just_in_time(db):
    """Bounded index walks are estimated at their whole walk: JIT's threshold passed, and
    compiling cost more than running (settings: jit off on every connection)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("SELECT 1")
            assert cursor.fetchone()[0] == 1
            return
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def _vectors(pk: int) -> tuple[str, str]:
    """PostgreSQL: a search row's stored vector, and the one its text gives computed whole."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsv::text, (setweight(to_tsvector(search_config(language), title), 'A')"
            " || setweight(to_tsvector('simple'::regconfig, exact), 'A')"
            " || search_body_tsv(search_config(language), body))::text"
            " FROM search_searchdocument WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def test_the_stored_vector_is_always_the_one_its_text_gives(memo):
    """A passage appended through the engine is found on either database. PostgreSQL: the
    trigger of search migration 0004 parses only passages added at the end of a body; whatever a
    change does, the stored vector must be the one computed from the row's text whole."""
    memo.put(doc(1, "Printer", "The printer jams."))
    assert engine.append("memo", 1, body="Fuser ordered.", when=clock.now())
    assert ids(engine.search("memo", "fuser", prefix=False)) == [1]
    if connection.vendor != "postgresql":
        return
    changes = {
        "append": lambda d: {"body": d.body + analysis.PASSAGE + "Fuser ordered."},
        "rewrite": lambda d: {"body": "Rewritten: the scanner."},
        "same passage": lambda d: {"body": d.body + " jams too"},
        "title": lambda d: {"title": "Scanner"},
        "language": lambda d: {"language": "nb"},
        "recency": lambda d: {"when": clock.now()},
    }
    for number, (name, change) in enumerate(changes.items(), start=2):
        document = SearchDocument.objects.create(
            kind="memo",
            object_id=number,
            language="en",
            title="Printer",
            body="The printer jams." + analysis.PASSAGE + "Which tray?",
            exact="xk-4411",
        )
        SearchDocument.objects.filter(pk=document.pk).update(**change(document))
        stored, computed = _vectors(document.pk)
        assert stored == computed, name
    appended = SearchDocument.objects.get(kind="memo", object_id=2)
    assert "Fuser ordered." in appended.body


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_passages_appended_at_the_same_moment_are_both_kept(memo):
    """Two writers extending one document at once (the ticket services also hold the request's
    lock; this does not): the second waits for the first's row and extends what it committed.
    A read-then-write append would lose the first passage here."""
    memo.put(doc(1, "Printer", "The printer jams."))
    first_written = threading.Event()

    def first():
        with transaction.atomic():
            engine.append("memo", 1, body="Fuser ordered.")
            first_written.set()
            time.sleep(0.3)  # holds the row (SQLite: the write lock) while the other starts

    def second():
        first_written.wait(timeout=5)
        with transaction.atomic():
            return engine.append("memo", 1, body="Toner replaced.")

    outcomes = run_together(first, second)
    assert [o.error for o in outcomes] == [None, None] and outcomes[1].value is True
    row = SearchDocument.objects.get(kind="memo", object_id=1, part=0)
    assert row.body.count(analysis.PASSAGE) == 2
    assert "Fuser ordered." in row.body and "Toner replaced." in row.body
    assert ids(engine.search("memo", "fuser", prefix=False)) == [1]
    assert ids(engine.search("memo", "toner", prefix=False)) == [1]
    if connection.vendor == "postgresql":
        stored, computed = _vectors(row.pk)
        assert stored == computed
