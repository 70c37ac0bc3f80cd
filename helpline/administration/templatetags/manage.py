"""Template filters for the administrators' pages: readable event changes and object links."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.audit.selectors import event_object_type_names

register = template.Library()

# Where an event's object is looked at; anything else is shown as text only.
OBJECT_PAGES = {
    "tickets.ticket": "desk:ticket",
    "accounts.user": "manage:person",
    "accounts.department": "manage:department",
    "accounts.organisation": "manage:organisation",
    "tickets.status": "manage:status",
    "tickets.topic": "manage:topic",
    "mail.mailbox": "manage:mailbox",
    "mail.quarantinedmail": "manage:quarantine_item",
    "mail.stoprule": "manage:stop_rule",
}


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        if "name" in value:
            # A reference kept with its id and a snapshot of its name (ticket history changes).
            return str(value["name"]) or "—"
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)


# Sign-in events read as words next to their code (the code stays: it is what filters use).
ACTION_LABELS = {
    "auth.mfa_succeeded": gettext_lazy("Two-step sign-in passed"),
    "auth.mfa_failed": gettext_lazy("Two-step sign-in failed"),
    "auth.mfa_reauthenticated": gettext_lazy("Confirmed with a second step"),
    "mfa.authenticator_added": gettext_lazy("Authenticator added"),
    "mfa.authenticator_removed": gettext_lazy("Authenticator removed"),
    "mfa.authenticator_reset": gettext_lazy("Authenticator reset"),
    "mfa.recovery_codes_generated": gettext_lazy("Recovery codes made"),
    "mfa.recovery_codes_viewed": gettext_lazy("Recovery codes viewed"),
    "mfa.reset": gettext_lazy("Two-step sign-in reset by an administrator"),
    "auth.sso_login": gettext_lazy("Signed in through single sign-on"),
    "auth.sso_connected": gettext_lazy("Single sign-on account linked"),
    "auth.sso_refused": gettext_lazy("Single sign-on refused"),
    "auth.sso_failed": gettext_lazy("Single sign-on failed"),
    "account.address_added": gettext_lazy("Address to confirm added"),
    "account.address_removed": gettext_lazy("Address removed"),
    "account.address_primary_changed": gettext_lazy("Primary address changed"),
    "requester.address_added": gettext_lazy("Address added by an administrator"),
    "requester.address_removed": gettext_lazy("Address removed by an administrator"),
    "requester.staff_address_used": gettext_lazy("Request filed under a staff address"),
    "mail.mailbox_saved": gettext_lazy("Mailbox saved"),
    "mail.mailbox_tested": gettext_lazy("Mailbox connection tested"),
    "mail.mailbox_connected": gettext_lazy("Mailbox connected by OAuth2"),
}


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, ""))


# Events whose pairs all start (or end) empty read better as plain values.
NEW_SUFFIXES = (".created", ".added", ".registered")
GONE_SUFFIXES = (".deleted", ".removed", ".purged")


@register.filter
def change_rows(event) -> list[tuple[str, str, str | None]]:
    """(field, before, after) for `[before, after]` pairs; (field, value, None) for plain facts."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    created = event.action.endswith(NEW_SUFFIXES)
    gone = event.action.endswith(GONE_SUFFIXES)
    rows = []
    for key, value in changes.items():
        label = str(key).removeprefix("can_").replace("_", " ")
        if isinstance(value, list) and len(value) == 2:
            if created and value[0] is None:
                rows.append((label, _shown(value[1]), None))
            elif gone and value[1] is None:
                rows.append((label, _shown(value[0]), None))
            else:
                rows.append((label, _shown(value[0]), _shown(value[1])))
        else:
            rows.append((label, _shown(value), None))
    return rows


@register.filter
def object_kind(object_type: str) -> str:
    """The readable name of an event's object type in the reader's language (else the label)."""
    return event_object_type_names().get(object_type, object_type)


@register.filter
def object_url(event) -> str:
    if event.object_type == "core.sitesettings":
        return reverse("manage:settings")
    name = OBJECT_PAGES.get(event.object_type)
    if name is None or not event.object_id.isdigit():
        return ""
    return reverse(name, args=[int(event.object_id)])


@register.simple_tag
def manage_menu() -> list[tuple[str, str, str, str]]:
    """(key, label, icon, url) of each administration area, in menu order."""
    entries = [
        ("index", _("Overview"), "bi-speedometer2", "manage:index"),
        ("departments", _("Departments"), "bi-diagram-3", "manage:departments"),
        ("staff", _("Staff"), "bi-person-badge", "manage:staff"),
        ("organisations", _("Organisations"), "bi-building", "manage:organisations"),
        ("requesters", _("Requesters"), "bi-people", "manage:requesters"),
        ("statuses", _("Statuses"), "bi-flag", "manage:statuses"),
        ("priorities", _("Priority matrix"), "bi-grid-3x3", "manage:priorities"),
        ("topics", _("Topics"), "bi-signpost-split", "manage:topics"),
        ("activity_types", _("Activity types"), "bi-stopwatch", "timelog:activity_types"),
        ("settings", _("Settings"), "bi-sliders", "manage:settings"),
        ("events", _("Event log"), "bi-journal-text", "manage:events"),
        ("outbox", _("Outgoing mail"), "bi-envelope-arrow-up", "manage:outbox"),
        ("mailboxes", _("Mailboxes"), "bi-mailbox", "manage:mailboxes"),
        ("letters", _("Letters"), "bi-envelope-paper", "manage:letters"),
        ("replies", _("Reply templates"), "bi-chat-square-text", "manage:replies"),
        ("quarantine", _("Mail quarantine"), "bi-shield-exclamation", "manage:quarantine"),
        ("stop_rules", _("Stop list"), "bi-slash-circle", "manage:stop_rules"),
    ]
    return [(key, label, icon, reverse(url)) for key, label, icon, url in entries]
