"""OAuth2 for Gmail and Microsoft 365 mailboxes: the authorisation-code flow started from the
mailbox's settings page, the tokens kept on the mailbox, and their refresh before expiry.

The endpoints are the providers' own; MAIL_OAUTH_ENDPOINTS overrides them (tests run a small
provider on loopback). Tokens and the client secret are never logged or shown.
"""

import json
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from helpline.core import clock

from .models import Mailbox

log = logging.getLogger(__name__)
# Refresh this long before the access token expires, so a poll never starts with a token that
# dies half-way through.
REFRESH_MARGIN = timedelta(minutes=5)
SESSION_KEY = "mailbox_oauth"


@dataclass(frozen=True)
class ProviderConfig:
    authorize_url: str
    token_url: str
    scope: str
    extra: dict[str, str]


def provider(mailbox: Mailbox) -> ProviderConfig:
    overrides = settings.MAIL_OAUTH_ENDPOINTS.get(mailbox.auth, {})
    if mailbox.auth == Mailbox.Auth.GOOGLE:
        config = ProviderConfig(
            authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
            token_url="https://oauth2.googleapis.com/token",  # noqa: S106 - a URL
            scope="https://mail.google.com/",
            # A refresh token is only handed out with offline access and fresh consent.
            extra={"access_type": "offline", "prompt": "consent"},
        )
    elif mailbox.auth == Mailbox.Auth.MICROSOFT:
        tenant = mailbox.oauth_tenant or "common"
        base = f"https://login.microsoftonline.com/{urllib.parse.quote(tenant)}/oauth2/v2.0"
        config = ProviderConfig(
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token",
            scope=" ".join(
                [
                    "https://outlook.office.com/IMAP.AccessAsUser.All",
                    "https://outlook.office.com/POP.AccessAsUser.All",
                    "https://outlook.office.com/SMTP.Send",
                    "offline_access",
                ]
            ),
            extra={"prompt": "select_account"},
        )
    else:
        raise OAuthProblem(_("This mailbox signs in with a password, not OAuth2."))
    return ProviderConfig(
        authorize_url=overrides.get("authorize_url", config.authorize_url),
        token_url=overrides.get("token_url", config.token_url),
        scope=overrides.get("scope", config.scope),
        extra=config.extra,
    )


class OAuthProblem(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def authorisation_start(*, mailbox: Mailbox, session, redirect_uri: str) -> str:
    """The provider's consent page URL for `mailbox`; the state (bound to the mailbox) is kept
    in the administrator's session so the callback can check it."""
    if not mailbox.oauth_client_id or not mailbox.oauth_client_secret:
        raise OAuthProblem(_("Enter the OAuth client ID and secret first, then connect."))
    config = provider(mailbox)
    state = secrets.token_urlsafe(24)
    session[SESSION_KEY] = {"state": state, "mailbox": mailbox.pk, "redirect_uri": redirect_uri}
    query = {
        "client_id": mailbox.oauth_client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": config.scope,
        "state": state,
        "login_hint": mailbox.username or mailbox.address,
        **config.extra,
    }
    return f"{config.authorize_url}?{urllib.parse.urlencode(query)}"


def _token_request(mailbox: Mailbox, fields: dict[str, str]) -> dict:
    config = provider(mailbox)
    data = urllib.parse.urlencode(
        {
            "client_id": mailbox.oauth_client_id,
            "client_secret": mailbox.oauth_client_secret,
            **fields,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the provider's https URL (or a test's)
        config.token_url,
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.MAIL_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read().decode())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read().decode())
        except ValueError:
            body = {}
        reason = body.get("error_description") or body.get("error") or str(exc.code)
        raise OAuthProblem(
            _("The provider refused the request: %(reason)s") % {"reason": str(reason)[:200]}
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise OAuthProblem(
            _("The provider could not be reached: %(reason)s")
            % {"reason": str(getattr(exc, "reason", exc))[:200]}
        ) from exc


def _store_tokens(mailbox: Mailbox, answer: dict, *, connected: bool) -> None:
    access = answer.get("access_token")
    if not access:
        raise OAuthProblem(_("The provider sent no access token."))
    now = clock.now()
    expires = now + timedelta(seconds=int(answer.get("expires_in") or 3600))
    fields = {"oauth_access_token": access, "oauth_expires_at": expires}
    # Providers may keep the refresh token (Google) or rotate it (Microsoft).
    if answer.get("refresh_token"):
        fields["oauth_refresh_token"] = answer["refresh_token"]
    if connected:
        fields["oauth_connected_at"] = now
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    for name, value in fields.items():
        setattr(mailbox, name, value)


def authorisation_finish(*, session, state: str, code: str, error: str = "") -> Mailbox:
    """Exchange the provider's code for tokens and store them on the mailbox the flow started
    from. The state must match the one kept in this session (no code from elsewhere)."""
    started = session.pop(SESSION_KEY, None)
    if not started or not state or not secrets.compare_digest(str(started["state"]), state):
        raise OAuthProblem(_("This sign-in did not start here or has expired; connect again."))
    mailbox = Mailbox.objects.get(pk=started["mailbox"])
    if error:
        raise OAuthProblem(
            _("The provider did not grant access: %(error)s") % {"error": error[:200]}
        )
    answer = _token_request(
        mailbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": started["redirect_uri"],
        },
    )
    if not answer.get("refresh_token"):
        raise OAuthProblem(
            _("The provider sent no refresh token; allow offline access and connect again.")
        )
    _store_tokens(mailbox, answer, connected=True)
    log.info("Mailbox %s connected by OAuth2 (%s).", mailbox.pk, mailbox.auth)
    return mailbox


def access_token_fresh(mailbox: Mailbox) -> str:
    """A valid access token for `mailbox`, refreshed first when it expires within the margin.

    Concurrent pollers and senders refresh once: the row is locked while one refreshes, the
    others then read the new token."""
    if not mailbox.oauth_refresh_token and not mailbox.oauth_access_token:
        raise OAuthProblem(_("This mailbox is not connected yet: use “Connect” on its page."))
    now = clock.now()
    if mailbox.oauth_expires_at and mailbox.oauth_expires_at - REFRESH_MARGIN > now:
        return mailbox.oauth_access_token
    with transaction.atomic():
        row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if row.oauth_expires_at and row.oauth_expires_at - REFRESH_MARGIN > clock.now():
            mailbox.oauth_access_token = row.oauth_access_token
            mailbox.oauth_expires_at = row.oauth_expires_at
            return row.oauth_access_token
        if not row.oauth_refresh_token:
            raise OAuthProblem(
                _("The access has expired and there is no refresh token; connect again.")
            )
        answer = _token_request(
            row, {"grant_type": "refresh_token", "refresh_token": row.oauth_refresh_token}
        )
        _store_tokens(mailbox, answer, connected=False)
    log.info("Mailbox %s: OAuth2 access token refreshed.", mailbox.pk)
    return mailbox.oauth_access_token
