"""People and the desk's structure: users in their roles, organisations, departments and rights."""

from enum import nonmember

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from helpline.core.lookups import LowerExact
from helpline.core.models import TimestampedModel


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")
    EXTERNAL = "external", _("External provider")

    # The groups that rules and queries use, named once (plain values: `role__in=Role.STAFF`).
    # Everyone who works inside the desk: not requesters.
    STAFF = nonmember(("agent", "supervisor", "admin", "external"))
    # Who supervises: may restore, purge and take hand-overs.
    SUPERVISING = nonmember(("supervisor", "admin"))


class SupportLine(models.IntegerChoices):
    FIRST = 1, _("1st line (dispatcher)")
    SECOND = 2, _("2nd line (specialist)")
    THIRD = 3, _("3rd line (expert)")


class StaffNotice(models.TextChoices):
    """The letters a staff member may choose to get (profile, "Notifications")."""

    NEW_IN_DEPARTMENT = "new_in_department", _("A new request in my departments")
    ASSIGNED = "assigned", _("A request is assigned to me")
    REQUESTER_REPLIED = "requester_replied", _("The requester answered a request of mine")
    TRANSFERRED = "transferred", _("A request is transferred or escalated to me")
    MENTIONED = "mentioned", _("Someone mentions me in an internal note")
    INTERNAL_MAIL = "internal_mail", _("Internal mail from a colleague")


STAFF_NOTICES_DEFAULT = ["assigned", "requester_replied", "transferred"]


def staff_notices_default() -> list[str]:
    return list(STAFF_NOTICES_DEFAULT)


class Organisation(TimestampedModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(
        _("mail domain"),
        max_length=200,
        blank=True,
        help_text=_("Requesters whose address ends in this domain join the organisation."),
    )
    shared_requests = models.BooleanField(
        _("members see each other's requests"),
        default=False,
        help_text=_("Members of the organisation can read all of its requests in the portal."),
    )
    # Shared requests are read-only for colleagues unless the organisation says otherwise: a
    # colleague confirming or reopening someone else's request decides for that person.
    colleagues_may_act = models.BooleanField(
        _("members may act on each other's requests"),
        default=False,
        help_text=_(
            "With shared requests on, members may also reply to, confirm and reopen a "
            "colleague's request. Off: they can only read it."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        # A new requester's organisation by mail domain (`domain__iexact`, LowerExact below):
        # an index probe instead of reading every organisation at each registration.
        indexes = [models.Index(Lower("domain"), name="organisation_domain_ci")]

    def __str__(self) -> str:
        return self.name


# The attribute a person created in this process holds their addresses in, while they are known
# without a query (see HelplineUserManager._create_user).
ADDRESSES_KNOWN = "_helpline_addresses"


class HelplineUserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        """Create the person and their primary address row (allauth's EmailAddress).

        `email_verified` says whether the address is proved; by default staff addresses are
        (an administrator vouches for them) and requesters' are not.
        """
        if not email:
            raise ValueError("An email address is required")
        verified = extra_fields.pop(
            "email_verified", extra_fields.get("role", Role.REQUESTER) != Role.REQUESTER
        )
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        from allauth.account.models import EmailAddress

        # Without the row's save signal: it reindexes the person's requests for search, and a
        # person created this moment has none (one query saved at every registration).
        EmailAddress.objects.using(self._db).bulk_create(
            [EmailAddress(user=user, email=user.email, primary=True, verified=verified)]
        )
        # Every address the person has now: their first request's search document is built
        # without reading them back (helpline.tickets.search.ticket_opened_indexed). Trusted only
        # inside the creating transaction (forgotten at its commit) and until an address service
        # changes them.
        setattr(user, ADDRESSES_KNOWN, (user.email,))
        transaction.on_commit(lambda: user.__dict__.pop(ADDRESSES_KNOWN, None), using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Everybody who signs in or asks for help; the role says which side of the desk they are on.

    Requesters are registered from their first request with an unusable password and may set one
    later through the password reset.
    """

    username = None
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REQUESTER)
    support_line = models.PositiveSmallIntegerField(
        _("support line"), choices=SupportLine.choices, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Staff only: which StaffNotice letters this person wants.
    # db_default too: rows written by raw SQL (the benchmark generator) get the same choice.
    staff_notices = models.JSONField(
        _("notifications"),
        default=staff_notices_default,
        db_default=models.Value(STAFF_NOTICES_DEFAULT, output_field=models.JSONField()),
        blank=True,
    )

    objects = HelplineUserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["first_name", "last_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [models.Index(fields=["role", "is_active"])]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_staff_member(self) -> bool:
        return self.role != Role.REQUESTER

    @property
    def is_agent_side(self) -> bool:
        """Staff who work tickets inside the desk (not requesters)."""
        return self.role in Role.STAFF

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_supervisor_or_admin(self) -> bool:
        return self.role in Role.SUPERVISING or self.is_superuser

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        # Whether the person was staff when read: a change that makes them a requester still
        # renews the cached staff lists (accounts.reference).
        if "role" in field_names and "is_superuser" in field_names:
            user._helpline_was_staff = user.role in Role.STAFF or user.is_superuser
        return user


# `email__iexact` is answered from the unique index on lower(email) (user_email_ci_unique).
User._meta.get_field("email").register_lookup(LowerExact)
# `domain__iexact` from the index on lower(domain) (organisation_domain_ci).
Organisation._meta.get_field("domain").register_lookup(LowerExact)


class Department(TimestampedModel):
    """A node in the department tree; rights on a department also cover its sub-departments."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of ids ("/1/4/"), so a subtree is one indexed prefix lookup.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="/")
    email = models.EmailField(_("mail address"), blank=True)
    description = models.TextField(_("description"), blank=True)
    signature = models.TextField(
        _("signature"),
        blank=True,
        db_default="",
        help_text=_(
            "Ends the letters about this department's requests (the signature placeholder)."
        ),
    )
    line = models.PositiveSmallIntegerField(
        _("support line"),
        choices=SupportLine.choices,
        default=SupportLine.FIRST,
        help_text=_("The line of support this department works in."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The path holds the department's own id, so it is known only after the first insert.
        parent_path = (
            Department.objects.values_list("path", flat=True).get(pk=self.parent_id)
            if self.parent_id
            else "/"
        )
        new_path = f"{parent_path}{self.pk}/"
        old_path = self.path
        if new_path == old_path:
            return
        Department.objects.filter(pk=self.pk).update(path=new_path)
        self.path = new_path
        if old_path != "/":
            for child_id, child_path in (
                Department.objects.filter(path__startswith=old_path)
                .exclude(pk=self.pk)
                .values_list("id", "path")
            ):
                Department.objects.filter(pk=child_id).update(
                    path=new_path + child_path[len(old_path) :]
                )


class DepartmentMembership(TimestampedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    can_view = models.BooleanField(_("view"), default=True)
    can_reply = models.BooleanField(_("reply"), default=True)
    can_assign = models.BooleanField(_("assign and transfer"), default=True)
    can_manage = models.BooleanField(_("manage"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="membership_unique"),
        ]
        verbose_name = _("department membership")
