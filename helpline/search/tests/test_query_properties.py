"""Whatever is typed into a search box, the engine answers with results or a message: never
an error, on either database (FTS5's and tsquery's syntaxes included)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.search import engine, text
from helpline.search.engine import Document

pytestmark = pytest.mark.django_db

SYNTAX = st.sampled_from(
    [
        '"',
        "'",
        "(",
        ")",
        "*",
        ":",
        "^",
        "-",
        "+",
        "|",
        "&",
        "!",
        "<->",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "\x00",
        "\\",
        ";",
        "--",
        "{",
        "}",
        "@",
        ".",
        "title_stems",
        "exact:",
        " ",
        "ø",
        "ж",
    ]
)
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(SYNTAX, st.text(max_size=8)), max_size=30).map("".join),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERIES)
def test_any_query_gives_results_or_a_message(memo, query):
    if not memo.store:
        memo.put(Document(1, "en", "Paper jam", "The printer AB-12 says NEAR paper jam"))
    for results in (
        engine.search("memo", query),
        engine.search("memo", query, private=True, prefix=False),
    ):
        assert results.hits or results.message
        # The engine's own safety net (a database error caught) must never be what answers.
        assert "could not be read" not in (results.message or ""), query


@given(query=st.text(max_size=2000))
def test_parsing_is_bounded(query):
    parsed = text.parse(query)
    assert len(parsed.groups) + len(parsed.excluded) <= text.MAX_TERMS
