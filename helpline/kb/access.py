"""Who may read, write, publish and moderate what in the knowledge base: the one place the desk's
and the portal's pages and the kb services ask.

Readers: anyone (anonymously only when the installation allows it) reads published public
articles; a signed-in requester also reads those written for their organisation, once they have
proved their address (as for shared requests); staff read everything published, external
providers only what is public. Writers: staff
(not external providers) who manage the category's department — or supervisors and
administrators — write and publish there; other staff propose drafts and send them for review.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from helpline.accounts.access import access_for
from helpline.accounts.addresses import primary_address_verified
from helpline.accounts.models import Role

from .models import Article, ArticleStatus, Category, Visibility


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def kb_staff(user) -> bool:
    """Staff who use the knowledge base at the desk (external providers do not)."""
    return _signed_in(user) and user.is_agent_side and user.role != Role.EXTERNAL


def publish_departments(user) -> frozenset[int] | None:
    """Departments in whose categories `user` writes and publishes; None means every category."""
    if not kb_staff(user):
        return frozenset()
    if user.is_supervisor_or_admin:
        return None
    access = access_for(user)
    return frozenset() if access.everything else access.manage


def may_publish(user, category: Category) -> bool:
    departments = publish_departments(user)
    if departments is None:
        return True
    return category.department_id is not None and category.department_id in departments


def publishable_categories(user) -> QuerySet[Category]:
    departments = publish_departments(user)
    qs = Category.objects.filter(is_active=True)
    return qs if departments is None else qs.filter(department_id__in=departments)


def may_edit(user, article: Article) -> bool:
    """Editors change any article of their categories; other staff only their own proposals
    while they are drafts or in review."""
    if may_publish(user, article.category):
        return True
    return (
        kb_staff(user)
        and article.author_id == user.pk
        and article.status in (ArticleStatus.DRAFT, ArticleStatus.REVIEW)
    )


def reader_organisation_id(user) -> int | None:
    """The organisation whose articles a requester may read: their own, active, once their
    address is proved (an address merely typed must not open an organisation's articles)."""
    if not _signed_in(user) or user.is_agent_side or not user.organisation_id:
        return None
    if not primary_address_verified(user):
        return None
    return user.organisation_id


def reader_filter(user) -> Q:
    """The Q limiting published articles to those `user` may read (portal and search)."""
    published = Q(status=ArticleStatus.PUBLISHED, category__is_active=True)
    if kb_staff(user):
        return published
    if _signed_in(user) and user.is_agent_side:
        # External providers are suppliers: what everyone may read, nothing internal.
        return published & Q(visibility=Visibility.PUBLIC)
    organisation_id = reader_organisation_id(user)
    readable = Q(visibility=Visibility.PUBLIC)
    if organisation_id is not None:
        through = Article.organisations.through
        readable |= Q(visibility=Visibility.ORGANISATIONS) & Q(
            Exists(
                through.objects.filter(
                    article_id=OuterRef("pk"),
                    organisation_id=organisation_id,
                    organisation__is_active=True,
                )
            )
        )
    return published & readable


def readable_articles(user) -> QuerySet[Article]:
    return Article.objects.filter(reader_filter(user))


def may_read(user, article: Article) -> bool:
    if kb_staff(user):
        return True
    return readable_articles(user).filter(pk=article.pk).exists()


def moderated_articles_filter(user, prefix: str = "article__") -> Q | None:
    """Comments `user` may moderate: on articles of the categories they publish in."""
    departments = publish_departments(user)
    if departments is None:
        return None
    return Q(**{f"{prefix}category__department_id__in": departments})


def portal_open(user, site_settings) -> bool:
    """Whether the help centre answers `user` at all (anonymous readers only when allowed)."""
    return _signed_in(user) or site_settings.kb_anonymous
