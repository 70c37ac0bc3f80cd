"""The desk's notifications centre: one row per person and thing to tell them, read or not."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a notification tells (the sentence is written when shown, in the reader's language)."""

    ASSIGNED = "assigned", _("Assigned to you")
    TRANSFERRED = "transferred", _("Transferred to you")
    ESCALATED = "escalated", _("Escalated to you")
    REQUESTER_REPLIED = "requester_replied", _("The requester answered")
    MENTIONED = "mentioned", _("You were mentioned")
    MESSAGE = "message", _("Internal mail")


class Notification(models.Model):
    """One thing `user` should know of: about a request (`ticket`) or internal mail
    (`data["message"]`), caused by `actor`. Stored as data; the sentence is rendered at display."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Ids only (message, entry) and the subject of a message, never a translated sentence.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=False)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The badge: a person's unread ones; the page: a person's newest first.
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notify_unread_idx",
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="notify_user_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"

    def target_url(self) -> str | None:
        """The page the notification is about: the message, or the request (at the entry)."""
        if self.kind == Kind.MESSAGE and self.data.get("message"):
            return reverse("staffmail:message", args=[self.data["message"]])
        if self.ticket_id is None:
            return None
        url = reverse("desk:ticket", args=[self.ticket_id])
        entry = self.data.get("entry")
        return f"{url}#entry-{entry}" if entry else url
