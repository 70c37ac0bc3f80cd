"""The outbox: every message Helpline sends, stored with the write that caused it."""

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

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"
