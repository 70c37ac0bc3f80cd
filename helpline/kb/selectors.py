"""Reading the knowledge base: the category tree, the desk's lists, the portal's lists (popular,
newest, related, saved), an article's page data. Querysets come joined for their page."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from helpline.core import clock

from . import access
from .models import (
    Article,
    ArticleComment,
    ArticleStatus,
    ArticleViewDay,
    ArticleVote,
    Category,
    CommentStatus,
    Favourite,
    TicketArticle,
)

POPULAR_DAYS = 30
HELPFUL_WEIGHT = 5  # one "yes, it helped" counts as much as five page views


@dataclass(frozen=True)
class TreeRow:
    category: Category
    depth: int
    count: int = 0


def category_tree(
    *, active_only: bool = True, counts: dict[int, int] | None = None
) -> list[TreeRow]:
    """Every category in tree order with its depth (one query)."""
    qs = Category.objects.select_related("department")
    if active_only:
        qs = qs.filter(is_active=True)
    categories = list(qs)
    children: dict[int | None, list[Category]] = {}
    known = {c.pk for c in categories}
    for c in categories:
        parent = c.parent_id if c.parent_id in known else None
        children.setdefault(parent, []).append(c)
    rows: list[TreeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            rows.append(TreeRow(c, depth, (counts or {}).get(c.pk, 0)))
            walk(c.pk, depth + 1)

    walk(None, 0)
    return rows


def subtree_ids(tree: list[TreeRow], category_id: int) -> set[int]:
    ids, inside, depth = set(), False, 0
    for row in tree:
        if row.category.pk == category_id:
            inside, depth = True, row.depth
            ids.add(row.category.pk)
        elif inside and row.depth > depth:
            ids.add(row.category.pk)
        elif inside:
            break
    return ids


def _answered_count():
    return Coalesce(
        Subquery(
            TicketArticle.objects.filter(article_id=OuterRef("pk"))
            .values("article_id")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def desk_articles(
    user, *, status: str = "", category_ids: set[int] | None = None, q: str = ""
) -> QuerySet[Article]:
    """Articles at the desk (every status) for kb staff, newest change first."""
    if not access.kb_staff(user):
        return Article.objects.none()
    qs = Article.objects.select_related("category", "author").annotate(
        answered_count=_answered_count()
    )
    if status in ArticleStatus.values:
        qs = qs.filter(status=status)
    if category_ids is not None:
        qs = qs.filter(category_id__in=category_ids)
    if q.strip():
        qs = qs.filter(Q(title__icontains=q.strip()) | Q(tags__icontains=q.strip()))
    return qs.order_by("-updated_at", "-id")


def review_queue(user) -> QuerySet[Article]:
    """Proposals waiting for someone who may publish them: those of `user`'s categories."""
    departments = access.publish_departments(user)
    qs = desk_articles(user, status=ArticleStatus.REVIEW)
    return qs if departments is None else qs.filter(category__department_id__in=departments)


def pending_comments(user) -> QuerySet[ArticleComment]:
    from .services import comments_moderatable

    return (
        comments_moderatable(user)
        .filter(status=CommentStatus.PENDING)
        .select_related("article", "author")
        .order_by("created_at", "id")
    )


def pending_comment_count(user) -> int:
    from .services import comments_moderatable

    return comments_moderatable(user).filter(status=CommentStatus.PENDING).count()


# --- portal -----------------------------------------------------------------------------------


def portal_articles(user) -> QuerySet[Article]:
    return access.readable_articles(user).select_related("category")


def newest(user, limit: int = 5) -> list[Article]:
    return list(portal_articles(user).order_by("-published_at", "-id")[:limit])


def popular(user, limit: int = 5, *, days: int = POPULAR_DAYS) -> list[Article]:
    """Most read and most helpful over the last `days`: views summed per day plus helpful votes
    (weighted), both counted in SQL subqueries."""
    since = clock.now() - datetime.timedelta(days=days)
    views = Subquery(
        ArticleViewDay.objects.filter(article_id=OuterRef("pk"), day__gte=since.date())
        .values("article_id")
        .annotate(n=Sum("views"))
        .values("n")[:1],
        output_field=IntegerField(),
    )
    helpful = Subquery(
        ArticleVote.objects.filter(article_id=OuterRef("pk"), helpful=True, created_at__gte=since)
        .values("article_id")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )
    return list(
        portal_articles(user)
        .annotate(views_30=Coalesce(views, Value(0)), helpful_30=Coalesce(helpful, Value(0)))
        .alias(score=Coalesce(views, Value(0)) + HELPFUL_WEIGHT * Coalesce(helpful, Value(0)))
        .filter(score__gt=0)
        .order_by("-score", "-published_at", "-id")[:limit]
    )


def related(user, article: Article, limit: int = 5) -> list[Article]:
    """Other readable articles of the same category, then those sharing a tag."""
    tags = article.tag_list[:5]
    condition = Q(category_id=article.category_id)
    for tag in tags:
        condition |= Q(tags__icontains=tag)
    return list(
        portal_articles(user)
        .filter(condition)
        .exclude(pk=article.pk)
        .order_by("-published_at", "-id")[:limit]
    )


def translations(user, article: Article) -> list[Article]:
    group = article.translation_of_id or article.pk
    return list(
        portal_articles(user)
        .filter(Q(pk=group) | Q(translation_of_id=group))
        .exclude(pk=article.pk)
        .order_by("language")
    )


def approved_comments(article: Article) -> list[ArticleComment]:
    return list(article.comments.filter(status=CommentStatus.APPROVED).select_related("author"))


def saved_answers(user) -> list[Favourite]:
    if not user.is_authenticated:
        return []
    return list(
        Favourite.objects.filter(user=user, article__in=access.readable_articles(user))
        .select_related("article", "article__category")
        .order_by("-created_at")
    )


def vote_counts(article: Article) -> dict[str, int]:
    counts = article.votes.aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return {"yes": counts["yes"] or 0, "no": counts["no"] or 0}
