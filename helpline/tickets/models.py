"""Requests (tickets), their thread, attachments, statuses, priorities, topics and tags."""

import base64
import secrets
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department, Organisation, SupportLine
from helpline.core import clock
from helpline.core.models import TimestampedModel


class TicketClass(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    SERVICE_REQUEST = "service_request", _("Service request")
    INFORMATION_REQUEST = "information_request", _("Information request")
    DOCUMENTATION_REQUEST = "documentation_request", _("Documentation request")
    CHANGE_REQUEST = "change_request", _("Change request")


class StatusCategory(models.TextChoices):
    """The fixed lifecycle every configurable status maps onto."""

    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending on requester")
    ON_HOLD = "on_hold", _("On hold (third party)")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_CATEGORIES = (
    StatusCategory.NEW,
    StatusCategory.OPEN,
    StatusCategory.PENDING,
    StatusCategory.ON_HOLD,
)
WAITING_CATEGORIES = (StatusCategory.PENDING, StatusCategory.ON_HOLD)
DONE_CATEGORIES = (StatusCategory.RESOLVED, StatusCategory.CLOSED)

# What a requester can tell apart: "new" and "open" look the same from outside. A status change
# is visible to the requester (and moves the request's last public activity) when the stage
# changes; the portal names each stage.
REQUESTER_STAGE: dict[str, str] = {
    StatusCategory.NEW: "open",
    StatusCategory.OPEN: "open",
    StatusCategory.PENDING: "pending",
    StatusCategory.ON_HOLD: "progress",
    StatusCategory.RESOLVED: "resolved",
    StatusCategory.CLOSED: "closed",
}


def requester_stage(category: str | None) -> str | None:
    return REQUESTER_STAGE.get(category) if category else None


class Level(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WIDGET = "widget", _("Widget")
    API = "api", _("API")
    STAFF = "staff", pgettext_lazy("channel: entered by an agent", "Staff")


class Status(TimestampedModel):
    name = models.CharField(_("name"), max_length=80, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=StatusCategory.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_default = models.BooleanField(
        _("default for its category"),
        default=False,
        help_text=_("Used when the desk moves a request into this category by itself."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("status")
        verbose_name_plural = _("statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=Q(is_default=True), name="status_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the reader's language: the default statuses' names are catalogue entries."""
        return gettext(self.name) if self.name else ""


class PriorityRule(models.Model):
    """One cell of the impact × urgency matrix."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique")
        ]
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority rules")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Topic(TimestampedModel):
    """What a requester picks in the portal; each topic routes to a department."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=250, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="topics"
    )
    default_class = models.CharField(
        _("default class"),
        max_length=30,
        choices=TicketClass.choices,
        default=TicketClass.SERVICE_REQUEST,
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("topic")

    def __str__(self) -> str:
        return self.name


ACTIVE = Q(deleted_at__isnull=True)


def reply_token_new() -> str:
    """120 random bits, lower-case base32: survives mail systems that fold the local part's
    case and fits in a plus-address and a Message-ID."""
    return base64.b32encode(secrets.token_bytes(15)).decode().lower()


class Ticket(TimestampedModel):
    subject = models.CharField(_("subject"), max_length=250)
    ticket_class = models.CharField(
        _("class"), max_length=30, choices=TicketClass.choices, default=TicketClass.INCIDENT
    )
    status = models.ForeignKey(Status, verbose_name=_("status"), on_delete=models.PROTECT)
    # Copied from status so the board filters on one indexed column without a join.
    status_category = models.CharField(max_length=20, choices=StatusCategory.choices)
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=Level.choices, default=Level.MEDIUM
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Level.choices, default=Level.MEDIUM
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    priority_overridden = models.BooleanField(default=False)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    line = models.PositiveSmallIntegerField(
        _("support line"), choices=SupportLine.choices, default=SupportLine.FIRST
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), null=True, blank=True, on_delete=models.SET_NULL
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets"
    )
    links = models.ManyToManyField("self", blank=True, symmetrical=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # The latest resolution (cleared by a reopen; auto-close counts from it) and the first one,
    # which nothing clears: reports and SLAs measure the time to the first solution.
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    first_resolved_at = models.DateTimeField(_("first resolved"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), default=clock.now)
    # Moved only by what the requester can see: public replies and status changes they see.
    last_public_activity_at = models.DateTimeField(_("last update"), default=clock.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Optimistic locking: forms carry the version they were rendered from.
    version = models.PositiveIntegerField(default=1)
    # Carried in outgoing mail (Message-ID, Reply-To plus-address): a reply carrying it finds
    # this ticket. Unguessable, unlike the number in the subject.
    reply_token = models.CharField(max_length=32, unique=True, default=reply_token_new)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        indexes = [
            # Each board view filters on one of these leading columns and sorts by activity;
            # the id closes the keyset so pagination is stable.
            models.Index(
                fields=["status_category", "-last_activity_at", "-id"],
                condition=ACTIVE,
                name="ticket_cat_activity",
            ),
            models.Index(
                fields=["department", "status_category", "-last_activity_at", "-id"],
                condition=ACTIVE,
                name="ticket_dept_cat_activity",
            ),
            models.Index(
                fields=["assignee", "status_category", "-last_activity_at", "-id"],
                condition=ACTIVE,
                name="ticket_assignee_cat_activity",
            ),
            models.Index(
                fields=["-last_activity_at", "-id"], condition=ACTIVE, name="ticket_activity"
            ),
            models.Index(
                fields=["status_category", "-priority", "-last_activity_at", "-id"],
                condition=ACTIVE,
                name="ticket_cat_priority",
            ),
            # Sorting by priority across several status categories (the board's open views,
            # "all") cannot use ticket_cat_priority in order; this one can.
            models.Index(
                fields=["-priority", "-last_activity_at", "-id"],
                condition=ACTIVE,
                name="ticket_priority",
            ),
            models.Index(
                fields=["-deleted_at", "-id"],
                condition=Q(deleted_at__isnull=False),
                name="ticket_trash",
            ),
            # The portal's lists, newest public activity first.
            models.Index(
                fields=["requester", "-last_public_activity_at", "-id"], name="ticket_requester"
            ),
            models.Index(
                fields=["organisation", "-last_public_activity_at", "-id"],
                name="ticket_organisation",
            ),
            # "Organisations of the requests I can open" (board filter): one probe per
            # organisation and department, read from the index alone.
            models.Index(fields=["organisation", "department"], name="ticket_org_department"),
            # Activity statistics: the department of each request worked on in a period, read
            # from the index alone (a probe per request; the table's rows are far wider).
            models.Index(fields=["id", "department"], name="ticket_department_of"),
            # Activity statistics: requests first answered in a period, with what the medians
            # need (PostgreSQL answers from the index alone).
            models.Index(
                fields=["first_response_at"],
                include=["created_at", "assignee", "department"],
                condition=Q(first_response_at__isnull=False),
                name="ticket_first_response",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status_category in OPEN_CATEGORIES

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class EntryKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    EVENT = "event", _("Event")


# The thread entries activity statistics count (`helpline.timelog.stats`), each read through its
# own partial index below: what staff wrote, resolutions, changes of the responsible person, and
# reopenings (a request leaving a done status for an open one).
ENTRY_WRITTEN = Q(kind__in=(EntryKind.REPLY, EntryKind.NOTE))
ENTRY_RESOLUTION = Q(
    kind=EntryKind.EVENT, field="status", data__new__category=StatusCategory.RESOLVED
)
ENTRY_ASSIGNMENT = Q(kind=EntryKind.EVENT, field="assignee")
ENTRY_REOPENING = Q(
    kind=EntryKind.EVENT,
    field="status",
    data__old__category__in=list(DONE_CATEGORIES),
    data__new__category__in=list(OPEN_CATEGORIES),
)


class Entry(models.Model):
    """One item of a ticket's thread; events carry the history of field changes.

    An event's `field` names what changed and `data` holds the change as data, never as display
    text: `{"old": value, "new": value}` with ids for statuses (and their category), departments,
    people and tickets, codes and numbers for choices, lists for tags, booleans for the trash
    (`helpline.tickets.history` describes each shape and renders the sentence at display time).
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    body = models.TextField(blank=True)
    field = models.CharField(max_length=30, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("thread entry")
        verbose_name_plural = _("thread entries")
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="entry_thread"),
            # Activity statistics read a period's entries across all requests. SQLite reads them
            # through this one (it cannot use the partial indexes below for a query whose
            # values are bound parameters).
            models.Index(fields=["created_at"], name="entry_created"),
            # PostgreSQL reads a period's counted entries from these, without visiting the table
            # (index-only: the columns the statistics need are in the index); the last one gives
            # the reopenings since the period began (rare: a tiny index).
            models.Index(
                fields=["created_at"],
                include=["ticket", "author", "kind"],
                condition=ENTRY_WRITTEN,
                name="entry_written",
            ),
            models.Index(
                fields=["created_at"],
                include=["ticket", "author"],
                condition=ENTRY_RESOLUTION,
                name="entry_resolution",
            ),
            models.Index(
                fields=["created_at"], condition=ENTRY_ASSIGNMENT, name="entry_assignment"
            ),
            models.Index(
                fields=["created_at"],
                include=["ticket"],
                condition=ENTRY_REOPENING,
                name="entry_reopening",
            ),
        ]

    @property
    def is_public(self) -> bool:
        return self.kind == EntryKind.REPLY


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The uploaded name never becomes part of the path: it could carry "../" or clash.
    suffix = PurePath(filename).suffix.lower()[:10]
    if not suffix[1:].isalnum():
        suffix = ""
    now = clock.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    # Of the stored content: finds duplicates (the same file mailed twice) and proves integrity.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
