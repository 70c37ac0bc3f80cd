"""The search engine's public interface (the only module other apps import).

    engine.register(source)          a Source per kind of document, from the owning app's ready()
    engine.index(kind, ids)          in the caller's transaction: the index changes with the content
    engine.index_documents(kind, docs)   the same for documents the caller built (just written)
    engine.remove(kind, ids)
    engine.search(kind, query, among=..., private=..., ...) -> Results
    engine.matching(kind, query, private=...) -> an SQL expression for `pk__in`
    engine.matching_ids(kind, query, private=..., cap=...) -> Matching (the board's text filter)

Two backends chosen by the database: SQLite FTS5 over Snowball stems made in Python, and
PostgreSQL full-text search (a tsvector per document with the language's configuration, kept
by a trigger that parses only what a change adds; GIN, websearch_to_tsquery, ts_rank_cd). Both
read the same parsed query, so quoted phrases, OR, -exclude and the last word as a prefix mean
the same on either.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from . import text as analysis
from .models import Part, SearchDocument

__all__ = [
    "Document",
    "Hit",
    "Results",
    "Source",
    "append",
    "index",
    "index_documents",
    "Matching",
    "matching",
    "matching_ids",
    "register",
    "remove",
    "search",
    "sources",
]

TOTAL_CAP = 1000  # counting stops here: "1000+ results"
PRIVATE_WEIGHT = 0.8  # a match in staff-only text ranks a little below the same in public text


@dataclass(frozen=True)
class Document:
    object_id: int
    language: str  # "en" | "nb" | "ru" (others fall back to the installation's language)
    title: str  # ranked above body
    body: str  # plain text; passages (a ticket's entries) joined with text.PASSAGE
    exact: str = ""  # tokens matched exactly, never stemmed: numbers, e-mails, codes, tags
    when: datetime | None = None  # recency for ranking
    private: str = ""  # text only people with the private right find (a ticket's notes)


@runtime_checkable
class Source(Protocol):
    """`kind` names the documents; a source may also set `private_only_grows = True` when a
    document's private text never empties while the document exists (saves a DELETE per index)."""

    kind: str

    def documents(self, ids: Iterable[int]) -> Iterable[Document]: ...

    def all_ids(self) -> Iterator[int]: ...


@dataclass(frozen=True)
class BulkSQL:
    """A source's documents read by the database, for the set-based rebuild on PostgreSQL.

    `select` is a SELECT of (id, title, "when", body, private) for the rows of the relation
    `batch` (columns id, language, exact: the batch's ids, with what Python computed for them) —
    the same title, time and text `documents` gives. A source offering it also implements
    `bulk_heads(ids)`: its documents without body and private text (what Python still reads:
    the language and the exact tokens)."""

    select: str
    params: list


@dataclass
class Hit:
    object_id: int
    rank: float
    title_html: str
    snippet_html: str
    private: bool = False  # the snippet comes from the private text (internal notes)
    passage: int = 0  # which passage of the body (or private text) the snippet comes from
    passage_text: str = ""  # the snippet's plain text, to tell which entry it is


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    message: str | None = None
    capped: bool = False


_sources: dict[str, Source] = {}


def register(source: Source) -> None:
    _sources[source.kind] = source


def sources() -> dict[str, Source]:
    return dict(_sources)


def _source(kind: str) -> Source:
    try:
        return _sources[kind]
    except KeyError:
        raise LookupError(f"No search source registered for {kind!r}") from None


def _fallback_language() -> str:
    return analysis.language_of(settings.LANGUAGE_CODE)


def _language(document: Document) -> str:
    return analysis.language_of(document.language, _fallback_language())


def _exact(document: Document, compounds: list[str]) -> str:
    """The public part's exact tokens: the document's own, then the compounds of its text."""
    exact_parts = [analysis.exact_tokens(document.exact), " ".join(dict.fromkeys(compounds))]
    return " ".join(p for p in exact_parts if p)


def _rows(kind: str, document: Document) -> list[SearchDocument]:
    language = _language(document)
    sqlite = connection.vendor == "sqlite"
    rows = []
    title_stems, title_compounds = (
        analysis.analyse(document.title, language) if sqlite else ("", [])
    )
    body_stems, body_compounds = analysis.analyse(document.body, language) if sqlite else ("", [])
    if not sqlite:
        # PostgreSQL's parser keeps a body's compounds whole itself; the title's are added.
        title_compounds = analysis.compounds(document.title)
    rows.append(
        SearchDocument(
            kind=kind,
            object_id=document.object_id,
            part=Part.PUBLIC,
            language=language,
            title=document.title,
            body=document.body,
            exact=_exact(document, title_compounds + body_compounds),
            when=document.when,
            title_stems=title_stems,
            body_stems=body_stems,
        )
    )
    if document.private.strip():
        private_stems, private_compounds = (
            analysis.analyse(document.private, language) if sqlite else ("", [])
        )
        rows.append(
            SearchDocument(
                kind=kind,
                object_id=document.object_id,
                part=Part.PRIVATE,
                language=language,
                body=document.private,
                exact=" ".join(dict.fromkeys(private_compounds)),
                when=document.when,
                body_stems=private_stems,
            )
        )
    return rows


_UPDATED = ["language", "title", "body", "exact", "when", "title_stems", "body_stems"]


def index(kind: str, ids: Iterable[int]) -> int:
    """(Re)index these documents of `kind` from their source, in the caller's transaction;
    documents the source no longer returns leave the index. Returns how many were indexed.

    One upsert writes every part (on SQLite its UPDATE trigger keeps FTS5 in step); a DELETE
    follows only for documents gone from the source, or parts that may have emptied (a source
    whose private text only grows, `private_only_grows`, saves that statement)."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return 0
    source = _source(kind)
    return _write(kind, source, ids, list(source.documents(ids)))


def index_documents(kind: str, documents: Iterable[Document]) -> int:
    """Index documents of `kind` the caller built itself, exactly as its source would give them,
    in the caller's transaction: for content written this moment, whose every part the caller
    holds (a request just opened), so the source need not read it back. Returns how many."""
    documents = list(documents)
    if not documents:
        return 0
    return _write(kind, _source(kind), [d.object_id for d in documents], documents)


def _write(kind: str, source: Source, ids: list[int], documents: list[Document]) -> int:
    rows = [row for document in documents for row in _rows(kind, document)]
    # New rows are numbered oldest first (those without a time last, as the newest): SQLite's
    # search walks its matches by that number, newest first (`_sqlite_page`).
    rows.sort(key=lambda r: (r.when is None, r.when.timestamp() if r.when else 0.0))
    found = {d.object_id for d in documents}
    gone = [i for i in ids if i not in found]
    emptied = (
        []
        if getattr(source, "private_only_grows", False)
        else [d.object_id for d in documents if not d.private.strip()]
    )
    # Inside the caller's transaction no savepoint is needed: an error there rolls back all.
    with transaction.atomic(savepoint=False):
        if rows:
            SearchDocument.objects.bulk_create(
                rows,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["kind", "object_id", "part"],
                update_fields=_UPDATED,
            )
        if gone or emptied:
            stale = Q(object_id__in=gone) if gone else Q(pk__in=[])
            if emptied:
                stale |= Q(object_id__in=emptied, part=Part.PRIVATE)
            SearchDocument.objects.filter(stale, kind=kind).delete()
    return len(documents)


def append(
    kind: str,
    object_id: int,
    *,
    body: str | None = None,
    private: str | None = None,
    when: datetime | None = None,
) -> bool:
    """Add one passage at the end of an indexed document's body (or its private text) and set
    its recency, in the caller's transaction: only the new text is analysed and the stored rows
    are written back, so the cost does not grow with the document (a ticket's new reply or note
    on a 500-entry thread costs what it costs on a short one). On SQLite one read and one
    upsert; on PostgreSQL one UPDATE (`_append_postgresql`).

    Gives the same rows as `index` would, except that a compound word of the new text that the
    document's exact tokens already hold is not repeated. `when`, if given, is the document's
    new recency (every part's). Returns False without writing when the
    rows cannot be extended as they are (the document is not indexed, its body is empty, or its
    private part is missing or empty while private text is added): the caller indexes the
    document whole instead."""
    if connection.vendor == "postgresql":
        return _append_postgresql(kind, object_id, body=body, private=private, when=when)
    rows = {row.part: row for row in SearchDocument.objects.filter(kind=kind, object_id=object_id)}
    public = rows.get(Part.PUBLIC)
    if public is None or not public.body:
        return False
    target = None
    if body is not None:
        target, text = public, body
    elif private is not None:
        target, text = rows.get(Part.PRIVATE), private
        if target is None or not target.body.strip():
            return False
    if target is not None:
        target.body = target.body + analysis.PASSAGE + text
        stems, compounds = analysis.analyse(text, target.language)
        target.body_stems = " ".join(s for s in (target.body_stems, stems) if s)
        known = set(target.exact.split())
        added = [c for c in dict.fromkeys(compounds) if c not in known]
        target.exact = " ".join(s for s in (target.exact, *added) if s)
    if when is not None:
        for row in rows.values():
            row.when = when
    SearchDocument.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["kind", "object_id", "part"],
        update_fields=_UPDATED,
    )
    return True


def _append_postgresql(
    kind: str, object_id: int, *, body: str | None, private: str | None, when: datetime | None
) -> bool:
    # One UPDATE extends the stored text where it is, neither reading it into Python nor
    # sending it back; the table's trigger parses only the new passage and adds its vector to
    # the stored one (search migration 0004, decision 0028). No row is touched (False) in the
    # cases where `append` reads that the rows cannot be extended.
    table = connection.ops.quote_name(SearchDocument._meta.db_table)
    when_column = connection.ops.quote_name("when")
    part = (
        f"EXISTS (SELECT 1 FROM {table} r WHERE r.kind = d.kind"  # noqa: S608
        " AND r.object_id = d.object_id AND r.part = %s AND r.body {})"
    )
    conditions = [part.format("<> ''")]
    condition_params: list[Any] = [Part.PUBLIC.value]
    target, text = Part.PUBLIC, body
    if body is None and private is not None:
        target, text = Part.PRIVATE, private
        conditions.append(part.format("~ %s"))
        condition_params += [Part.PRIVATE.value, _NOT_ONLY_SPACE]
    changes = [f"{when_column} = COALESCE(%s, d.{when_column})"]
    params: list[Any] = [when]
    if text is not None:
        changes.append("body = CASE WHEN d.part = %s THEN d.body || %s ELSE d.body END")
        params += [target.value, analysis.PASSAGE + text]
    sql = (
        f"UPDATE {table} AS d SET {', '.join(changes)}"  # noqa: S608
        f" WHERE d.kind = %s AND d.object_id = %s AND {' AND '.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, kind, object_id, *condition_params])
        return cursor.rowcount > 0


def remove(kind: str, ids: Iterable[int]) -> None:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if ids:
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).delete()


def clear(kind: str) -> None:
    """Drop every document of `kind` (when a kind is given up)."""
    SearchDocument.objects.filter(kind=kind).delete()


# --- queries -------------------------------------------------------------------------------------


def _languages(language: str | None) -> list[str]:
    if language:
        return [analysis.language_of(language, _fallback_language())]
    return list(analysis.LANGUAGES)


def _fts_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _fts_term(term: analysis.Term, languages: list[str]) -> str:
    """One term for FTS5: every word's stems in the candidate languages, compounds both exactly
    and as the phrase of their words; a phrase in each language; the last word also as a prefix."""
    if term.phrase:
        variants = []
        for language in languages:
            stems = [
                analysis.stem(part, language)
                for word in term.words
                for part in analysis.PART.findall(word)
            ]
            variants.append(_fts_string(" ".join(stems)))
        compounds = [w.lower() for w in term.words if analysis.is_compound(w)]
        if len(term.words) == 1 and compounds:
            variants.append("exact : " + _fts_string(compounds[0]))
        return "(" + " OR ".join(dict.fromkeys(variants)) + ")"
    word = term.words[0]
    parts = analysis.PART.findall(word)
    if not parts:
        return ""
    if len(parts) > 1 or analysis.is_compound(word):
        variants = ["exact : " + _fts_string(word.lower())]
        for language in languages:
            variants.append(_fts_string(" ".join(analysis.stem(p, language) for p in parts)))
        return "(" + " OR ".join(dict.fromkeys(variants)) + ")"
    variants = [_fts_string(s) for s in analysis.query_stems(word, languages)]
    variants.append("exact : " + _fts_string(word.lower()))
    if term.prefix:
        variants.append(_fts_string(word.lower()) + " *")
        variants += [_fts_string(s) + " *" for s in analysis.query_stems(word, languages)]
    return "(" + " OR ".join(dict.fromkeys(variants)) + ")"


def _fts_query(query: analysis.Query, languages: list[str]) -> str:
    groups = []
    for group in query.groups:
        alternatives = [a for a in (_fts_term(t, languages) for t in group) if a]
        if alternatives:
            groups.append("(" + " OR ".join(alternatives) + ")")
    if not groups:
        return ""
    expression = " AND ".join(groups)
    # Phrase above scattered: the words of a plain query also as a phrase; it matches no row
    # the words alone do not, and bm25 counts it on the rows that have it.
    plain = [g[0] for g in query.groups if len(g) == 1 and not g[0].phrase and not g[0].prefix]
    if len(plain) > 1 and len(plain) == len(query.groups):
        phrases = []
        for language in languages:
            stems = [
                analysis.stem(part, language)
                for term in plain
                for part in analysis.PART.findall(term.words[0])
            ]
            phrases.append(_fts_string(" ".join(stems)))
        expression = f"({expression}) OR " + " OR ".join(dict.fromkeys(phrases))
    excluded = [a for a in (_fts_term(t, languages) for t in query.excluded) if a]
    if excluded:
        expression = f"({expression}) NOT ({' OR '.join(excluded)})"
    return expression


_WEBSEARCH_DROP = re.compile(r'["\\]')


def _websearch_text(query: analysis.Query, *, without_prefix: bool) -> str:
    """The parsed query written back in websearch_to_tsquery's syntax (which never raises)."""
    pieces = []
    for group in query.groups:
        alternatives = []
        for term in group:
            if term.prefix and without_prefix:
                continue
            words = " ".join(_WEBSEARCH_DROP.sub(" ", w) for w in term.words)
            alternatives.append(f'"{words}"' if term.phrase else words)
        if alternatives:
            pieces.append(" or ".join(alternatives) if len(alternatives) > 1 else alternatives[0])
    for term in query.excluded:
        words = " ".join(_WEBSEARCH_DROP.sub(" ", w) for w in term.words)
        pieces.append(f'-"{words}"' if term.phrase else f"-{words}")
    return " ".join(pieces)


PG_CONFIGS = {"en": "english", "nb": "norwegian", "ru": "russian"}


def _pg_query(query: analysis.Query, languages: list[str]) -> tuple[str, list]:
    """SQL for the tsquery, and its parameters."""
    prefix_terms = [t for g in query.groups for t in g if t.prefix and len(g) == 1]
    text = _websearch_text(query, without_prefix=bool(prefix_terms))
    configs = [PG_CONFIGS[lang] for lang in languages] + ["simple"]
    # search_tsquery_any (migration 0003): the OR of the distinct ones, made while planning.
    parts = [f"websearch_to_tsquery('{config}', %s)" for config in configs]
    sql = "search_tsquery_any(" + ", ".join(parts) + ")"
    params: list = [text] * len(configs)
    for term in prefix_terms:
        word = analysis.PART.findall(term.words[0])
        if not word:
            continue
        lexeme = word[0].lower()
        options = [f"to_tsquery('{config}', %s)" for config in configs]
        sql = f"({sql} && search_tsquery_any({', '.join(options)}))"
        params += [f"'{lexeme}':*"] * len(configs)
    return sql, params


def _among_sql(among: QuerySet | None) -> tuple[str, list]:
    if among is None:
        return "", []
    # A probe of the kind's table per matching row (its primary key), never the whole set of
    # allowed ids built first: a supervisor's "every request" is most of the table.
    probe = among.filter(pk=RawSQL("d.object_id", [])).values("pk")  # noqa: S611
    inner, inner_params = probe.query.sql_with_params()
    return f" AND EXISTS ({inner})", list(inner_params)


def _prepare(query_text: str, prefix: bool) -> tuple[analysis.Query, str | None]:
    query = analysis.parse(query_text, prefix=prefix)
    if query.empty:
        if query.excluded:
            return query, _("Add a word to look for: a search cannot only leave words out.")
        return query, _("Type a word, a number or an address to search for.")
    return query, None


def _match_sql(
    kind: str, query: analysis.Query, languages: list[str], private: bool
) -> tuple[str, str, list] | None:
    """(FROM/WHERE clause, the score expression, params) or None if nothing can match."""
    parts = "" if private else f" AND d.part = {int(Part.PUBLIC)}"
    if connection.vendor == "postgresql":
        tsquery, params = _pg_query(query, languages)
        recency = (
            "(1.0 + 30.0 / (30.0 + GREATEST(0, EXTRACT(EPOCH FROM (now() - "
            'COALESCE(d."when", now()))) / 86400.0)))'
        )
        weight = f"(CASE WHEN d.part = {int(Part.PRIVATE)} THEN {PRIVATE_WEIGHT} ELSE 1.0 END)"
        where = (
            f"FROM search_searchdocument d, (SELECT {tsquery} AS query) q "
            f"WHERE d.tsv @@ q.query AND d.kind = %s{parts}"
        )
        score = f"ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', d.tsv, q.query, 1) * {recency} * {weight}"
        return where, score, [*params, kind]
    expression = _fts_query(query, languages)
    if not expression:
        return None
    recency = (
        "(1.0 + 30.0 / (30.0 + MAX(0, COALESCE(julianday('now') - julianday(d.\"when\"), 1e9))))"
    )
    weight = f"(CASE WHEN d.part = {int(Part.PRIVATE)} THEN {PRIVATE_WEIGHT} ELSE 1.0 END)"
    where = (
        "FROM search_fts CROSS JOIN search_searchdocument d ON d.id = search_fts.rowid "
        f"WHERE search_fts MATCH %s AND d.kind = %s{parts}"
    )
    # bm25 is negative, better is lower: negate so that higher is better on both backends.
    score = f"-bm25(search_fts, 10.0, 1.0, 5.0) * {recency} * {weight}"
    return where, score, [expression, kind]


def matching(
    kind: str, query_text: str, *, private: bool = False, language: str | None = None
) -> RawSQL | None:
    """The ids of `kind` matching the query, as SQL for `pk__in` (None: the query is empty)."""
    query, message = _prepare(query_text, prefix=False)
    if message:
        return None
    match = _match_sql(kind, query, _languages(language), private)
    if match is None:
        return None
    where, _score, params = match
    # Only constants of this module are interpolated; what was typed travels as parameters.
    return RawSQL(f"SELECT d.object_id {where}", params)  # noqa: S611


MATCH_CAP = 2000  # the board's text filter: a word matching more is left to the board's walk


@dataclass(frozen=True)
class Matching:
    """The objects matching a query, for a filter. `ids` holds every one of them when there are
    at most the cap (an empty list: nothing matches); None when there are more, and then `sql`
    (the match set for `pk__in`) is the filter to use."""

    ids: list[int] | None
    sql: RawSQL

    def filter_sql(self) -> RawSQL:
        """For `pk__in`: the ids as one parameter (an array on PostgreSQL, JSON on SQLite) when
        the engine answered them, the match set's SQL otherwise."""
        if self.ids is None:
            return self.sql
        if connection.vendor == "postgresql":
            return RawSQL("SELECT unnest(%s::bigint[])", [self.ids])
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(self.ids)])


def matching_ids(
    kind: str,
    query_text: str,
    *,
    private: bool = False,
    language: str | None = None,
    cap: int | None = None,
) -> Matching | None:
    """The ids of `kind` matching the query, read from the full-text index in one bounded
    statement (at most `cap` + 1 rows; `MATCH_CAP` by default), or None when the query is empty.

    A filter given the ids need not probe the index once per candidate row: for a word no
    document holds the planner otherwise walks a whole table in its own order, checking each
    row against the index (7.7 s at a million requests). Over the cap the walk is the cheaper
    plan (a match every few rows), and `Matching.ids` is None.
    """
    query, message = _prepare(query_text, prefix=False)
    if message:
        return None
    match = _match_sql(kind, query, _languages(language), private)
    if match is None:
        return None
    where, _score, params = match
    sql = RawSQL(f"SELECT d.object_id {where}", params)  # noqa: S611
    limit = max(0, MATCH_CAP if cap is None else int(cap)) + 1
    with connection.cursor() as cursor:
        # A document per part: a request matching in its text and its notes comes twice, so the
        # rows are counted before they are made distinct (over the cap either way).
        cursor.execute(f"SELECT d.object_id {where} LIMIT {limit}", params)  # noqa: S608
        rows = [row[0] for row in cursor.fetchall()]
    if len(rows) >= limit:
        return Matching(ids=None, sql=sql)
    return Matching(ids=sorted(set(rows)), sql=sql)


def search(
    kind: str,
    query_text: str,
    *,
    among: QuerySet | None = None,
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
    private: bool = False,
    prefix: bool = True,
) -> Results:
    """The documents of `kind` best matching what a person typed, best first.

    `among` limits the results to the kind's rows in that queryset (combined in SQL);
    `private` also searches the private text (only for people who may read it); `prefix` reads
    the last word as the beginning of a word (search as you type). Never raises for bad input:
    an empty or unreadable query gives a result with a `message`.
    """
    query, message = _prepare(query_text, prefix)
    if message:
        return Results(message=message)
    languages = _languages(language)
    match = _match_sql(kind, query, languages, private)
    if match is None:
        return Results(message=_("Type a word, a number or an address to search for."))
    where, score, params = match
    try:
        among_sql, among_params = _among_sql(among)
    except EmptyResultSet:
        return Results(total=0, message=_("Nothing found."))
    limit = max(1, min(int(limit), 200))
    offset = max(0, int(offset))
    try:
        with _reading():
            if connection.vendor == "sqlite":
                rows = _sqlite_page(
                    kind, query, languages, private, among_sql, among_params, limit, offset
                )
            else:
                phrase = any(t.phrase for g in query.groups for t in g)
                rows = _postgresql_page(
                    kind,
                    where,
                    score,
                    params,
                    among_sql,
                    among_params,
                    limit,
                    offset,
                    private,
                    phrase=phrase,
                )
    except DatabaseError:
        # A query the engine could not read (it should not happen: every word is quoted).
        return Results(message=_("This search could not be read. Try other words."))
    page = [(row[0], row[1]) for row in rows]
    total = rows[0][2] if rows else 0
    if not page:
        return Results(total=0, message=_("Nothing found."))
    return Results(
        hits=_hits(kind, page, query, languages, private),
        total=min(total, TOTAL_CAP),
        capped=total > TOTAL_CAP,
    )


def _reading():
    """A savepoint inside a caller's transaction (an unreadable query must not break it);
    outside one, nothing: a read needs no transaction (SQLite's would take the write lock)."""
    if connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def _full_page(where, score, params, among_sql, among_params, limit, offset) -> list[tuple]:
    """Every match scored (bm25 or ts_rank_cd, recency, part), the best part of each object,
    and how many objects matched (a window over the groups): what the tests compare the
    engines' pages with below the cap."""
    # Only constants of this module and the queryset's own SQL are interpolated; what was typed
    # travels as parameters. Scored row by row inside (SQLite's bm25 cannot run inside an
    # aggregate), then the best part of each object outside.
    scored = f"SELECT d.object_id AS object_id, {score} AS score {where}{among_sql}"  # noqa: S608
    page_sql = (
        "WITH scored AS MATERIALIZED (" + scored + ") "  # noqa: S608
        "SELECT object_id, MAX(score) AS best, COUNT(*) OVER () AS found FROM scored "
        "GROUP BY object_id ORDER BY best DESC, object_id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(page_sql, [*params, *among_params, limit, offset])
        return cursor.fetchall()


PHRASE_WALK = 40  # PostgreSQL: a phrase's newest matches are looked for among 40 x TOTAL_CAP


def _postgresql_page(
    kind, where, score, params, among_sql, among_params, limit, offset, private, *, phrase
):
    """The page without ranking every match of a common word: ts_rank_cd reads each match's
    tsvector from the table, 100,000 of them for a common word at a million requests.

    First the newest TOTAL_CAP + 1 matching objects are read (for a common word the planner
    walks the index on the documents' time, newest first, checking each against the query and
    stopping there; for a rarer one it takes the GIN index's matches). Fewer than that: they are
    every match, all ranked as before. Otherwise only these newest ones are ranked, so
    the best of the recent matches make the page — recent above old is a ranking rule, and a
    request among more than a thousand matches is found by adding a word — and the total reads
    "more than 1,000".

    A phrase's matches are estimated by the planner from its words as if they were unrelated,
    far below what they are when the words come together (49,000 documents said "strange noise"
    where 7,000 were expected), and it then ranks them all. So a phrase is first looked for only
    among the newest PHRASE_WALK x TOTAL_CAP documents; only when fewer than TOTAL_CAP + 1 are
    there does the search read every match."""
    # A request matching in its public text and in its notes is one candidate: its private row
    # only when the public row does not match.
    once = (
        f" AND (d.part = {int(Part.PUBLIC)} OR NOT EXISTS (SELECT 1 "  # noqa: S608
        "FROM search_searchdocument o WHERE o.kind = d.kind AND o.object_id = d.object_id "
        f"AND o.part = {int(Part.PUBLIC)} AND o.tsv @@ q.query))"
        if private
        else ""
    )
    # Its score is still the better of its two parts' (a probe of the unique index).
    if private:
        other = score.replace("d.", "o.")
        score = (
            f"CASE WHEN d.part = {int(Part.PUBLIC)} THEN GREATEST({score}, COALESCE(("  # noqa: S608
            f"SELECT {other} FROM search_searchdocument o WHERE o.kind = d.kind "
            f"AND o.object_id = d.object_id AND o.part = {int(Part.PRIVATE)} "
            f"AND o.tsv @@ q.query), 0)) ELSE {score} END"
        )
    # Only constants of this module and the queryset's own SQL are interpolated. Documents
    # without a time come first (DESC, as the index is read backwards).
    newest = (
        f"SELECT d.object_id AS object_id, {score} AS score {where}{among_sql}{once} "  # noqa: S608
        f'ORDER BY d."when" DESC LIMIT {TOTAL_CAP + 1}'
    )
    page_sql = (
        "WITH newest AS MATERIALIZED (" + newest + ") "  # noqa: S608
        "SELECT object_id, score, (SELECT COUNT(*) FROM newest) FROM newest "
        "ORDER BY score DESC, object_id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        if phrase:
            table = "FROM search_searchdocument d,"
            assert table in page_sql  # noqa: S101  # the shape _match_sql writes
            recent = (
                "FROM (SELECT * FROM search_searchdocument WHERE kind = %s "  # noqa: S608
                f'ORDER BY "when" DESC LIMIT {PHRASE_WALK * TOTAL_CAP}) d,'
            )
            cursor.execute(
                page_sql.replace(table, recent, 1),
                [kind, *params, *among_params, limit, offset],
            )
            rows = cursor.fetchall()
            if rows and rows[0][2] > TOTAL_CAP:
                return [(row[0], row[1], row[2]) for row in rows]
        cursor.execute(page_sql, [*params, *among_params, limit, offset])
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]


def _sqlite_page(kind, query, languages, private, among_sql, among_params, limit, offset):
    """The newest TOTAL_CAP + 1 matching objects ranked, as on PostgreSQL (decision 0020),
    usually in one statement. FTS5 walks a match's rowids newest first without sorting (the
    rowid is the document's search row, numbered as documents are first indexed: a request's
    follows its creation) and stops once TOTAL_CAP + 1 documents passed the filters; bm25 is
    computed only for those. Their objects are scored (bm25, recency, part) and counted: more
    than TOTAL_CAP is "more than 1,000", fewer with the walk not full is every match. A full
    walk that found fewer objects (a request matching in its text and its notes is two
    documents) is walked again twice as far: enough, as an object has at most two parts."""
    expression = _fts_query(query, languages)
    parts = "" if private else f" AND d.part = {int(Part.PUBLIC)}"
    recency = (
        "(1.0 + 30.0 / (30.0 + MAX(0, COALESCE(julianday('now') - julianday(w.\"when\"), 1e9))))"
    )
    weight = f"(CASE WHEN w.part = {int(Part.PRIVATE)} THEN {PRIVATE_WEIGHT} ELSE 1.0 END)"
    first = TOTAL_CAP + 1
    for walk in (first, 2 * first):
        # Only constants of this module and the queryset's own SQL are interpolated.
        page_sql = (
            "WITH w AS MATERIALIZED (SELECT search_fts.rowid AS id, "  # noqa: S608
            "-bm25(search_fts, 10.0, 1.0, 5.0) AS b, d.object_id AS object_id, d.part AS part, "
            'd."when" AS "when" FROM search_fts '
            "CROSS JOIN search_searchdocument d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH %s AND d.kind = %s{parts}{among_sql} "
            f"ORDER BY search_fts.rowid DESC LIMIT {walk}), "
            "newest AS MATERIALIZED (SELECT object_id FROM w GROUP BY object_id "
            f"ORDER BY MAX(id) DESC LIMIT {first}) "
            f"SELECT w.object_id, MAX(w.b * {recency} * {weight}) AS best, "
            "(SELECT COUNT(*) FROM newest), (SELECT COUNT(*) FROM w) FROM w "
            "WHERE w.object_id IN (SELECT object_id FROM newest) "
            "GROUP BY w.object_id ORDER BY best DESC, w.object_id DESC LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(page_sql, [expression, kind, *among_params, limit, offset])
            rows = cursor.fetchall()
        if rows:
            found, walked = rows[0][2], rows[0][3]
            if walked < walk or found >= first:
                break  # every match walked, or the newest TOTAL_CAP + 1 objects found
        elif not offset:
            break  # nothing matches
        # A page past the end, or a full walk with too few objects: walked again.
    return [(row[0], row[1], row[2]) for row in rows]


def _hits(kind, page, query, languages, private) -> list[Hit]:
    ids = [row[0] for row in page]
    parts = [Part.PUBLIC, Part.PRIVATE] if private else [Part.PUBLIC]
    documents: dict[tuple[int, int], SearchDocument] = {
        (d.object_id, d.part): d
        for d in SearchDocument.objects.filter(kind=kind, object_id__in=ids, part__in=parts).only(
            "object_id", "part", "title", "body"
        )
    }
    hits = []
    matches = analysis.matcher(query, languages)  # one word cache for the page
    for object_id, score in page:
        public = documents.get((object_id, Part.PUBLIC))
        title = public.title if public else ""
        best = analysis.snippet(public.body if public else "", query, languages, matches=matches)
        from_private = False
        hidden = documents.get((object_id, Part.PRIVATE))
        if hidden is not None:
            other = analysis.snippet(hidden.body, query, languages, matches=matches)
            if other.matched and (
                not best.matched or other.html.count("<mark>") > best.html.count("<mark>")
            ):
                best, from_private = other, True
        hits.append(
            Hit(
                object_id=object_id,
                rank=float(score or 0),
                title_html=analysis.highlight(title, query, languages, matches=matches),
                snippet_html=best.html,
                private=from_private,
                passage=best.passage,
                passage_text=best.text,
            )
        )
    return hits


def index_where(kind: str, objects: QuerySet, *, batch: int) -> int:
    """(Re)index the documents of the objects `objects` selects, in the caller's transaction, in
    batches by ascending key (a person's or an organisation's new name reaches each of their
    documents without holding every id at once). Returns how many were indexed."""
    done = 0
    last = 0
    while True:
        ids = list(objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        done += index(kind, ids)
        last = ids[-1]


def reindex(kind: str, *, batch: int = 500, progress=None) -> int:
    """Rebuild the index of `kind` in batches, each in its own transaction, so the desk keeps
    working meanwhile: a document changed during the run is indexed by its own change. Documents
    whose object is gone are dropped at the end. Returns how many were indexed."""
    source = _source(kind)
    done = 0
    pending: list[int] = []
    with _gin_built_after():
        for object_id in source.all_ids():
            pending.append(object_id)
            if len(pending) >= batch:
                done += _reindex_batch(kind, pending)
                pending = []
                if progress:
                    progress(done)
        if pending:
            done += _reindex_batch(kind, pending)
            if progress:
                progress(done)
    return done


GIN_INDEX = "search_doc_tsv"  # made by the search app's first migration


@contextlib.contextmanager
def _gin_built_after():
    """PostgreSQL, an empty index (a new installation, a generated desk): the GIN index is
    dropped for the load and built once after it, several times faster than growing it row by
    row (searches meanwhile find nothing anyway). Every rebuild ends by making sure it exists,
    so a run stopped half-way leaves it missing only until the next, and by analysing the table."""
    if connection.vendor != "postgresql" or transaction.get_connection().in_atomic_block:
        yield
        return
    empty = not SearchDocument.objects.exists()
    if empty:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON search_searchdocument USING gin (tsv)"
            )
            # Fresh statistics, or the planner may not know that a common word is common.
            cursor.execute("ANALYZE search_searchdocument")


def _reindex_batch(kind: str, ids: list[int]) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql" and hasattr(_source(kind), "bulk_sql"):
            return _bulk_index(kind, ids)
        return index(kind, ids)


# Python's str.strip() whitespace (a document has private text when anything else is left), as
# a bracket expression of PostgreSQL's regular expressions.
_SPACES = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x10000)) if c.isspace())
_NOT_ONLY_SPACE = f"[^{_SPACES}]"

_UPSERT = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in _UPDATED)


def _bulk_index(kind: str, ids: list[int]) -> int:
    """`index` for a batch with the text joined by the database (PostgreSQL, a source with
    `bulk_sql`): Python reads only each document's language and exact tokens, one statement
    writes every part — the rows `index` would write, without the text passing through Python."""
    source = _source(kind)
    heads = list(source.bulk_heads(ids))  # type: ignore[attr-defined]
    if not heads:
        return 0
    bulk: BulkSQL = source.bulk_sql()  # type: ignore[attr-defined]
    languages = [_language(d) for d in heads]
    exacts = [_exact(d, analysis.compounds(d.title)) for d in heads]
    # Parts that may have emptied (`index`'s DELETE): only for sources whose private text can.
    stale = (
        ""
        if getattr(source, "private_only_grows", False)
        else (
            ", stale AS (DELETE FROM search_searchdocument s USING docs d "  # noqa: S608
            "WHERE s.kind = %s "
            f"AND s.object_id = d.id AND s.part = {int(Part.PRIVATE)} "
            "AND d.private !~ %s RETURNING 1)"
        )
    )
    stale_params = [] if not stale else [kind, _NOT_ONLY_SPACE]
    columns = ", ".join(f'"{c}"' for c in ["kind", "object_id", "part", *_UPDATED])
    # Only constants of this module and the source's own SQL are interpolated.
    sql = (
        "WITH batch AS (SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[]) "  # noqa: S608
        f"AS b(id, language, exact)), "
        f'docs(id, title, "when", body, private) AS MATERIALIZED ({bulk.select}){stale} '
        f"INSERT INTO search_searchdocument ({columns}) "
        f"SELECT %s, d.id, p.part, b.language, "
        f"CASE p.part WHEN {int(Part.PUBLIC)} THEN d.title ELSE '' END, "
        f"CASE p.part WHEN {int(Part.PUBLIC)} THEN d.body ELSE d.private END, "
        f"CASE p.part WHEN {int(Part.PUBLIC)} THEN b.exact ELSE '' END, "
        "d.\"when\", '', '' "
        "FROM docs d JOIN batch b ON b.id = d.id "
        f"CROSS JOIN (VALUES ({int(Part.PUBLIC)}), ({int(Part.PRIVATE)})) AS p(part) "
        f"WHERE p.part = {int(Part.PUBLIC)} OR d.private ~ %s "
        f"ON CONFLICT (kind, object_id, part) DO UPDATE SET {_UPSERT}"
    )
    params = [
        [d.object_id for d in heads],
        languages,
        exacts,
        *bulk.params,
        *stale_params,
        kind,
        _NOT_ONLY_SPACE,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(heads)


def prune(kind: str) -> int:
    """Drop index rows whose object the source no longer returns. Returns how many."""
    source = _source(kind)
    known = set(source.all_ids())
    stale = [
        object_id
        for object_id in SearchDocument.objects.filter(kind=kind)
        .values_list("object_id", flat=True)
        .distinct()
        .iterator(chunk_size=5000)
        if object_id not in known
    ]
    for start in range(0, len(stale), 500):
        remove(kind, stale[start : start + 500])
    return len(stale)


def gin_size_bytes() -> int | None:
    """PostgreSQL: the GIN index's part of `size_bytes` (None elsewhere, or while it is missing)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(to_regclass(%s))", [GIN_INDEX])
        value = cursor.fetchone()[0]
        return int(value) if value is not None else None


def size_bytes() -> int | None:
    """The index's size on disk (table, full-text structures and indexes), if measurable."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size('search_searchdocument')")
            return int(cursor.fetchone()[0])
        try:
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE %s", ["search_%"])
            value = cursor.fetchone()[0]
            return int(value) if value is not None else None
        except DatabaseError:
            return None
