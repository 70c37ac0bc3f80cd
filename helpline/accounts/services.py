"""Writes for people and departments: requesters, staff and their rights, the department tree."""

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from helpline.audit.changes import diff, snapshot
from helpline.audit.services import deactivated_with_event, event_record, saved_with_event
from helpline.core import fixedsql
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.core.lengths import fitting
from helpline.core.models import SiteSettings

from .addresses import (
    address_add,
    address_make_primary,
    address_normalise,
    address_primary_set,
    address_remove,
    address_taken,
    user_by_address,
)
from .models import Department, DepartmentMembership, Organisation, Role, User


@functools.cache
def _organisation_by_domain_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    columns = fixedsql.select_columns(Organisation)
    # Only table and column names from the model are interpolated; the domain is a parameter.
    return (
        f"SELECT {columns} FROM {qn(Organisation._meta.db_table)}"  # noqa: S608
        f" WHERE LOWER({qn('domain')}) = LOWER(%s) AND {qn('is_active')}"
        f" ORDER BY {qn('name')} LIMIT 1"
    )


def organisation_for_email(email: str) -> Organisation | None:
    """The active organisation of the address's mail domain (the first by name), answered from
    the index on lower(domain); a raw statement, as `user_by_address` (each new requester)."""
    domain = email.rsplit("@", 1)[-1].lower()
    found = list(Organisation.objects.raw(_organisation_by_domain_sql(connection.vendor), [domain]))
    return found[0] if found else None


class StaffAddressRefused(ValidationFailed):
    """An address typed by someone who has not proved it belongs to a staff account."""

    def __init__(self, message: str, *, staff: User):
        super().__init__(message, field="email")
        self.staff = staff


@dataclass(frozen=True)
class RequesterLookup:
    """What `requester_register` reads before it writes, read ahead of a write transaction (so
    SQLite's write lock is not held for look-ups): the normalised address, the person who has it
    (None: nobody yet) and, for a new requester, the organisation of its mail domain."""

    email: str
    existing: User | None
    organisation: Organisation | None


def requester_lookup(
    *,
    email: str,
    organisation: Organisation | None = None,
    actor: User | None = None,
    staff_confirmed: bool = False,
) -> RequesterLookup:
    """The reads of `requester_register` (its address checks included: a staff address raises
    StaffAddressRefused here already), to pass it as `lookup` inside the write's transaction."""
    email = address_normalise(email)
    if not email or "@" not in email:
        raise ValidationFailed(_("A valid email address is required."), field="email")
    existing = user_by_address(email)
    if existing is not None:
        if existing.is_agent_side:
            _staff_address_check(existing, email=email, actor=actor, confirmed=staff_confirmed)
        return RequesterLookup(email=email, existing=existing, organisation=None)
    return RequesterLookup(
        email=email, existing=None, organisation=organisation or organisation_for_email(email)
    )


def requester_register(
    *,
    email: str,
    name: str = "",
    phone: str = "",
    organisation: Organisation | None = None,
    actor: User | None = None,
    staff_confirmed: bool = False,
    lookup: RequesterLookup | None = None,
) -> User:
    """Find the person with this address (primary or other) or register a requester (no
    password until they set it, address not proved).

    The rule for every address typed by someone who has not proved it (an anonymous portal
    visitor, staff entering a caller, the mail channel): it never attaches a request to a staff
    account. Such an address raises StaffAddressRefused, unless a staff `actor` has seen the
    warning and confirms (`staff_confirmed`), which is recorded (requester.staff_address_used).
    Nothing about an existing person is changed from what was typed. The organisation is taken
    from the mail domain when not given; it grants shared requests only once the address is
    proved (helpline.tickets.access).

    Safe under concurrency: when a parallel submission from the same new address registers it
    first, the insert hits the unique address constraint inside a savepoint and the row that won
    is returned, so every submission attaches to one requester. A name or phone longer than the
    account can hold is refused, not cut.

    `lookup` (`requester_lookup` for the same address, done before the caller's transaction)
    saves the reads: only the insert is left, and the unique index still decides a race.
    """
    if lookup is None:
        lookup = requester_lookup(
            email=email, organisation=organisation, actor=actor, staff_confirmed=staff_confirmed
        )
    email = lookup.email
    if lookup.existing is not None:
        return lookup.existing
    first, _sep, last = name.strip().partition(" ")
    fitting(User, "first_name", first, field="name")
    fitting(User, "last_name", last.strip(), field="name")
    fitting(User, "phone", phone.strip(), field="phone")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                first_name=first,
                last_name=last.strip(),
                phone=phone.strip(),
                role=Role.REQUESTER,
                organisation=lookup.organisation,
            )
            event_record(actor=None, action="requester.registered", obj=user)
    except IntegrityError:
        # Another request registered the address between our look-up and our insert.
        existing = user_by_address(email)
        if existing is None:
            raise
        if existing.is_agent_side:
            _staff_address_check(existing, email=email, actor=actor, confirmed=staff_confirmed)
        return existing
    return user


def _staff_address_check(staff: User, *, email: str, actor: User | None, confirmed: bool) -> None:
    acting_staff = actor is not None and actor.is_authenticated and actor.is_agent_side
    if not acting_staff:
        # Says no more than "sign in": whoever typed it learns nothing about the account.
        raise StaffAddressRefused(
            _(
                "Requests from this address can only be sent after signing in. Please sign in "
                "and send your request again."
            ),
            staff=staff,
        )
    if not confirmed:
        raise StaffAddressRefused(
            _(
                "%(email)s belongs to the staff account of %(name)s. The request would be filed "
                "under that staff account. Check the address, or confirm that this is right."
            )
            % {"email": email, "name": staff.display_name},
            staff=staff,
        )
    event_record(
        actor=actor, action="requester.staff_address_used", obj=staff, changes={"email": email}
    )


# --- departments ----------------------------------------------------------------------------

DEPARTMENT_FIELDS = ("name", "parent", "email", "description", "signature", "line", "is_active")


@transaction.atomic
def department_save(*, department: Department, actor) -> Department:
    """Create or update a department from the (unsaved) instance; records the before/after values.

    Names are unique among siblings (case-insensitively) and a department cannot move below
    itself or one of its own sub-departments. Assumes the actor is an administrator.
    """
    department.name = (department.name or "").strip()
    if not department.name:
        raise ValidationFailed(_("The department needs a name."), field="name")
    before: dict = {}
    if department.pk:
        current = Department.objects.select_for_update().get(pk=department.pk)
        before = snapshot(current, DEPARTMENT_FIELDS)
        if department.parent_id:
            parent_path = Department.objects.values_list("path", flat=True).get(
                pk=department.parent_id
            )
            if parent_path.startswith(current.path):
                raise ValidationFailed(
                    _("A department cannot be placed below itself or its own sub-departments."),
                    field="parent",
                )
    clash = Department.objects.filter(parent_id=department.parent_id, name__iexact=department.name)
    if department.pk:
        clash = clash.exclude(pk=department.pk)
    if clash.exists():
        raise ValidationFailed(
            _("There is already a department called “%(name)s” at this place in the tree.")
            % {"name": department.name},
            field="name",
        )
    return saved_with_event(
        department, actor=actor, kind="department", before=before, fields=DEPARTMENT_FIELDS
    )


@transaction.atomic
def department_remove(*, department: Department, actor) -> str:
    """Delete an unused department; one with requests, sub-departments or topics is deactivated.

    History refers to departments, so they are only deleted while nothing points at them.
    Returns "deleted" or "deactivated".
    """
    department = Department.objects.select_for_update().get(pk=department.pk)
    in_use = (
        department.tickets.exists() or department.children.exists() or department.topics.exists()
    )
    if in_use:
        deactivated_with_event(department, actor=actor, kind="department")
        return "deactivated"
    before = snapshot(department, DEPARTMENT_FIELDS)
    members = list(department.memberships.values_list("user__email", flat=True))
    event_record(
        actor=actor,
        action="department.deleted",
        obj=department,
        changes={**{k: [v, None] for k, v in before.items()}, "members": [members, None]},
    )
    department.delete()
    return "deleted"


# --- memberships and rights -----------------------------------------------------------------

RIGHTS = ("can_view", "can_reply", "can_assign", "can_manage")


def _check_rights(rights: Mapping[str, bool]) -> dict[str, bool]:
    clean = {right: bool(rights.get(right)) for right in RIGHTS}
    if not any(clean.values()):
        raise ValidationFailed(_("Give the member at least the right to view."))
    if not clean["can_view"]:
        raise ValidationFailed(_("Replying, assigning and managing need the right to view."))
    return clean


@transaction.atomic
def membership_set(
    *, user: User, department: Department, rights: Mapping[str, bool] | None, actor
) -> DepartmentMembership | None:
    """Add `user` to `department`, change their rights there, or remove them (`rights` None).

    Only staff can be members; a member always has the view right. Records
    membership.added / .changed / .removed on the staff member with the rights before and after.
    Nothing is recorded when nothing changes.
    """
    membership = (
        DepartmentMembership.objects.select_for_update()
        .filter(user=user, department=department)
        .first()
    )
    before = snapshot(membership, RIGHTS)
    context = {"department": department.name}
    if rights is None:
        if membership is None:
            return None
        membership.delete()
        event_record(
            actor=actor,
            action="membership.removed",
            obj=user,
            changes={**context, **{k: [v, None] for k, v in before.items()}},
        )
        return None
    if not user.is_agent_side:
        raise ValidationFailed(_("Only staff can be members of a department."))
    clean = _check_rights(rights)
    if membership is None:
        membership = DepartmentMembership.objects.create(user=user, department=department, **clean)
        action = "membership.added"
    else:
        for right, value in clean.items():
            setattr(membership, right, value)
        membership.save()
        action = "membership.changed"
    changes = diff(before, clean) if before else {k: [None, v] for k, v in clean.items()}
    if changes:
        event_record(actor=actor, action=action, obj=user, changes={**context, **changes})
    return membership


# --- staff ----------------------------------------------------------------------------------

STAFF_FIELDS = ("email", "first_name", "last_name", "role", "support_line", "is_active")


def staff_set_password_mail_send(*, user: User, domain: str, use_https: bool) -> None:
    """Mail `user` a one-use link to choose their password (the password reset's key)."""
    if not user.is_active:
        return
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    uidb36, _sep, token = key.partition("-")
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb36": uidb36, "key": token})
    context = {
        "user": user,
        "desk_name": SiteSettings.current().desk_name,
        "domain": domain,
        "email": user.email,
        "link": f"{'https' if use_https else 'http'}://{domain}{path}",
    }
    subject = render_to_string("administration/mail/set_password_subject.txt", context)
    body = render_to_string("administration/mail/set_password.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [user.email])


def _email_free(email: str, *, exclude_pk: int | None = None) -> str:
    email = address_normalise(email)
    if not email or "@" not in email:
        raise ValidationFailed(_("A valid email address is required."), field="email")
    if address_taken(email, exclude_user_id=exclude_pk):
        raise ValidationFailed(_("Another account already uses this address."), field="email")
    return email


def _staff_role(role: str, support_line: int | None) -> int | None:
    if role not in Role.STAFF:
        raise ValidationFailed(_("Choose a staff role."), field="role")
    if role == Role.AGENT and not support_line:
        raise ValidationFailed(_("An agent works in a support line."), field="support_line")
    return support_line or None


@transaction.atomic
def staff_create(
    *,
    actor,
    email: str,
    first_name: str,
    last_name: str = "",
    role: str,
    support_line: int | None = None,
    password: str = "",
    send_set_password_mail: bool = False,
    domain: str = "",
    use_https: bool = False,
) -> User:
    """Open a staff account with either a password or a set-password mail (sent after commit).

    The password must pass the installation's password validators. Records staff.created.
    """
    email = _email_free(email)
    support_line = _staff_role(role, support_line)
    if not password and not send_set_password_mail:
        raise ValidationFailed(
            _("Give an initial password or send a set-password mail."), field="password"
        )
    user = User(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        support_line=support_line,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    address_primary_set(user=user, email=email, verified=True)
    changes = diff({}, snapshot(user, STAFF_FIELDS))
    changes["set_password_mail"] = [None, bool(send_set_password_mail and not password)]
    event_record(actor=actor, action="staff.created", obj=user, changes=changes)
    if send_set_password_mail and not password:
        transaction.on_commit(
            lambda: staff_set_password_mail_send(user=user, domain=domain, use_https=use_https)
        )
    return user


def _refuse_self_lockout(user: User, actor, *, role: str, is_active: bool) -> None:
    if user.pk != getattr(actor, "pk", None):
        return
    if not is_active:
        raise ValidationFailed(_("You cannot deactivate your own account."), field="is_active")
    if user.role == Role.ADMIN and role != Role.ADMIN:
        raise ValidationFailed(
            _("You cannot take away your own administrator role; ask another administrator."),
            field="role",
        )


@transaction.atomic
def staff_update(
    *,
    user: User,
    actor,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    support_line: int | None,
    is_active: bool,
    memberships: Mapping[int, Mapping[str, bool] | None] | None = None,
) -> User:
    """Change a staff member's account, role, line and (optionally) all their department rights.

    `memberships` maps department ids to rights (None: not a member); departments not in it
    are left alone. Administrators cannot deactivate or demote themselves. Records
    staff.changed plus one membership event per changed department.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role not in Role.STAFF:
        raise ValidationFailed(_("This account is not a staff account."))
    _refuse_self_lockout(user, actor, role=role, is_active=is_active)
    email = _email_free(email, exclude_pk=user.pk)
    support_line = _staff_role(role, support_line)
    before = snapshot(user, STAFF_FIELDS)
    address_primary_set(user=user, email=email, verified=True)
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.role = role
    user.support_line = support_line
    user.is_active = is_active
    user.save()
    changes = diff(before, snapshot(user, STAFF_FIELDS))
    if changes:
        event_record(actor=actor, action="staff.changed", obj=user, changes=changes)
    if memberships:
        departments = Department.objects.in_bulk(list(memberships))
        for department_id, rights in memberships.items():
            try:
                membership_set(
                    user=user, department=departments[department_id], rights=rights, actor=actor
                )
            except ValidationFailed as exc:
                raise ValidationFailed(
                    f"{departments[department_id].name}: {exc.message}", field="memberships"
                ) from exc
    return user


@transaction.atomic
def staff_deactivate(*, user: User, actor) -> User:
    """Close a staff account (never deleted: history refers to it); not one's own."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role not in Role.STAFF:
        raise ValidationFailed(_("This account is not a staff account."))
    _refuse_self_lockout(user, actor, role=user.role, is_active=False)
    deactivated_with_event(user, actor=actor, kind="staff")
    return user


# --- organisations and requesters -----------------------------------------------------------

ORGANISATION_FIELDS = (
    "name",
    "domain",
    "shared_requests",
    "colleagues_may_act",
    "notes",
    "is_active",
)


@transaction.atomic
def organisation_save(*, organisation: Organisation, actor) -> Organisation:
    """Create or update an organisation; an active mail domain belongs to one organisation only."""
    organisation.name = (organisation.name or "").strip()
    if not organisation.name:
        raise ValidationFailed(_("The organisation needs a name."), field="name")
    domain = (organisation.domain or "").strip().lower().lstrip("@")
    if domain and ("." not in domain or any(c.isspace() or c in "@/," for c in domain)):
        raise ValidationFailed(_("Enter a mail domain such as example.com."), field="domain")
    organisation.domain = domain
    others = Organisation.objects.all()
    if organisation.pk:
        others = others.exclude(pk=organisation.pk)
    if others.filter(name__iexact=organisation.name).exists():
        raise ValidationFailed(_("Another organisation has this name."), field="name")
    if domain and organisation.is_active and others.filter(domain=domain, is_active=True).exists():
        raise ValidationFailed(
            _("Another active organisation already uses this mail domain."), field="domain"
        )
    before: dict = {}
    if organisation.pk:
        before = snapshot(
            Organisation.objects.select_for_update().get(pk=organisation.pk), ORGANISATION_FIELDS
        )
    return saved_with_event(
        organisation, actor=actor, kind="organisation", before=before, fields=ORGANISATION_FIELDS
    )


REQUESTER_FIELDS = ("email", "first_name", "last_name", "phone", "organisation", "is_active")


@transaction.atomic
def requester_update(
    *,
    user: User,
    actor,
    email: str,
    first_name: str,
    last_name: str,
    phone: str,
    organisation: Organisation | None,
    is_active: bool,
) -> User:
    """Correct a requester's contact details, organisation or access; records requester.changed."""
    user = (
        User.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=user.pk)
    )
    if user.role != Role.REQUESTER:
        raise ValidationFailed(_("This account is not a requester."))
    email = _email_free(email, exclude_pk=user.pk)
    before = snapshot(user, REQUESTER_FIELDS)
    # Typed by staff, so not proved: a requester with a password confirms it at their next
    # sign-in (allauth mails the link).
    address_primary_set(user=user, email=email, verified=False)
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.phone = phone.strip()
    user.organisation = organisation
    user.is_active = is_active
    user.save()
    changes = diff(before, snapshot(user, REQUESTER_FIELDS))
    if changes:
        event_record(actor=actor, action="requester.changed", obj=user, changes=changes)
    return user


def _requester_for_admin(user: User, actor) -> User:
    if not (actor is not None and actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators can change a requester's addresses."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role != Role.REQUESTER:
        raise ValidationFailed(_("This account is not a requester."))
    return user


@transaction.atomic
def requester_address_add(*, user: User, actor, email: str) -> None:
    """An administrator gives a requester another address (not proved: staff typed it), so that
    requests and mail from it find them. Refuses an address somebody else has. Records
    requester.address_added."""
    user = _requester_for_admin(user, actor)
    if EmailAddress.objects.filter(user=user, email=address_normalise(email)).exists():
        raise ValidationFailed(_("The requester already has this address."), field="email")
    address = address_add(user=user, email=email, verified=False)
    event_record(
        actor=actor, action="requester.address_added", obj=user, changes={"email": address.email}
    )


@transaction.atomic
def requester_address_remove(*, user: User, actor, email: str) -> None:
    """An administrator takes one of a requester's other addresses away (never the primary one).
    Records requester.address_removed."""
    user = _requester_for_admin(user, actor)
    address = address_remove(user=user, email=email)
    event_record(
        actor=actor,
        action="requester.address_removed",
        obj=user,
        changes={"email": address.email, "verified": address.verified},
    )


@transaction.atomic
def requester_address_make_primary(*, user: User, actor, email: str) -> None:
    """An administrator makes one of a requester's confirmed addresses the primary one (the
    previous one stays as another address). Records requester.changed with the old and new
    address."""
    user = _requester_for_admin(user, actor)
    before = user.email
    address = address_make_primary(user=user, email=email)
    if address.email != before:
        event_record(
            actor=actor,
            action="requester.changed",
            obj=user,
            changes={"email": [before, address.email]},
        )
