"""Reply templates: texts per language with placeholders, and the actions a macro performs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department, SupportLine, User
from helpline.core.models import TimestampedModel
from helpline.tickets.models import Priority, Status, TicketClass

NAME_MAX = 100
CATEGORY_MAX = 60


class Scope(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    DEPARTMENT = "department", _("Department")
    GLOBAL = "global", _("Everyone")


class ReplyTemplate(TimestampedModel):
    """A named reply text (one per language) an agent inserts into a reply; with any of the
    `set_*`, `add_tags`, `note` or `watch` fields filled in it is a macro, whose actions are
    applied through the tickets' services when the reply is sent (or from the board, in bulk).

    Personal templates belong to `owner`, department ones to `department`, global ones to no
    one; a check constraint keeps the three shapes apart.
    """

    name = models.CharField(_("name"), max_length=NAME_MAX)
    category = models.CharField(_("category"), max_length=CATEGORY_MAX, blank=True)
    scope = models.CharField(_("shared with"), max_length=20, choices=Scope.choices)
    owner = models.ForeignKey(
        User,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reply_templates",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reply_templates",
    )
    # What a macro does, each optional ("keep" when empty).
    set_status = models.ForeignKey(
        Status,
        verbose_name=_("set status"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), null=True, blank=True, choices=Priority.choices
    )
    set_ticket_class = models.CharField(
        _("set class"), max_length=30, blank=True, choices=TicketClass.choices
    )
    set_department = models.ForeignKey(
        Department,
        verbose_name=_("transfer to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assign_to_me = models.BooleanField(_("make whoever applies it responsible"), default=False)
    set_assignee = models.ForeignKey(
        User,
        verbose_name=_("make responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_line = models.PositiveSmallIntegerField(
        _("set line"), null=True, blank=True, choices=SupportLine.choices
    )
    add_tags = models.JSONField(_("add tags"), default=list, blank=True)
    note = models.TextField(_("add an internal note"), blank=True)
    watch = models.BooleanField(_("follow the request"), default=False)

    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["category", "name", "pk"]
        indexes = [
            models.Index(fields=["scope", "department"], name="replytemplate_scope_dept"),
            models.Index(fields=["owner"], name="replytemplate_owner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="personal", owner__isnull=False, department__isnull=True)
                    | Q(scope="department", owner__isnull=True, department__isnull=False)
                    | Q(scope="global", owner__isnull=True, department__isnull=True)
                ),
                name="replytemplate_scope_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_macro(self) -> bool:
        return bool(
            self.set_status_id
            or self.set_priority is not None
            or self.set_ticket_class
            or self.set_department_id
            or self.assign_to_me
            or self.set_assignee_id
            or self.set_line is not None
            or self.add_tags
            or self.note.strip()
            or self.watch
        )


class ReplyText(models.Model):
    """A template's text in one language."""

    template = models.ForeignKey(ReplyTemplate, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    body = models.TextField(_("text"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language"], name="replytext_template_language_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template_id}/{self.language}"
