"""Administrators' writes to mailboxes: save the settings (secrets kept unless replaced), test the
connection, connect by OAuth2. Each checks its actor and records its event, never a secret."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpline.audit.services import event_record
from helpline.core.errors import PermissionDenied, ValidationFailed

from .connections import CheckResult, mailbox_connection_test
from .models import Mailbox

SECRETS = ("password", "oauth_client_secret", "smtp_password")
# The OAuth grant belongs to the account and the app it was given for: changing either forgets it.
OAUTH_IDENTITY = ("auth", "username", "oauth_client_id", "oauth_tenant")
TOKENS = ("oauth_access_token", "oauth_refresh_token", "oauth_expires_at", "oauth_connected_at")
BOOKKEEPING = (
    "imap_uidvalidity",
    "imap_last_uid",
    "next_poll_at",
    "poll_lease_until",
    "last_poll_at",
    "last_success_at",
    "last_error",
    "last_error_at",
    "last_fetched",
)


def _check_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators manage mailboxes."))


def _validate(mailbox: Mailbox) -> None:
    mailbox.name = (mailbox.name or "").strip()
    mailbox.address = (mailbox.address or "").strip().lower()
    mailbox.host, mailbox.smtp_host = mailbox.host.strip(), mailbox.smtp_host.strip()
    if not mailbox.name:
        raise ValidationFailed(_("The mailbox needs a name."), field="name")
    if mailbox.polled:
        if not mailbox.host:
            raise ValidationFailed(_("Enter the server to fetch mail from."), field="host")
        if not mailbox.username:
            raise ValidationFailed(_("Enter the user name to sign in with."), field="username")
        if mailbox.auth == Mailbox.Auth.PASSWORD and not mailbox.password:
            raise ValidationFailed(_("Enter the password."), field="password")
        if mailbox.poll_seconds < 30:
            raise ValidationFailed(_("Check at most every 30 seconds."), field="poll_seconds")
    if mailbox.after_fetch == Mailbox.AfterFetch.MOVE:
        if mailbox.protocol == Mailbox.Protocol.POP3:
            raise ValidationFailed(
                _("POP3 has no folders: delete the message or leave it."), field="after_fetch"
            )
        if not mailbox.move_to.strip():
            raise ValidationFailed(_("Name the folder to move mail to."), field="move_to")
        if mailbox.move_to.strip() == (mailbox.folder or "INBOX"):
            raise ValidationFailed(
                _("Move mail to another folder than the one it is fetched from."), field="move_to"
            )
    if mailbox.uses_oauth and not mailbox.oauth_client_id:
        raise ValidationFailed(
            _("Enter the OAuth client ID of the app registered with the provider."),
            field="oauth_client_id",
        )
    if mailbox.smtp_host and mailbox.smtp_username and not mailbox.uses_oauth:
        if not mailbox.smtp_password:
            raise ValidationFailed(_("Enter the SMTP password."), field="smtp_password")
    for name in ("port", "smtp_port"):
        if getattr(mailbox, name) is not None and not 1 <= getattr(mailbox, name) <= 65535:
            raise ValidationFailed(_("A port is a number from 1 to 65535."), field=name)
    for name in ("host", "smtp_host"):
        value = getattr(mailbox, name)
        if any(ch.isspace() or ch in "/@" for ch in value):
            raise ValidationFailed(_("Enter a server name or address only."), field=name)


@transaction.atomic
def mailbox_save(*, mailbox: Mailbox, actor, secrets: dict[str, str] | None = None) -> Mailbox:
    """Create or update a mailbox (administrators). A secret left empty keeps the stored one;
    changing the account or app of an OAuth2 mailbox forgets its tokens; changing the server or
    folder starts the UID bookkeeping over. Records mail.mailbox_saved with the names of the
    changed fields (secrets only as "changed")."""
    _check_admin(actor)
    before = Mailbox.objects.filter(pk=mailbox.pk).first() if mailbox.pk else None
    for name, value in (secrets or {}).items():
        if name in SECRETS and value:
            setattr(mailbox, name, value)
        elif before is not None and name in SECRETS:
            setattr(mailbox, name, getattr(before, name))
    if before is not None:
        for name in TOKENS + BOOKKEEPING:
            setattr(mailbox, name, getattr(before, name))
        if any(getattr(before, n) != getattr(mailbox, n) for n in OAUTH_IDENTITY):
            for name in TOKENS:
                setattr(mailbox, name, None if name.endswith("_at") else "")
        if any(getattr(before, n) != getattr(mailbox, n) for n in ("protocol", "host", "folder")):
            mailbox.imap_uidvalidity, mailbox.imap_last_uid = None, 0
    _validate(mailbox)
    changed = [
        field.name
        for field in Mailbox._meta.concrete_fields
        if field.name not in TOKENS + BOOKKEEPING + ("id", "created_at", "updated_at")
        and (before is None or getattr(before, field.attname) != getattr(mailbox, field.attname))
    ]
    try:
        with transaction.atomic():
            mailbox.save()
    except IntegrityError as exc:
        clash = Mailbox.objects.exclude(pk=mailbox.pk)
        if clash.filter(address=mailbox.address).exists():
            raise ValidationFailed(_("Another mailbox has this address."), field="address") from exc
        raise ValidationFailed(_("Another mailbox has this name."), field="name") from exc
    if before is not None:
        Mailbox.objects.filter(pk=mailbox.pk, poll_lease_until__isnull=True).update(
            next_poll_at=None
        )
    event_record(
        actor=actor,
        action="mail.mailbox_saved",
        obj=mailbox,
        changes={"created": before is None, "fields": sorted(changed)},
    )
    return mailbox


@transaction.atomic
def mailbox_connection_check(*, mailbox: Mailbox, actor) -> list[CheckResult]:
    """ "Test connection" (administrators): sign in to the incoming and SMTP servers, change
    nothing there. Records mail.mailbox_tested with which step failed."""
    _check_admin(actor)
    results = mailbox_connection_test(mailbox)
    event_record(
        actor=actor,
        action="mail.mailbox_tested",
        obj=mailbox,
        changes={result.server: result.stage or "ok" for result in results},
    )
    return results


def mailbox_oauth_start(*, mailbox: Mailbox, session, redirect_uri: str, actor) -> str:
    """The provider's consent page to send the administrator to (OAuth2 mailboxes)."""
    _check_admin(actor)
    from .oauth import OAuthProblem, authorisation_start

    try:
        return authorisation_start(mailbox=mailbox, session=session, redirect_uri=redirect_uri)
    except OAuthProblem as exc:
        raise ValidationFailed(exc.message) from exc


def mailbox_oauth_finish(*, session, state: str, code: str, error: str, actor) -> Mailbox:
    """Take the provider's answer: store the tokens on the mailbox the flow started from.
    Records mail.mailbox_connected."""
    _check_admin(actor)
    from .oauth import OAuthProblem, authorisation_finish

    try:
        mailbox = authorisation_finish(session=session, state=state, code=code, error=error)
    except OAuthProblem as exc:
        raise ValidationFailed(exc.message) from exc
    with transaction.atomic():
        event_record(
            actor=actor,
            action="mail.mailbox_connected",
            obj=mailbox,
            changes={"provider": mailbox.auth},
        )
    return mailbox
