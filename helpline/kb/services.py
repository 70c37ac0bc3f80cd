"""Every change to the knowledge base: categories, articles and their revisions, review and
publishing, votes, comments and their moderation, favourites, views, deflection and the requests
an article answered. Each service checks its actor (kb.access) and writes the event log for
staff changes; readers' votes, favourites and views are their own rows."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from helpline.audit.changes import snapshot
from helpline.audit.services import event_record, saved_with_event
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.tickets.access import Action, staff_can
from helpline.tickets.services.attachments import attachments_checked

from . import access
from .models import (
    Article,
    ArticleComment,
    ArticleFile,
    ArticleRevision,
    ArticleStatus,
    ArticleViewDay,
    ArticleVote,
    Category,
    CommentStatus,
    Deflection,
    Favourite,
    TicketArticle,
    Visibility,
)
from .search import article_index

CONTENT = ("title", "summary", "body", "tags")
ARTICLE_FIELDS = (*CONTENT, "category_id", "visibility", "language", "translation_of_id")
CATEGORY_FIELDS = ("name", "parent_id", "department_id", "description", "order", "is_active")


def _refuse(message: str) -> PermissionDenied:
    return PermissionDenied(message)


# --- categories -------------------------------------------------------------------------------


@transaction.atomic
def category_save(*, actor, category: Category, **fields) -> Category:
    """Create or change a category. Only who may publish in its department (before and after
    the change) may; categories without a department are the supervisors' and administrators'."""
    if category.pk is not None and not access.may_publish(actor, category):
        raise _refuse(_("You may not change this category."))
    before = snapshot(category, CATEGORY_FIELDS)
    for name, value in fields.items():
        setattr(category, name, value)
    if not access.may_publish(actor, category):
        raise _refuse(_("You may only file categories under departments you manage."))
    parent = category.parent
    while parent is not None:
        if category.pk is not None and parent.pk == category.pk:
            raise ValidationFailed(_("A category cannot sit inside itself."), field="parent")
        parent = parent.parent
    return saved_with_event(
        category, actor=actor, kind="kb.category", before=before, fields=CATEGORY_FIELDS
    )


# --- articles ---------------------------------------------------------------------------------


def _check_fields(actor, article: Article, organisations) -> None:
    if article.translation_of_id and article.translation_of_id == article.pk:
        raise ValidationFailed(_("An article is not its own translation."), field="translation_of")
    if article.visibility == Visibility.ORGANISATIONS and not organisations:
        raise ValidationFailed(
            _("Choose the organisations whose requesters may read it."), field="organisations"
        )


def _revision_add(article: Article, actor, note: str = "") -> ArticleRevision:
    article.revision += 1
    Article.objects.filter(pk=article.pk).update(revision=article.revision)
    return ArticleRevision.objects.create(
        article=article,
        number=article.revision,
        title=article.title,
        summary=article.summary,
        body=article.body,
        tags=article.tags,
        author=actor if actor is not None and actor.is_authenticated else None,
        note=note[:200],
    )


@transaction.atomic
def article_create(
    *, actor, category: Category, organisations=(), publish: bool = False, **fields
) -> Article:
    """A new article as a draft (any kb staff), or published at once by an editor of the
    category. Writes revision 1, the event and, when published, the search index."""
    if not access.kb_staff(actor):
        raise _refuse(_("Only staff write articles."))
    if publish and not access.may_publish(actor, category):
        raise _refuse(_("You may propose articles here, not publish them."))
    article = Article(category=category, author=actor, **fields)
    _check_fields(actor, article, organisations)
    if publish:
        article.status = ArticleStatus.PUBLISHED
        article.published_at = clock.now()
    article.save()
    article.organisations.set(organisations)
    _revision_add(article, actor, _("Created"))
    event_record(
        actor=actor,
        action="kb.article.created",
        obj=article,
        changes={"status": [None, article.status], "category": [None, category.pk]},
    )
    article_index(article)
    return article


@transaction.atomic
def article_update(
    *, actor, article: Article, organisations=None, note: str = "", **fields
) -> Article:
    """Change an article: editors any of their categories', others their own proposals. A
    change of text writes a revision; moving it needs the right in the new category too."""
    if not access.may_edit(actor, article):
        raise _refuse(_("You may not change this article."))
    before = snapshot(article, ARTICLE_FIELDS)
    old_category = article.category
    for name, value in fields.items():
        setattr(article, name, value)
    if article.category_id != old_category.pk and not (
        access.may_publish(actor, article.category)
        or article.status in (ArticleStatus.DRAFT, ArticleStatus.REVIEW)
    ):
        raise _refuse(_("You may not move a published article into this category."))
    organisations = (
        list(organisations) if organisations is not None else list(article.organisations.all())
    )
    _check_fields(actor, article, organisations)
    article.save()
    article.organisations.set(organisations)
    after = snapshot(article, ARTICLE_FIELDS)
    changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if any(k in changes for k in CONTENT):
        _revision_add(article, actor, note)
    if changes:
        # The text itself lives in the revisions; the log says which fields changed.
        logged = {
            k: (v if k not in ("body", "summary") else ["…", "…"]) for k, v in changes.items()
        }
        event_record(actor=actor, action="kb.article.changed", obj=article, changes=logged)
    article_index(article)
    return article


# Which status changes exist, and whether they need the right to publish.
_TRANSITIONS: dict[tuple[str, str], bool] = {
    (ArticleStatus.DRAFT, ArticleStatus.REVIEW): False,
    (ArticleStatus.REVIEW, ArticleStatus.DRAFT): False,  # the author takes it back, or review
    (ArticleStatus.DRAFT, ArticleStatus.PUBLISHED): True,
    (ArticleStatus.REVIEW, ArticleStatus.PUBLISHED): True,
    (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED): True,
    (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT): True,
    (ArticleStatus.ARCHIVED, ArticleStatus.DRAFT): True,
    (ArticleStatus.ARCHIVED, ArticleStatus.PUBLISHED): True,
}


@transaction.atomic
def article_transition(*, actor, article: Article, to: str) -> Article:
    """Move an article through draft → in review → published → archived. Proposing (to review)
    and taking back is for whoever may edit it; publishing, archiving and sending back a
    published or archived article need the right to publish in its category."""
    article = Article.objects.select_for_update().select_related("category").get(pk=article.pk)
    key = (article.status, to)
    if key not in _TRANSITIONS:
        raise ValidationFailed(_("An article cannot go from this status to that one."))
    needs_publish = _TRANSITIONS[key]
    allowed = (
        access.may_publish(actor, article.category)
        if needs_publish
        else access.may_edit(actor, article)
    )
    if not allowed:
        raise _refuse(_("You may not do this to this article."))
    previous = article.status
    article.status = to
    if to == ArticleStatus.PUBLISHED:
        article.published_at = article.published_at or clock.now()
    article.save(update_fields=["status", "published_at", "updated_at"])
    event_record(
        actor=actor, action="kb.article.status", obj=article, changes={"status": [previous, to]}
    )
    article_index(article)
    return article


@transaction.atomic
def article_restore(*, actor, article: Article, revision: ArticleRevision) -> Article:
    """Make an older revision's text the current one (as a new revision)."""
    if revision.article_id != article.pk:
        raise ValidationFailed(_("That revision belongs to another article."))
    if not access.may_edit(actor, article):
        raise _refuse(_("You may not change this article."))
    for name in CONTENT:
        setattr(article, name, getattr(revision, name))
    article.save()
    _revision_add(article, actor, _("Restored revision %(number)s") % {"number": revision.number})
    event_record(
        actor=actor,
        action="kb.article.restored",
        obj=article,
        changes={"revision": [None, revision.number]},
    )
    article_index(article)
    return article


@transaction.atomic
def article_files_add(*, actor, article: Article, files) -> list[ArticleFile]:
    """Attach files and images to an article (checked by the installation's file rules)."""
    if not access.may_edit(actor, article):
        raise _refuse(_("You may not change this article."))
    added = []
    for checked in attachments_checked(files):
        item = ArticleFile(
            article=article,
            filename=checked.filename,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        item.file.save(checked.filename, checked.upload, save=False)
        item.save()
        added.append(item)
    if added:
        event_record(
            actor=actor,
            action="kb.article.files_added",
            obj=article,
            changes={"files": [None, [f.filename for f in added]]},
        )
    return added


@transaction.atomic
def article_file_remove(*, actor, item: ArticleFile) -> None:
    if not access.may_edit(actor, item.article):
        raise _refuse(_("You may not change this article."))
    name, stored = item.filename, item.file.name
    storage = item.file.storage
    item.delete()
    event_record(
        actor=actor,
        action="kb.article.file_removed",
        obj=item.article,
        changes={"files": [name, None]},
    )
    # The stored file goes once the row's removal is committed.
    transaction.on_commit(lambda: storage.delete(stored))


# --- readers ----------------------------------------------------------------------------------


def _require_readable(actor, article: Article) -> None:
    if not access.may_read(actor, article) or article.status != ArticleStatus.PUBLISHED:
        raise _refuse(_("This article is not available."))


@transaction.atomic
def article_vote(
    *, actor, session_key: str, article: Article, helpful: bool, comment: str = ""
) -> ArticleVote:
    """Record "Did this help?" once per person (or browser session); a second answer replaces
    the first. An optional comment waits for moderation."""
    _require_readable(actor, article)
    signed_in = actor is not None and actor.is_authenticated
    if not signed_in and not session_key:
        raise ValidationFailed(_("Your browser did not keep a session; try again."))
    lookup = {"user": actor} if signed_in else {"user": None, "session_key": session_key}
    vote, _created = ArticleVote.objects.update_or_create(
        article=article,
        **lookup,
        defaults={"helpful": helpful, "created_at": clock.now()},
    )
    if comment.strip():
        comment_add(actor=actor, article=article, body=comment)
    return vote


def comment_add(*, actor, article: Article, body: str) -> ArticleComment:
    _require_readable(actor, article)
    body = body.strip()
    if not body:
        raise ValidationFailed(_("Write a comment first."), field="comment")
    signed_in = actor is not None and actor.is_authenticated
    return ArticleComment.objects.create(
        article=article, author=actor if signed_in else None, body=body[:2000]
    )


def comments_moderatable(actor):
    condition = access.moderated_articles_filter(actor)
    if not access.kb_staff(actor):
        return ArticleComment.objects.none()
    qs = ArticleComment.objects.all()
    return qs if condition is None else qs.filter(condition)


@transaction.atomic
def comments_moderate(*, actor, ids, approve: bool) -> int:
    """Approve or reject (spam, abuse) pending comments in bulk; only those on articles of the
    categories `actor` publishes in are touched. Returns how many changed."""
    if not access.kb_staff(actor):
        raise _refuse(_("Only staff moderate comments."))
    pending = (
        comments_moderatable(actor)
        .filter(pk__in=list(ids), status=CommentStatus.PENDING)
        .select_for_update()
        .order_by("pk")
    )
    status = CommentStatus.APPROVED if approve else CommentStatus.REJECTED
    now = clock.now()
    done = 0
    for comment in pending:
        comment.status, comment.moderated_by, comment.moderated_at = status, actor, now
        comment.save(update_fields=["status", "moderated_by", "moderated_at"])
        event_record(
            actor=actor,
            action="kb.comment.approved" if approve else "kb.comment.rejected",
            obj=comment,
            object_repr=comment.body[:80],
            changes={"status": [CommentStatus.PENDING, status], "article": comment.article_id},
        )
        done += 1
    return done


@transaction.atomic
def favourite_toggle(*, actor, article: Article) -> bool:
    """Save an article to "my saved answers", or take it out again; True when now saved."""
    if actor is None or not actor.is_authenticated:
        raise _refuse(_("Sign in to save answers."))
    _require_readable(actor, article)
    deleted, _rows = Favourite.objects.filter(user=actor, article=article).delete()
    if deleted:
        return False
    Favourite.objects.create(user=actor, article=article)
    return True


def article_viewed(*, article: Article) -> None:
    """Count a page view for today (one row per article and day, raised in place)."""
    day = clock.now().date()
    if ArticleViewDay.objects.filter(article=article, day=day).update(views=F("views") + 1):
        return
    try:
        with transaction.atomic():
            ArticleViewDay.objects.create(article=article, day=day, views=1)
    except IntegrityError:  # another request created today's row first
        ArticleViewDay.objects.filter(article=article, day=day).update(views=F("views") + 1)


def deflection_open(*, actor, session_key: str, article: Article, query: str = "") -> None:
    """A requester writing a request opened a suggested article."""
    _require_readable(actor, article)
    signed_in = actor is not None and actor.is_authenticated
    Deflection.objects.create(
        article=article,
        user=actor if signed_in else None,
        session_key=session_key or "",
        query=query[:200],
    )


def deflection_submitted(*, session_key: str, ticket) -> int:
    """The session submitted its request after all: its suggestions opened in the last two hours
    did not deflect it."""
    if not session_key:
        return 0
    since = clock.now() - datetime.timedelta(hours=2)
    qs = Deflection.objects.filter(
        session_key=session_key, ticket__isnull=True, created_at__gte=since
    )
    return qs.update(ticket=ticket)


# --- agents -----------------------------------------------------------------------------------


@transaction.atomic
def ticket_article_record(*, actor, ticket, article: Article) -> TicketArticle:
    """Record that `article` answered `ticket` (an agent inserted it into a reply)."""
    if not staff_can(actor, Action.REPLY, ticket):
        raise _refuse(_("You may not answer this request."))
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationFailed(_("Only published articles answer requests."))
    link, created = TicketArticle.objects.get_or_create(
        ticket=ticket, article=article, defaults={"actor": actor}
    )
    if created:
        event_record(
            actor=actor,
            action="kb.article.answered",
            obj=ticket,
            changes={"article": [None, article.pk]},
        )
    return link


@transaction.atomic
def article_from_entry(*, actor, entry, category: Category, title: str) -> Article:
    """ "Make an article from this answer": a draft with the reply's text."""
    if not staff_can(actor, Action.VIEW, entry.ticket):
        raise _refuse(_("You may not read this request."))
    return article_create(
        actor=actor,
        category=category,
        title=title[:200] or entry.ticket.subject[:200],
        body=entry.body,
        visibility=Visibility.STAFF,
    )
