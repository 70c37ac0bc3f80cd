"""Finding articles: the one function the portal, the deflection panel and the ticket page call.

When the search engine (`helpline.search.engine`) is installed, articles are a registered
`Source` and `article_search` asks the engine; the index follows every publish, edit and archive
in the same transaction (`article_index`). Without the engine a plain `icontains` query over
title, summary, tags and text stands in, with the same result shape.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Article, ArticleStatus
from .rendering import plain_text

try:  # the engine arrives with the search-engine branch
    from helpline.search import engine
except ImportError:  # pragma: no cover - depends on which branches are merged
    engine = None  # type: ignore[assignment]

KIND = "article"
MAX_QUERY = 200


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    title_html: SafeString
    snippet_html: SafeString


class ArticleSource:
    kind = KIND

    def documents(self, ids: Iterable[int]):
        from helpline.search.engine import Document

        articles = Article.objects.filter(pk__in=list(ids), status=ArticleStatus.PUBLISHED)
        for article in articles:
            yield Document(
                object_id=article.pk,
                language=article.language,
                title=article.title,
                body=f"{article.summary}\n{plain_text(article.body)}",
                exact=" ".join(article.tag_list),
                when=article.published_at,
            )

    def all_ids(self):
        published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
        yield from published.values_list("pk", flat=True).iterator()


def register() -> None:
    if engine is not None:
        engine.register(ArticleSource())


def article_index(article: Article) -> None:
    """Bring the index in line with `article`, in the caller's transaction: published articles
    are in it, every other status out of it."""
    if engine is None:
        return
    if article.status == ArticleStatus.PUBLISHED:
        engine.index(KIND, [article.pk])
    else:
        engine.remove(KIND, [article.pk])


def _words(query: str) -> list[str]:
    cleaned = query.replace("\x00", " ")[:MAX_QUERY]
    return [w for w in re.findall(r"\w[\w@.\-]*", cleaned) if len(w) > 1][:12]


def _marked(text: str, words: list[str]) -> SafeString:
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def _snippet(article: Article, words: list[str], width: int = 160) -> SafeString:
    text = " ".join(f"{article.summary} {plain_text(article.body)}".split())
    lowered = text.lower()
    at = min((i for i in (lowered.find(w.lower()) for w in words) if i >= 0), default=0)
    start = max(0, at - width // 3)
    piece = text[start : start + width]
    return _marked(
        ("…" if start else "") + piece + ("…" if start + width < len(text) else ""), words
    )


def _simple(query: str, among: QuerySet[Article], limit: int) -> list[ArticleHit]:
    words = [w for w in _words(query) if w != "OR"]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(tags__icontains=word)
            | Q(body__icontains=word)
        )
    found = among.filter(condition).select_related("category").order_by("-published_at")
    if len(words) > 1 and not found.exists():
        # Nothing has every word (a sentence typed into a request form): any longer word.
        anyword = Q(pk__in=[])
        for word in (w for w in words if len(w) >= 4):
            anyword |= Q(title__icontains=word) | Q(tags__icontains=word)
        found = among.filter(anyword).select_related("category").order_by("-published_at")
    return [ArticleHit(a, _marked(a.title, words), _snippet(a, words)) for a in found[:limit]]


def article_search(
    query: str, *, among: QuerySet[Article], limit: int = 8, language: str | None = None
) -> list[ArticleHit]:
    """Articles in `among` (what the viewer may read) matching `query`, best first, with
    highlighted title and snippet; never raises for malformed input."""
    query = (query or "").strip()
    if not query:
        return []
    if engine is None:
        return _simple(query, among, limit)
    results = engine.search(KIND, query[:MAX_QUERY], among=among, language=language, limit=limit)
    ids = [hit.object_id for hit in results.hits]
    articles = among.filter(pk__in=ids).select_related("category").in_bulk()
    return [
        ArticleHit(articles[h.object_id], mark_safe(h.title_html), mark_safe(h.snippet_html))  # noqa: S308 - the engine escapes
        for h in results.hits
        if h.object_id in articles
    ]
