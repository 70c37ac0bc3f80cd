"""The knowledge base: categories, articles with their revisions, and what readers do with them
(votes, comments, favourites, views, deflected requests, requests an article answered)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.core import clock
from helpline.core.models import TimestampedModel


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    ORGANISATIONS = "organisations", _("Requesters of chosen organisations")
    STAFF = "staff", _("Staff only")


class Language(models.TextChoices):
    EN = "en", _("English")
    NB = "nb", _("Norwegian Bokmål")
    RU = "ru", _("Russian")


class Category(TimestampedModel):
    """A node of the category tree; the department says whose staff write and publish in it."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "Staff who manage this department write and publish here; other staff propose. "
            "Empty: only supervisors and administrators publish."
        ),
    )
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Article(TimestampedModel):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text (Markdown)"))
    tags = models.CharField(_("tags"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    visibility = models.CharField(
        _("who may read it"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    organisations = models.ManyToManyField(
        "accounts.Organisation",
        verbose_name=_("organisations"),
        blank=True,
        related_name="+",
        help_text=_("Whose requesters may read it when it is for chosen organisations."),
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.EN
    )
    # Translations of one article point at the same original (the original points at nothing).
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["status", "visibility", "-published_at"], name="kb_article_pub"),
            models.Index(fields=["category", "status"], name="kb_article_category"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def group_id(self) -> int:
        return self.translation_of_id or self.pk

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.replace(";", ",").split(",") if t.strip()]


class ArticleRevision(models.Model):
    """What an article said after one edit; restoring one writes a new revision."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    tags = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number")
        ]


class ArticleVote(models.Model):
    """ "Did this help?": one answer per person (or per browser session when anonymous)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=models.Q(user__isnull=False),
                name="kb_vote_user",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=models.Q(user__isnull=True),
                name="kb_vote_session",
            ),
        ]


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ArticleComment(models.Model):
    """A reader's comment; shown only once staff approve it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"), max_length=2000)
    status = models.CharField(
        max_length=20, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="kb_comment_status")]


class Favourite(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="kb_favourite_once")
        ]


class ArticleViewDay(models.Model):
    """Page views of an article per day: "Popular" sums the last 30 days."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="view_days")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "day"], name="kb_view_day")]


class Deflection(models.Model):
    """A requester writing a new request opened a suggested article. `ticket` is filled when the
    same session then submitted the request: the rows without one are requests deflected."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    query = models.CharField(max_length=200, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)


class TicketArticle(models.Model):
    """An article an agent used to answer a request."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="kb_articles"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="answered")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "article"], name="kb_ticket_article_once")
        ]


def article_file_path(instance: "ArticleFile", filename: str) -> str:
    # The uploaded name never becomes part of the path; kept apart from requests' attachments
    # (`helpline check-files` compares that tree with the requests' rows).
    suffix = PurePath(filename).suffix.lower()[:10]
    if not suffix[1:].isalnum():
        suffix = ""
    return f"kb/{clock.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


INLINE_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class ArticleFile(models.Model):
    """A file or image of an article, checked by the same rules as requests' attachments."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=article_file_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    @property
    def is_image(self) -> bool:
        return self.content_type in INLINE_IMAGES
