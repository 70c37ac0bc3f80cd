"""Mail: the outbox, mailboxes, the mail side of thread entries, Message-IDs, the quarantine
and stop rules."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpline.core import clock
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


class Mailbox(TimestampedModel):
    """An address Helpline receives mail at; new requests from it go to its department/topic.

    Connection settings (IMAP/POP3/SMTP) are added by the mailbox-connections work; this is what
    ingestion needs: the address (mail from it is our own and dropped) and where requests go.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("address"), max_length=254, unique=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
    )
    topic = models.ForeignKey(
        "tickets.Topic",
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def save(self, *args, **kwargs):
        # Addresses are compared lower-cased everywhere (own-address drop, reply tokens).
        self.address = (self.address or "").strip().lower()
        super().save(*args, **kwargs)


def raw_mail_path(instance: "MailMessage", filename: str) -> str:
    # The server chooses the name: nothing from the message reaches the path.
    now = clock.now()
    return f"mail/{now:%Y/%m}/{uuid.uuid4().hex}.eml"


class Direction(models.TextChoices):
    IN = "in", _("received")
    OUT = "out", _("sent")


class MailFlag(models.TextChoices):
    """Why a mail entry deserves a second look; stored as codes in MailMessage.flags."""

    SPOOFED = "spoofed", _("possibly spoofed sender")
    NOT_PARTICIPANT = "not_participant", _("sender is not a participant")
    AUTO_REPLY = "auto_reply", _("automatic reply")
    BOUNCE = "bounce", _("delivery failure report")
    SEVERAL_FROM = "several_from", _("several senders")
    LOOK_ALIKE = "look_alike", _("display name imitates another address")
    SUBJECT_HINT = "subject_hint", _("matched by the number in the subject")
    UNPARSED = "unparsed", _("parts of the message could not be read")


class MailMessage(models.Model):
    """The mail side of a thread entry: headers, addresses, the sanitised HTML and the raw
    message as received or sent (kept in storage, downloadable by staff as .eml)."""

    entry = models.OneToOneField(
        "tickets.Entry", on_delete=models.CASCADE, related_name="mail", verbose_name=_("entry")
    )
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    # Without the angle brackets; empty when the message had none.
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=998, blank=True)
    references = models.TextField(_("References"), blank=True)
    from_address = models.CharField(_("sender address"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=250, blank=True)
    to = models.JSONField(_("to"), default=list, blank=True)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    date = models.DateTimeField(_("date"), null=True, blank=True)
    raw = models.FileField(_("raw message"), upload_to=raw_mail_path, max_length=200, blank=True)
    raw_size = models.PositiveBigIntegerField(default=0)
    # Of the raw bytes: the same bytes delivered twice make one entry.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    html = models.TextField(_("HTML (sanitised)"), blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # Attachments the message had but the entry does not keep (over a limit, a refused type):
    # [{"filename": display name, "size": bytes, "reason": text}].
    refused = models.JSONField(_("attachments not kept"), default=list, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("mail message")
        verbose_name_plural = _("mail messages")
        constraints = [
            # The same bytes received twice (into any mailbox) make one entry.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(direction="in") & ~Q(sha256=""),
                name="mail_received_once",
            )
        ]
        indexes = [
            # The per-sender hourly limit counts a sender's recent mail.
            models.Index(fields=["from_address", "created_at"], name="mail_sender_recent"),
        ]

    def __str__(self) -> str:
        return self.message_id or f"#{self.pk}"

    @property
    def flag_labels(self) -> list[str]:
        labels = dict(MailFlag.choices)
        return [str(labels.get(flag, flag)) for flag in self.flags]


class MessageRef(models.Model):
    """Every Message-ID we sent or received, with the ticket (and entry) it belongs to, so any
    reply in a thread finds its ticket. Unique per mailbox: the same message delivered twice
    into one mailbox is recognised (the idempotency key of ingestion)."""

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.CASCADE, related_name="refs"
    )
    message_id = models.CharField(max_length=998)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="message_refs"
    )
    entry = models.ForeignKey(
        "tickets.Entry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("message reference")
        verbose_name_plural = _("message references")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"],
                condition=Q(mailbox__isnull=False),
                name="messageref_unique_in_mailbox",
            ),
            # NULL never equals NULL in a unique index: messages with no mailbox (mail-in
            # without --mailbox, notifications from the default sender) get their own.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(mailbox__isnull=True),
                name="messageref_unique_no_mailbox",
            ),
        ]
        indexes = [models.Index(fields=["message_id"], name="messageref_id")]

    def __str__(self) -> str:
        return self.message_id


class QuarantinedMail(models.Model):
    """A received message kept raw instead of becoming an entry: unreadable, caught by a stop
    rule, over the sender's hourly limit, or an automatic reply that concerns no request.
    Administrators release (ingest it after all) or delete it."""

    class Reason(models.TextChoices):
        UNPARSEABLE = "unparseable", _("could not be read")
        FAILED = "failed", _("failed while storing")
        STOP_RULE = "stop_rule", _("stop rule")
        SPAM = "spam", _("marked as spam by a stop rule")
        RATE_LIMIT = "rate_limit", _("too many messages from the sender")
        AUTO_REPLY = "auto_reply", _("automatic reply to no request")
        BOUNCE = "bounce", _("delivery failure report for no request")
        STAFF_ADDRESS = "staff_address", _("sent from a staff address to no request")
        NO_SENDER = "no_sender", _("no sender address to no request")

    class State(models.TextChoices):
        HELD = "held", _("held")
        RELEASED = "released", _("released")
        DELETED = "deleted", _("deleted")

    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quarantined",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True)
    # Kept in the database, in the same transaction as the row: the last resort must not
    # depend on anything else working.
    raw = models.BinaryField()
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    from_address = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    stop_rule = models.ForeignKey(
        "StopRule",
        verbose_name=_("stop rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quarantined",
    )
    status = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.HELD)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("received"), default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("quarantined message")
        verbose_name_plural = _("quarantined messages")
        constraints = [
            # The same bytes delivered again while held are the same quarantined message.
            models.UniqueConstraint(
                fields=["sha256"], condition=Q(status="held"), name="quarantine_held_once"
            )
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="quarantine_list")]

    def __str__(self) -> str:
        return self.subject or self.message_id or f"#{self.pk}"


class StopRule(TimestampedModel):
    """An administrator's block: a sender, a domain, or a subject or body pattern, with what
    to do with matching mail. Counts its hits; StopRuleHit keeps what it caught."""

    class Kind(models.TextChoices):
        SENDER = "sender", _("sender address")
        DOMAIN = "domain", _("sender domain")
        SUBJECT = "subject", _("subject contains")
        BODY = "body", _("body contains")

    class Action(models.TextChoices):
        REJECT = "reject", _("reject (drop)")
        QUARANTINE = "quarantine", _("hold in quarantine")
        SPAM = "spam", _("mark as spam")

    kind = models.CharField(_("match on"), max_length=10, choices=Kind.choices)
    pattern = models.CharField(_("pattern"), max_length=250)
    action = models.CharField(
        _("action"), max_length=10, choices=Action.choices, default=Action.QUARANTINE
    )
    note = models.CharField(_("note"), max_length=250, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    hit_count = models.PositiveIntegerField(_("hits"), default=0)
    last_hit_at = models.DateTimeField(_("last hit"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "pattern"]
        verbose_name = _("stop rule")
        verbose_name_plural = _("stop rules")
        constraints = [models.UniqueConstraint(fields=["kind", "pattern"], name="stoprule_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.pattern}"


class StopRuleHit(models.Model):
    """One message a stop rule caught (what administrators see under the rule)."""

    rule = models.ForeignKey(StopRule, on_delete=models.CASCADE, related_name="hits")
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.TextField(blank=True)
    message_id = models.CharField(max_length=998, blank=True)
    quarantined = models.ForeignKey(
        QuarantinedMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["rule", "-created_at"], name="stoprulehit_rule")]


class BouncingAddress(models.Model):
    """An address a delivery failure report came back for; outgoing mail may skip it."""

    address = models.CharField(max_length=254, unique=True)
    first_at = models.DateTimeField(default=clock.now)
    last_at = models.DateTimeField(default=clock.now)
    count = models.PositiveIntegerField(default=1)
    last_status = models.CharField(max_length=250, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")

    def __str__(self) -> str:
        return self.address
