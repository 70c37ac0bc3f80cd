"""Two-step sign-in for staff (django-allauth's `allauth.mfa`): who must use it, the one place that
enforces it, the administrators' reset, and the MFA events written to the event log.

allauth runs enrolment (authenticator app, recovery codes, security keys and passkeys) and the
second step of signing in; Helpline adds the product's rules (docs/admin/security.md):

- only staff enrol (the pages are 404 for requesters);
- an administrator may require it for all staff or for some roles: MfaPolicyMiddleware sends a
  signed-in staff member without an authenticator to the enrolment page from every page outside
  /accounts/ until they have one;
- an administrator resets a person's authenticators when a phone or key is lost (`mfa_reset`).
"""

from functools import wraps

from allauth.mfa import signals as mfa_signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from helpline.audit.services import event_record
from helpline.core.errors import PermissionDenied
from helpline.core.models import SiteSettings

from .models import Role, User

# Authenticators that count as a second step; recovery codes only back them up.
SECOND_STEPS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def mfa_allowed(user) -> bool:
    """Staff enrol; requesters do not (their account guards only their own requests, and a lost
    phone would need the desk to step in)."""
    return bool(user.is_authenticated and user.is_active and user.role in Role.STAFF)


def mfa_required(user, site: SiteSettings) -> bool:
    if not mfa_allowed(user):
        return False
    return site.mfa_required_staff or user.role in (site.mfa_required_roles or [])


def mfa_enrolled(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_STEPS).exists()


class MfaAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Two-step sign-in is required for your role: add another authenticator before "
            "removing this one."
        ),
    }

    def _get_site_name(self) -> str:
        return SiteSettings.current().desk_name

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """The last authenticator app or key of someone who must use two-step sign-in stays."""
        user = authenticator.user
        if authenticator.type not in SECOND_STEPS or not mfa_required(user, SiteSettings.current()):
            return True
        return (
            Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_STEPS)
            .exclude(pk=authenticator.pk)
            .exists()
        )


# --- the one place that enforces the requirement ---------------------------------------------

# Paths a staff member who still has to enrol may open: the account pages (enrolment, sign-out,
# profile), the language switch and static files.
_OPEN_PREFIXES = ("/accounts/", "/i18n/", "/healthz", "/favicon")


class MfaPolicyMiddleware:
    """A signed-in staff member who must use two-step sign-in and has no authenticator is sent to
    the enrolment page from every page outside the account pages (the desk, the administration,
    the portal, and any area added later), at once when an administrator turns it on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.role in Role.STAFF
            and not request.path_info.startswith(_OPEN_PREFIXES)
            and not request.path_info.startswith(settings.STATIC_URL)
            and mfa_required(user, SiteSettings.for_request(request))
            and not mfa_enrolled(user)
        ):
            return self._to_enrolment(request)
        return self.get_response(request)

    @staticmethod
    def _to_enrolment(request) -> HttpResponse:
        url = reverse("mfa_index")
        if request.method == "GET" and not request.headers.get("HX-Request"):
            messages.warning(
                request,
                _(
                    "Two-step sign-in is required for your account. Set up an authenticator app "
                    "or a security key to continue."
                ),
            )
        if request.headers.get("HX-Request"):
            # A fragment request must not swap the enrolment page into part of the screen.
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)


def staff_mfa_page(view):
    """allauth's enrolment and management pages, for staff only (everyone else 404)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and not mfa_allowed(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def key_removal_guarded(view):
    """allauth removes a security key without asking the adapter (it asks only for the app): the
    last app or key of someone who must use two-step sign-in stays here too."""

    @wraps(view)
    def wrapper(request, *args, pk: int, **kwargs):
        if request.method == "POST":
            key = Authenticator.objects.filter(
                user_id=request.user.pk, type=Authenticator.Type.WEBAUTHN, pk=pk
            ).first()
            if key is not None and not MfaAdapter().can_delete_authenticator(key):
                messages.error(request, MfaAdapter.error_messages["cannot_delete_authenticator"])
                return HttpResponseRedirect(reverse("mfa_list_webauthn"))
        return view(request, *args, pk=pk, **kwargs)

    return wrapper


def recovery_codes_seen(view):
    """Records that a person looked at or downloaded their recovery codes."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200:
            download = "download" in (request.resolver_match.url_name or "")
            event_record(
                actor=request.user,
                action="mfa.recovery_codes_viewed",
                obj=request.user,
                changes={"download": download},
            )
        return response

    return wrapper


# --- administrators ----------------------------------------------------------------------------


@transaction.atomic
def mfa_reset(*, user: User, actor) -> int:
    """Remove every authenticator of a staff member (lost phone or key), so that they sign in
    with their password alone and enrol again (at once, when it is required for them).

    Only active administrators may do it, and not on themselves (another administrator must, so
    a stolen administrator session cannot quietly strip its owner's second step). Records
    `mfa.reset` with the kinds removed. Returns how many authenticators were removed.
    """
    if not (actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators can reset two-step sign-in."))
    if actor.pk == user.pk:
        raise PermissionDenied(
            _("Another administrator must reset your two-step sign-in; you can manage it yourself.")
        )
    if not mfa_allowed(user) and not Authenticator.objects.filter(user_id=user.pk).exists():
        raise PermissionDenied(_("This person does not use two-step sign-in."))
    User.objects.select_for_update().get(pk=user.pk)
    removed = list(
        Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True).order_by("id")
    )
    Authenticator.objects.filter(user_id=user.pk).delete()
    event_record(
        actor=actor,
        action="mfa.reset",
        obj=user,
        changes={"removed": ", ".join(removed), "count": len(removed)},
    )
    return len(removed)


def mfa_summary(user) -> dict:
    """What the staff page shows: the kinds of authenticator a person has."""
    types = list(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
    return {
        "totp": Authenticator.Type.TOTP in types,
        "webauthn": types.count(Authenticator.Type.WEBAUTHN),
        "recovery_codes": Authenticator.Type.RECOVERY_CODES in types,
        "enrolled": any(kind in SECOND_STEPS for kind in types),
    }


# --- events -------------------------------------------------------------------------------------


def _authenticator_changes(authenticator) -> dict:
    changes = {"type": authenticator.type, "authenticator": authenticator.pk}
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        changes["name"] = str(authenticator.wrap().name)[:100]
    return changes


def authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    event_record(
        actor=user,
        action="mfa.authenticator_added",
        obj=user,
        changes=_authenticator_changes(authenticator),
    )


def authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    owner = authenticator.user if authenticator.user_id else user
    event_record(
        actor=user,
        action="mfa.authenticator_removed",
        obj=owner,
        changes={"type": authenticator.type, "authenticator": authenticator.pk},
    )


def authenticator_reset(sender, request, user, authenticator, **kwargs) -> None:
    action = (
        "mfa.recovery_codes_generated"
        if authenticator.type == Authenticator.Type.RECOVERY_CODES
        else "mfa.authenticator_reset"
    )
    event_record(actor=user, action=action, obj=user, changes={"type": authenticator.type})


def authenticator_used(
    sender, request, user, authenticator, reauthenticated=False, passwordless=False, **kwargs
) -> None:
    # The sign-in itself is `auth.login` (written when the session starts); this says how the
    # second step was passed.
    event_record(
        actor=user,
        action="auth.mfa_reauthenticated" if reauthenticated else "auth.mfa_succeeded",
        obj=user,
        changes={"type": authenticator.type, "passwordless": bool(passwordless)},
    )


def authentication_failed(sender, request, user, authenticator, **kwargs) -> None:
    event_record(
        actor=None,
        action="auth.mfa_failed",
        obj=user,
        changes={
            "type": authenticator.type,
            "reauthentication": bool(kwargs.get("reauthentication")),
        },
        object_repr=user.email,
    )


def connect() -> None:
    for signal, receiver in (
        (mfa_signals.authenticator_added, authenticator_added),
        (mfa_signals.authenticator_removed, authenticator_removed),
        (mfa_signals.authenticator_reset, authenticator_reset),
        (mfa_signals.authenticator_used, authenticator_used),
        (mfa_signals.authentication_failed, authentication_failed),
    ):
        signal.connect(receiver, dispatch_uid=f"helpline.mfa.{receiver.__name__}")
