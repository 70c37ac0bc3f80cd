"""Internal mail between staff: a message, a row per recipient (read, archived), its files."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.core import clock

SUBJECT_MAX = 200


class Message(models.Model):
    """A message from one staff member to people and departments (each member gets a
    `Recipient` row, made when it is sent). A reply names the thread's first message in
    `thread`. Attached to a request (`ticket`), it also shows on that request to its staff —
    never in the portal, never in a letter."""

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="staffmail_sent",
    )
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    body = models.TextField(_("message"))
    thread = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_messages",
    )
    # As addressed (the page shows "to Support"); who got it is in the recipient rows.
    departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="+", verbose_name=_("departments")
    )
    created_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("internal message")
        verbose_name_plural = _("internal messages")
        indexes = [
            models.Index(fields=["sender", "-created_at", "-id"], name="staffmail_sent_idx"),
            models.Index(fields=["ticket", "created_at"], name="staffmail_ticket_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def thread_root_id(self) -> int:
        return self.thread_id or self.pk


class Recipient(models.Model):
    """One person's copy of a message: whether they read it and whether they archived it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staffmail_received"
    )
    # The department it reached them through (none when addressed to them by name).
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()  # the message's, for the inbox's order and index
    read_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # When a letter about it was queued (or found not wanted): the worker's task is idempotent.
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="staffmail_recipient_once")
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="staffmail_box_idx"),
            # The header badge: a person's unread, not archived copies.
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True, archived_at__isnull=True),
                name="staffmail_unread_idx",
            ),
            # The sweep for letters whose task was lost: copies not yet mailed (a handful).
            models.Index(
                fields=["created_at"],
                condition=models.Q(mailed_at__isnull=True),
                name="staffmail_unmailed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.user_id}"


def message_file_path(instance: "MessageFile", filename: str) -> str:
    # The uploaded name never becomes part of the path: it could carry "../" or clash.
    suffix = PurePath(filename).suffix.lower()[:10]
    if not suffix[1:].isalnum():
        suffix = ""
    return f"staffmail/{clock.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class MessageFile(models.Model):
    """A file sent with a message, checked by the same rules as a request's attachments."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=message_file_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.filename
