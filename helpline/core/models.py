"""Base model shared by every Helpline table."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .clock import ClockDateTimeField

# How many files one form takes at a time; the request body limit counts on it.
MAX_FILES = 10


class TimestampedModel(models.Model):
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SiteSettings(models.Model):
    """Installation-wide settings edited by administrators; one row, loaded with `current()`."""

    desk_name = models.CharField(_("name of the desk"), max_length=100, default="Helpline")
    portal_welcome = models.TextField(
        _("portal welcome text"),
        blank=True,
        default="",
        help_text=_("Shown on the portal's front page above the request form."),
    )
    anonymous_submission = models.BooleanField(
        _("allow requests without an account"),
        default=False,
        help_text=_("Anyone may submit a request with their email address; they are registered."),
    )
    allow_signup = models.BooleanField(_("requesters may sign up"), default=True)
    auto_close_days = models.PositiveSmallIntegerField(
        _("close resolved requests after (days)"),
        default=7,
        help_text=_(
            "A resolved request that the requester neither confirms nor reopens closes itself "
            "after this many days. 0 keeps it resolved until someone closes it."
        ),
    )
    max_attachment_mb = models.PositiveIntegerField(_("largest attachment (MB)"), default=20)
    allowed_types = models.TextField(
        _("allowed file types"),
        blank=True,
        default="",
        help_text=_(
            "Extensions, one per line or comma-separated (e.g. pdf, png). Empty: all types not "
            "blocked."
        ),
    )
    blocked_types = models.TextField(
        _("blocked file types"),
        blank=True,
        default="exe, bat, cmd, com, msi, scr, js, vbs, ps1, jar",
        help_text=_("Checked against the type read from the file's content, not only its name."),
    )

    kb_anonymous = models.BooleanField(
        _("anyone may read the help centre"),
        default=True,
        help_text=_(
            "Public articles of the knowledge base are open without signing in. Off: only "
            "signed-in people read them."
        ),
    )

    mfa_required_staff = models.BooleanField(
        _("require two-step sign-in for all staff"),
        default=False,
        help_text=_(
            "Staff without an authenticator app or security key are asked to set one up when "
            "they next open the desk, and cannot use it until they have."
        ),
    )
    mfa_required_roles = models.JSONField(
        _("require two-step sign-in for these roles"),
        default=list,
        blank=True,
        help_text=_("Used when it is not required for all staff."),
    )

    class Meta:
        verbose_name = _("settings")

    @classmethod
    def current(cls) -> "SiteSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    @classmethod
    def shared(cls) -> "SiteSettings":
        """The settings row as reference data (helpline.core.reference): kept per process and
        read afresh after any change to it; shared by threads, never to be changed or saved
        (`current()` gives a row of one's own)."""
        from .reference import remembered

        return remembered("core:site-settings", cls.current)

    @classmethod
    def for_request(cls, request) -> "SiteSettings":
        """The settings row for a request's middleware and templates: the shared reference row
        (`shared()`; nearly every page reads the reference generation anyway, so a remembered
        row costs no statement of its own). Read only; administration saves `current()`."""
        cached = getattr(request, "_helpline_site_settings", None)
        if cached is None:
            cached = request._helpline_site_settings = cls.shared()
        return cached

    def type_list(self, field: str) -> set[str]:
        raw = getattr(self, field).replace(",", " ").replace(";", " ").split()
        return {item.strip().lstrip(".").lower() for item in raw if item.strip()}


class PeriodicJob(models.Model):
    """When each periodic job last started, finished and succeeded, and who holds its lease.

    Kept in the database (not the cache) so that /healthz on any web server sees an overdue job,
    and so that a lease left by a worker killed mid-job expires instead of blocking the job.
    """

    name = models.CharField(max_length=100, unique=True)
    interval_seconds = models.PositiveIntegerField()
    registered_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    lease_holder = models.CharField(max_length=200, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job")

    def __str__(self) -> str:
        return self.name


class SubmissionKey(models.Model):
    """A one-time key a form (or an API client, or a mail's Message-ID) sent with a write.

    Stored in the same transaction as the write, so a retried POST finds the key and answers
    with what the first one created instead of writing again. Only a digest of scope and key is
    kept; old keys are removed by a periodic job (`submission_keys_forget`).
    """

    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the first submission created, as "app_label.model" and primary key.
    result_type = models.CharField(max_length=60, blank=True)
    result_id = models.BigIntegerField(null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("submission key")
