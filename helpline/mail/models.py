"""The outbox: every message Helpline sends, stored with the write that caused it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.core.models import TimestampedModel


class OutboxMessage(TimestampedModel):
    """One outgoing message, serialised as sent (headers, Message-ID and body fixed at queueing,
    so every attempt sends the same bytes), with its SMTP envelope and delivery record."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DISCARDED = "discarded", _("discarded")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    sender = models.TextField()
    recipients = models.JSONField(default=list)
    subject = models.TextField(blank=True, default="")
    # Emptied once sent or discarded: a queued reset link is the only copy worth keeping.
    raw = models.BinaryField()
    attempts = models.PositiveIntegerField(default=0)
    # Due time of the next attempt; while an attempt runs it is pushed forward (a lease), so a
    # worker killed mid-attempt only delays the message.
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    # Letters about a request: shown on its page while unsent or failed.
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    # Automatic letters (Auto-Submitted) count toward the hourly limit per recipient, which
    # `rate_key` (the recipient's address, lower-case) finds.
    automatic = models.BooleanField(default=False)
    rate_key = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(
                fields=["rate_key", "created_at"],
                condition=models.Q(automatic=True),
                name="outbox_automatic",
            ),
            models.Index(
                fields=["ticket", "status"],
                condition=models.Q(ticket__isnull=False),
                name="outbox_ticket",
            ),
        ]
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"


class Notification(TimestampedModel):
    """One announcement from the ticket domain (`helpline.tickets.notices`), recorded in the
    transaction of the change and turned into letters by the worker after commit."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        DONE = "done", _("letters queued")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=30)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="notifications"
    )
    entry = models.ForeignKey(
        "tickets.Entry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # What became of each recipient: [{"to": address, "letter": kind, "outcome": "queued" |
    # "limited" | "invalid address" | …}].
    outcome = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(state="pending"),
                name="notification_pending",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} #{self.ticket_id}"


class LetterKind(models.TextChoices):
    """Every letter the desk writes; each has a template per department and language."""

    RECEIVED = "received", _("To the requester: request received")
    REPLIED = "replied", _("To the requester: an agent replied")
    RESOLVED = "resolved", _("To the requester: request resolved")
    CLOSED = "closed", _("To the requester: request closed")
    STAFF_NEW = "staff_new", _("To staff: new request in the department")
    STAFF_ASSIGNED = "staff_assigned", _("To staff: request assigned to you")
    STAFF_REQUESTER_REPLIED = "staff_requester_replied", _("To staff: the requester answered")
    STAFF_TRANSFERRED = "staff_transferred", _("To staff: request transferred to you")
    STAFF_ESCALATED = "staff_escalated", _("To staff: request escalated to you")


class LetterTemplate(TimestampedModel):
    """An administrator's version of a letter for one language, for all departments (no
    department) or one; without one, the shipped default text is used (`letters_default`)."""

    kind = models.CharField(_("letter"), max_length=30, choices=LetterKind.choices)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="letter_templates",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["kind", "language", "department"]
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "department", "language"],
                condition=models.Q(department__isnull=False),
                name="letter_unique_department",
            ),
            models.UniqueConstraint(
                fields=["kind", "language"],
                condition=models.Q(department__isnull=True),
                name="letter_unique_everywhere",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"
