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
    # Sent through this mailbox's own server (`Mailbox.email_backend()`) when it has one.
    mailbox = models.ForeignKey(
        "Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

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

    # --- connection (mailbox connections) -------------------------------------------------
    class Protocol(models.TextChoices):
        PIPE = "pipe", _("delivered by the mail server (helpline mail-in)")
        IMAP = "imap", _("IMAP")
        POP3 = "pop3", _("POP3")

    class Security(models.TextChoices):
        TLS = "tls", _("TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("none (unencrypted)")

    class Auth(models.TextChoices):
        PASSWORD = "password", _("password")
        GOOGLE = "google", _("OAuth2: Google (Gmail)")
        MICROSOFT = "microsoft", _("OAuth2: Microsoft 365")

    class AfterFetch(models.TextChoices):
        DELETE = "delete", _("delete it from the server")
        MOVE = "move", _("move it to another folder (IMAP)")
        SEEN = "seen", _("leave it, marked as read")

    protocol = models.CharField(
        _("receive by"), max_length=10, choices=Protocol.choices, default=Protocol.PIPE
    )
    host = models.CharField(_("server"), max_length=253, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    security = models.CharField(
        _("security"), max_length=10, choices=Security.choices, default=Security.TLS
    )
    auth = models.CharField(
        _("sign in with"), max_length=10, choices=Auth.choices, default=Auth.PASSWORD
    )
    username = models.CharField(_("user name"), max_length=254, blank=True)
    # Secrets: written by administrators, never shown back (forms, pages, logs, events).
    password = models.TextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=250, blank=True, default="INBOX")
    after_fetch = models.CharField(
        _("after a message is stored"),
        max_length=10,
        choices=AfterFetch.choices,
        default=AfterFetch.DELETE,
    )
    move_to = models.CharField(_("move to folder"), max_length=250, blank=True)
    poll_seconds = models.PositiveIntegerField(_("check every (seconds)"), default=60)
    oauth_client_id = models.CharField(_("OAuth client ID"), max_length=250, blank=True)
    oauth_client_secret = models.TextField(_("OAuth client secret"), blank=True)
    oauth_tenant = models.CharField(_("Microsoft tenant"), max_length=100, blank=True)
    oauth_access_token = models.TextField(blank=True)
    oauth_refresh_token = models.TextField(blank=True)
    oauth_expires_at = models.DateTimeField(null=True, blank=True)
    oauth_connected_at = models.DateTimeField(null=True, blank=True)
    smtp_host = models.CharField(_("SMTP server"), max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_username = models.CharField(_("SMTP user name"), max_length=254, blank=True)
    smtp_password = models.TextField(_("SMTP password"), blank=True)
    # Poll bookkeeping: IMAP UIDs seen under the folder's UIDVALIDITY, the schedule, a lease so
    # two workers never poll one mailbox at once, and what the health page shows.
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    imap_last_uid = models.BigIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_fetched = models.PositiveIntegerField(default=0)

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

    @property
    def polled(self) -> bool:
        return self.protocol in (self.Protocol.IMAP, self.Protocol.POP3)

    @property
    def uses_oauth(self) -> bool:
        return self.auth in (self.Auth.GOOGLE, self.Auth.MICROSOFT)

    def email_backend(self):
        """A Django email backend sending through this mailbox's SMTP server, or None when the
        mailbox has none (the installation's default sends)."""
        from .connections import mailbox_email_backend

        return mailbox_email_backend(self)


class MailboxSeenUid(models.Model):
    """A POP3 message (by UIDL) already stored from a mailbox that leaves mail on the server."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="seen_uids")
    uid = models.CharField(max_length=70)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "uid"], name="mailboxseenuid_unique")
        ]


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
    STAFF_MENTIONED = "staff_mentioned", _("To staff: you were mentioned in a note")
    STAFF_MESSAGE = "staff_message", _("To staff: internal mail from a colleague")


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
