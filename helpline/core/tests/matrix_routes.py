"""The access matrix's table: every URL the project resolves, classified.

A URL is classified by one entry in `ROUTES`, keyed by its full name ("namespace:name", or the
bare name for URLs outside any namespace, like Django's `set_language`). Each entry is a list of
cases; a case says

- `args`: how to fill the URL's arguments, each with a real object of a KIND below (never an
  id that 404s for everyone);
- `method`: GET or POST (`also_post` on a GET case: the URL takes a form too, so every persona
  who is turned away from the page is also turned away from a POST to it);
- `answers`: for EVERY persona of the scenario, the answer expected: a normal answer (OK, PAGE,
  GOES) for those entitled, a denial (NOT_FOUND, LOGIN, HIDDEN, REFUSED) for the others; `grant`
  builds the usual shape (entitled personas answered normally, anonymous sent to sign in,
  everyone else 404);
- `data`, `setup`, `effect`: what a POST sends, the state the case needs (e.g. a resolved or
  trashed request), and how to tell that the action took effect (it must for those entitled, and
  must not for anyone refused).

Every case runs inside a savepoint that is rolled back, so a POST that changes, trashes or
deletes an object leaves the scenario as it was for the next case.

A new URL: add an entry (the test names what is missing and the arguments it takes). A new
namespace (a library's URLs, say): classify each of its URLs the same way; public pages
(sign-in, password reset, health) answer every persona normally.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import signing
from django.core.files.base import ContentFile
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Department, DepartmentMembership, User
from helpline.accounts.selfservice import _ADDRESS_SALT as ADDRESS_SALT
from helpline.audit.models import Event
from helpline.core.submissions import submission_key_new
from helpline.desk.models import SavedView, SidebarOrder
from helpline.desk.ticket_forms import FieldsForm
from helpline.kb.models import (
    Article,
    ArticleComment,
    ArticleFile,
    ArticleStatus,
    ArticleVote,
    Favourite,
    TicketArticle,
)
from helpline.mail.models import (
    LetterTemplate,
    MailMessage,
    OutboxMessage,
    QuarantinedMail,
    StopRule,
)
from helpline.notify.models import Notification
from helpline.replies.models import ReplyTemplate
from helpline.staffmail import services as staffmail_services
from helpline.staffmail.models import Message
from helpline.teamwork.models import AssignmentRule, StaffStatus
from helpline.tickets import services
from helpline.tickets.models import Entry, EntryKind, Status, StatusCategory, Ticket
from helpline.timelog.models import ActivityType, RunningTimer, TimeEntry

from .matrix_scenario import (
    ANONYMOUS,
    DESK_T,
    ENROLLED,
    KB_EDITORS,
    KB_STAFF,
    MANAGERS,
    PERSONAS,
    REQUESTERS,
    SIGNED_IN,
    STAFF,
    Scenario,
)

# --- answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one persona must get. `allowed`: a normal answer (the action takes effect); else a
    denial (nothing changes, none of the case's markers in the response)."""

    status: int
    allowed: bool
    to: str | Callable[[Scenario], str] | None = None  # a redirect's target (URL name or path)
    shows: bool = False  # the case's markers must be on the page
    # A refusal to someone who may see the object in the URL, only not do this: the page they
    # get back may show it (the global secrets and the case's `about` objects still may not).
    sees_args: bool = False
    # An entitled answer that changes nothing (a change from an older page answered with what
    # happened since): the case's effect must not happen.
    changes: bool = True

    def target(self, scenario: Scenario) -> str | None:
        if self.to is None:
            return None
        if callable(self.to):
            return self.to(scenario)
        return self.to if self.to.startswith("/") else reverse(self.to)


OK = Answer(200, allowed=True, shows=True)  # the page, showing the object
PAGE = Answer(200, allowed=True)  # the page (nothing of the case's objects to show)
NOT_FOUND = Answer(404, allowed=False)
LOGIN = Answer(302, allowed=False, to="accounts:login")
HIDDEN = Answer(200, allowed=False)  # a page of one's own, without the case's objects
# A change sent from an older page: the same form again with what happened since (nothing
# changed); only for those who may make the change at all.
CONFLICT = Answer(409, allowed=True, changes=False)


def GOES(to: str | Callable[[Scenario], str]) -> Answer:  # noqa: N802 (reads like the others)
    """A redirect to where the action leads (a URL name without arguments, a path, or a
    function of the scenario)."""
    return Answer(302, allowed=True, to=to)


def REFUSED(status: int, to: str | Callable[[Scenario], str] | None = None) -> Answer:  # noqa: N802
    """Turned away by the service or the form (the person may see the object, not do this)."""
    return Answer(status, allowed=False, to=to, sees_args=True)


def grant(
    entitled: Iterable[str],
    answer: Answer = OK,
    *,
    others: Answer = NOT_FOUND,
    anonymous: Answer | None = None,
    **overrides: Answer,
) -> dict[str, Answer]:
    """`answer` for the entitled personas, `others` for the rest, sign-in for anonymous (unless
    `anonymous` says otherwise)."""
    entitled = set(entitled)
    answers = {p: answer if p in entitled else others for p in PERSONAS}
    if anonymous is not None:
        answers[ANONYMOUS] = anonymous
    elif ANONYMOUS not in entitled:
        answers[ANONYMOUS] = LOGIN
    answers.update(overrides)
    return answers


def public(answer: Answer = PAGE, **overrides: Answer) -> dict[str, Answer]:
    return grant(PERSONAS, answer, **overrides)


ADDED_ADDRESS = "matrix-added@addresses.test"

# --- URL argument kinds: a real object each, and the markers it carries ------------------------


@dataclass(frozen=True)
class Kind:
    value: Callable[[Scenario], object]
    markers: Callable[[Scenario], tuple[str, ...]] = lambda s: ()  # must not leak when denied
    shown: Callable[[Scenario], tuple[str, ...]] = lambda s: ()  # on the page when allowed


def _ticket_kind(name: str, note: str | None = None, show: int = 0) -> Kind:
    def markers(s: Scenario) -> tuple[str, ...]:
        return s.markers[name] + (s.markers[note] if note else ())

    return Kind(
        value=lambda s: getattr(s, name).pk,
        markers=markers,
        shown=lambda s: (s.markers[name][show],),
    )


def _file_kind(name: str, entry_kind: str, group: str, note: str | None = None) -> Kind:
    def markers(s: Scenario) -> tuple[str, ...]:
        return s.markers[name] + (s.markers[note] if note else ())

    return Kind(
        value=lambda s: s.attachment(getattr(s, name), entry_kind).pk,
        markers=markers,
        shown=lambda s: (s.markers[group][-1],),  # the file's content
    )


MAIL_HTML_MARKER = "MARKER-MAIL-HTML"
MAIL_RAW_MARKER = "MARKER-MAIL-RAW"


def _mail_entry(s: Scenario) -> Entry:
    return Entry.objects.filter(ticket=s.ticket, kind=EntryKind.REPLY).order_by("id").first()


def _with_mail(s: Scenario) -> None:
    """The request's first entry came by mail: its HTML and its original message are kept."""
    mail = MailMessage(
        entry=_mail_entry(s),
        direction="in",
        from_address="alice@acme.test",
        html=f"<p>{MAIL_HTML_MARKER}</p>",
    )
    mail.raw.save("message.eml", ContentFile(f"Subject: x\r\n\r\n{MAIL_RAW_MARKER}".encode()))


def _mail_kind(shown: str) -> Kind:
    return Kind(
        value=lambda s: _mail_entry(s).pk,
        markers=lambda s: (*s.markers["ticket"], shown),
        shown=lambda s: (shown,),
    )


def _named(get: Callable[[Scenario], object], text: Callable[[object], str]) -> Kind:
    return Kind(
        value=lambda s: get(s).pk,
        markers=lambda s: (text(get(s)),),
        shown=lambda s: (text(get(s)),),
    )


TIME_MARKER = "MARKER-TIME-Driver reinstall"
ACTIVITY_MARKER = "MARKER-ACTIVITY-Remote session"


def _time_entry(s: Scenario) -> TimeEntry:
    """Dana's time entry on `ticket` (made when a case first needs it)."""
    entry = TimeEntry.objects.filter(comment=TIME_MARKER).first()
    return entry or TimeEntry.objects.create(
        ticket=s.ticket, author=s.people["agent_in"], minutes=25, comment=TIME_MARKER
    )


def _activity_type(s: Scenario) -> ActivityType:
    return ActivityType.objects.get_or_create(name=ACTIVITY_MARKER)[0]


def _timers_running(s: Scenario) -> None:
    for persona in STAFF:
        RunningTimer.objects.create(ticket=s.ticket, author=s.people[persona])


def _to_time(s: Scenario) -> str:
    return reverse("desk:ticket", args=[s.ticket.pk])


KINDS: dict[str, Kind] = {
    "time_entry": Kind(
        value=lambda s: _time_entry(s).pk,
        markers=lambda s: (TIME_MARKER,),
        shown=lambda s: (TIME_MARKER,),
    ),
    "activity_type": Kind(
        value=lambda s: _activity_type(s).pk,
        markers=lambda s: (ACTIVITY_MARKER,),
        shown=lambda s: (ACTIVITY_MARKER,),
    ),
    "ticket": _ticket_kind("ticket", note="ticket_note"),
    "ticket_2": _ticket_kind("ticket_2"),
    "ticket_b": _ticket_kind("ticket_b"),
    "ticket_x": _ticket_kind("ticket_x", note="ticket_x_note"),
    "ticket_billing": _ticket_kind("ticket_billing"),
    "ticket_c": _ticket_kind("ticket_c"),
    "ticket_file": _file_kind("ticket", EntryKind.REPLY, "ticket", note="ticket_note"),
    "ticket_note_file": _file_kind("ticket", EntryKind.NOTE, "ticket_note", note="ticket_note"),
    "ticket_b_file": _file_kind("ticket_b", EntryKind.REPLY, "ticket_b"),
    "ticket_x_file": _file_kind("ticket_x", EntryKind.REPLY, "ticket_x", note="ticket_x_note"),
    "ticket_x_note_file": _file_kind(
        "ticket_x", EntryKind.NOTE, "ticket_x_note", note="ticket_x_note"
    ),
    "ticket_c_file": _file_kind("ticket_c", EntryKind.REPLY, "ticket_c"),
    "ticket_mail_html": _mail_kind(MAIL_HTML_MARKER),
    "ticket_mail_raw": _mail_kind(MAIL_RAW_MARKER),
    "department": _named(lambda s: s.support, lambda d: d.name),
    "staff_member": _named(lambda s: s.staff_member, lambda u: u.first_name),
    "requester": _named(lambda s: s.requester_person, lambda u: u.first_name),
    "organisation": _named(lambda s: s.organisation, lambda o: o.name),
    "status": _named(lambda s: s.status, lambda st: st.name),
    "topic": _named(lambda s: s.topic, lambda t: t.name),
    "reset_uidb36": Kind(value=lambda s: s.reset_uidb36),
    "reset_key": Kind(value=lambda s: s.reset_key),
    "signup_key": Kind(value=lambda s: s.signup_key, shown=lambda s: ("newcomer@",)),
    # The staff member's own requester (of the request given to the external provider).
    "requester_of_x": Kind(
        value=lambda s: s.people["requester_a"].pk,
        markers=lambda s: ("alice@acme.test",),
        shown=lambda s: ("alice@acme.test",),
    ),
    # Dana's security key (two-step sign-in) and recovery codes: hers alone.
    "security_key": Kind(
        value=lambda s: s.security_key.pk,
        markers=lambda s: ("MARKER-KEY",),
        shown=lambda s: ("MARKER-KEY",),
    ),
    "recovery_codes": Kind(
        value=lambda s: None,
        markers=lambda s: s.recovery_codes,
        shown=lambda s: s.recovery_codes[:1],
    ),
    # The board's typeahead look-ups (desk:lookup), by the filter they serve.
    "lookup_organisation": Kind(value=lambda s: "organisation"),
    "lookup_requester": Kind(value=lambda s: "requester"),
    "lookup_tag": Kind(value=lambda s: "tag"),
    "lookup_responsible": Kind(value=lambda s: "responsible"),
    "lookup_unknown": Kind(value=lambda s: "password"),
    "lookup_mention": Kind(value=lambda s: "mention"),
    # Internal mail (Dana to Manny, about `ticket`) and Manny's notification of it.
    "staff_message": Kind(
        value=lambda s: s.staff_message.pk,
        markers=lambda s: s.markers["staff_message"],
        shown=lambda s: s.markers["staff_message"],
    ),
    # Where only its subject is shown (the notifications centre).
    "staff_message_subject": Kind(
        value=lambda s: s.staff_message.pk,
        markers=lambda s: s.markers["staff_message"],
        shown=lambda s: s.markers["staff_message"][:1],
    ),
    # The request's internal mail panel: the request, showing the message attached to it.
    "ticket_staffmail": Kind(
        value=lambda s: s.ticket.pk,
        markers=lambda s: s.markers["ticket"] + s.markers["staff_message"],
        shown=lambda s: s.markers["staff_message"],
    ),
    "staff_message_file": Kind(
        value=lambda s: s.staff_message.files.get().pk,
        markers=lambda s: ("MARKER-STAFFMAIL-FILE",),
        shown=lambda s: ("MARKER-STAFFMAIL-FILE",),
    ),
    "notification": Kind(value=lambda s: s.notification.pk),
    # A configured single sign-on provider (test_access_matrix's `sso` fixture).
    "sso_provider": Kind(value=lambda s: "corp"),
    "admin_self": Kind(value=lambda s: s.people["admin"].pk),
    "outbox_message": _named(lambda s: s.outbox_message, lambda m: m.subject),
    "saved_view": _named(lambda s: s.saved_view, lambda v: v.name),
    "reply_template": _named(lambda s: s.reply_template, lambda t: t.name),
    "mailbox": _named(lambda s: s.mailbox, lambda m: m.name),
    "quarantined": _named(lambda s: s.quarantined, lambda m: m.subject),
    "stop_rule": _named(lambda s: s.stop_rule, lambda r: r.pattern),
    # Articles by the first word of their title (search results highlight the others).
    "kb_category": _named(lambda s: s.kb_category, lambda c: c.name),
    "kb_article": _named(lambda s: s.kb_article, lambda a: a.title.split()[0]),
    "kb_staff_article": _named(lambda s: s.kb_staff_article, lambda a: a.title.split()[0]),
    "kb_acme_article": _named(lambda s: s.kb_acme_article, lambda a: a.title.split()[0]),
    "kb_proposal": _named(lambda s: s.kb_proposal, lambda a: a.title.split()[0]),
    "kb_comment": _named(lambda s: s.kb_comment, lambda c: c.body),
    "kb_revision_1": Kind(value=lambda s: 1),
    "kb_file": Kind(
        value=lambda s: s.kb_file.pk,
        markers=lambda s: ("MARKER-KB-FILE",),
        shown=lambda s: ("MARKER-KB-FILE",),
    ),
    "ticket_reply": Kind(
        value=lambda s: _mail_entry(s).pk,
        markers=lambda s: s.markers["ticket"],
        shown=lambda s: (s.markers["ticket"][1],),  # the description
    ),
    # A link mailed to an address requester A asked to add: it names that address to A only.
    "address_token": Kind(
        value=lambda s: signing.dumps(
            {"user": s.people["requester_a"].pk, "email": ADDED_ADDRESS}, salt=ADDRESS_SALT
        ),
        markers=lambda s: (ADDED_ADDRESS,),
        shown=lambda s: (ADDED_ADDRESS,),
    ),
}


# --- cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    answers: Mapping[str, Answer]
    args: Mapping[str, str] = field(default_factory=dict)  # URL argument -> KINDS key
    method: str = "GET"
    also_post: bool = False
    query: str | Callable[[Scenario], str] = ""
    about: tuple[str, ...] = ()  # further KINDS whose markers the case is about (list pages)
    data: Callable[[Scenario], dict] | None = None
    setup: Callable[[Scenario], None] | None = None
    effect: Callable[[Scenario, str], bool] | None = None  # (scenario, persona) -> took effect?
    label: str = ""


def _pk(s: Scenario, persona: str) -> int | None:
    return s.people[persona].pk if persona in s.people else None


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _to_ticket(name: str) -> Callable[[Scenario], str]:
    return lambda s: reverse("desk:ticket", args=[getattr(s, name).pk])


def _to_reply_template(s: Scenario) -> str:
    return reverse("replies:change", args=[s.reply_template.pk])


def _to_request(name: str) -> Callable[[Scenario], str]:
    return lambda s: reverse("portal:request", args=[getattr(s, name).pk])


def _resolve(name: str) -> Callable[[Scenario], None]:
    def setup(s: Scenario) -> None:
        resolved = Status.objects.filter(category=StatusCategory.RESOLVED, is_active=True).first()
        services.ticket_update(ticket=getattr(s, name), actor=s.people["admin"], status=resolved)

    return setup


def _trash(name: str) -> Callable[[Scenario], None]:
    return lambda s: services.ticket_delete(ticket=getattr(s, name), actor=s.people["admin"])


def _link(s: Scenario) -> None:
    services.ticket_link(ticket=s.ticket, other=s.ticket_2, actor=s.people["admin"])


def _recovery_codes_replaced(s: Scenario) -> bool:
    codes = Authenticator.objects.get(
        user=s.people[ENROLLED], type=Authenticator.Type.RECOVERY_CODES
    )
    return RecoveryCodes(codes).get_unused_codes() != list(s.recovery_codes)


def _entry_added(name: str, body: str, kind: str = EntryKind.REPLY):
    return lambda s, p: getattr(s, name).entries.filter(kind=kind, body=body).exists()


def _fields_data(s: Scenario) -> dict:
    t = _fresh(s.ticket)
    return {
        "ticket_class": t.ticket_class,
        "status": t.status_id,
        "impact": t.impact,
        "urgency": t.urgency,
        "priority": 4 if t.priority != 4 else 1,
        "department": t.department_id,
        "assignee": t.assignee_id or "",
        "line": t.line,
        "reason": "",
    }


# What the forms of the ticket page send besides what is typed (docs/decisions/0007): every form
# that changes the request carries the version and the newest entry the page showed; replies and
# notes a one-time key; the Properties panel the values each field was shown with.
VERSIONED, ENTRY, PROPERTIES = "versioned", "entry", "properties"


def _as_sent(
    form: str | None, ticket: str, typed: Callable[[Scenario], dict] | None
) -> Callable[[Scenario], dict] | None:
    """`typed` with the hidden fields the page's `form` carries, as the page shows them now."""
    if form is None:
        return typed

    def data(s: Scenario) -> dict:
        shown = _fresh(getattr(s, ticket))
        sent = {
            "version": shown.version,
            "seen": Entry.objects.filter(ticket=shown).aggregate(last=Max("pk"))["last"] or 0,
        }
        if form == ENTRY:
            sent["submission"] = submission_key_new()
        if form == PROPERTIES:
            sent |= {
                f"initial-{name}": "" if value is None else value
                for name, value in FieldsForm.values_of(shown).items()
            }
        return sent | (typed(s) if typed else {})

    return data


def _older_page(typed: Callable[[Scenario], dict]) -> Callable[[Scenario], dict]:
    """The form as an older page sent it: the version before someone else's change."""
    return lambda s: typed(s) | {"version": _fresh(s.ticket).version - 1}


def _changed_meanwhile(s: Scenario) -> None:
    services.ticket_update(ticket=s.ticket, actor=s.people["admin"], urgency=1, impact=1)


def _desk_ticket_action(
    *,
    form: str | None = None,
    data: Callable[[Scenario], dict] | None = None,
    effect: Callable[[Scenario, str], bool] | None = None,
    setup: Callable[[Scenario], None] | None = None,
    entitled: Iterable[str] = DESK_T,
    to: Callable[[Scenario], str] | None = None,
    args: Mapping[str, str] | None = None,
    about: tuple[str, ...] = (),
    label: str = "",
    answer: Answer | None = None,
    **overrides: Answer,
) -> list[Case]:
    """A POST on `ticket` at the desk: Support and the supervisors act; everyone else 404.
    `form`: which of the page's forms it is (what it sends besides `data`)."""
    args = args or {"pk": "ticket"}
    return [
        Case(
            args=args,
            about=about,
            method="POST",
            data=_as_sent(form, args["pk"], data),
            setup=setup,
            effect=effect,
            label=label,
            answers=grant(entitled, answer or GOES(to or _to_ticket(args["pk"])), **overrides),
        )
    ]


def _outbox_status(s: Scenario) -> str:
    return OutboxMessage.objects.get(pk=s.outbox_message.pk).status


def _quarantine_status(s: Scenario) -> str:
    return QuarantinedMail.objects.get(pk=s.quarantined.pk).status


def _admin_page(
    args: Mapping[str, str] | None = None, *, about: tuple[str, ...] = (), form: bool = False
) -> list[Case]:
    """An administration page: administrators only; everyone else 404, anonymous to sign-in.
    The page shows the object in its arguments, or a list shows those in `about`."""
    return [
        Case(
            args=args or {},
            about=about,
            also_post=form,
            answers=grant(["admin"], OK if args or about else PAGE),
        )
    ]


def _admin_post(args, data, effect, to) -> list[Case]:
    return [
        Case(
            args=args,
            method="POST",
            data=data,
            effect=effect,
            answers=grant(["admin"], GOES(to)),
        )
    ]


# Who reads `ticket` in the portal: its requester and the colleagues of a sharing organisation.
# Only the requester acts on it (reply, confirm, reopen): Acme shares read-only, the default.
PORTAL_T = ("requester_a", "colleague_a")
# Who reads and acts on `ticket_c`: Cleo, whose organisation (Initrode) lets colleagues act.
PORTAL_C = ("colleague_c",)


# The same view at the same path under a second name (allauth reverses its own names, e.g.
# `account_login`; Helpline uses `accounts:login`): checked to be the same page, run once.
ALIASES: dict[str, str] = {
    "account_login": "accounts:login",
    "account_logout": "accounts:logout",
    "account_reset_password": "accounts:password_reset",
    "account_reset_password_done": "accounts:password_reset_done",
    "account_reset_password_from_key": "accounts:password_reset_confirm",
    "account_reset_password_from_key_done": "accounts:password_reset_complete",
    "account_signup": "accounts:signup",
    "account_email_verification_sent": "accounts:signup_sent",
    "account_confirm_email": "accounts:signup_confirm",
    "account_inactive": "accounts:inactive",
}


def _kb_editors(answer: Answer) -> dict[str, Answer]:
    return {p: answer for p in KB_EDITORS}


def _kb_to(name: str, attr: str = "kb_article") -> Callable[[Scenario], str]:
    return lambda s: reverse(name, args=[getattr(s, attr).pk])


ROUTES: dict[str, list[Case]] = {
    # --- Django's language switch (django.conf.urls.i18n) ---------------------------------
    "set_language": [
        Case(
            method="POST", data=lambda s: {"language": "nb", "next": "/"}, answers=public(GOES("/"))
        )
    ],
    # --- core -------------------------------------------------------------------------------
    # The check reads on its own connection, which cannot see the scenario in the test's open
    # transaction (no heartbeat there): public, answering 503 here (test_health.py covers 200).
    "core:healthz": [Case(answers=public(Answer(503, allowed=True)))],
    "core:home": [
        Case(
            answers=grant(
                STAFF,
                GOES("desk:board"),
                **{p: GOES("portal:requests") for p in REQUESTERS},
            )
        )
    ],
    # --- accounts ---------------------------------------------------------------------------
    "accounts:login": [Case(answers=grant([ANONYMOUS], PAGE, others=GOES("core:home")))],
    "accounts:logout": [Case(method="POST", answers=public(GOES("accounts:login")))],
    "accounts:password_reset": [Case(answers=public())],
    "accounts:password_reset_done": [Case(answers=public())],
    "accounts:password_reset_confirm": [
        # The link from the mail (a real token for requester A): anyone holding it is sent on
        # to the set-password form, with the token kept in the session, not the address.
        Case(
            args={"uidb36": "reset_uidb36", "key": "reset_key"},
            answers=public(
                GOES(
                    lambda s: reverse(
                        "accounts:password_reset_confirm",
                        kwargs={"uidb36": s.reset_uidb36, "key": "set-password"},
                    )
                )
            ),
        )
    ],
    "accounts:password_reset_complete": [Case(answers=public())],
    "accounts:signup": [Case(answers=grant([ANONYMOUS], PAGE, others=GOES("core:home")))],
    "accounts:signup_sent": [Case(answers=public())],
    "accounts:signup_confirm": [
        # The link from the confirmation mail: it shows whose sign-up it confirms, to whoever
        # holds it (that is what the link is for).
        Case(args={"key": "signup_key"}, answers=public(OK))
    ],
    "accounts:inactive": [Case(answers=public())],
    "accounts:profile": [Case(answers=grant(SIGNED_IN, PAGE))],
    # --- confirming it is you, two-step sign-in (allauth.mfa), single sign-on ----------------
    # Everyone signed in may confirm their password again before a sensitive change.
    "account_reauthenticate": [Case(answers=grant(SIGNED_IN, PAGE), also_post=True)],
    # The second step of signing in, and signing in with a passkey: for someone half-way through
    # a sign-in (nobody here), so everyone is sent on: to sign in, or home when signed in.
    "mfa_authenticate": [
        Case(answers=public(GOES("core:home"), anonymous=GOES("accounts:login")), also_post=True)
    ],
    "mfa_login_webauthn": [
        Case(answers=public(GOES("core:home"), anonymous=GOES("accounts:login")))
    ],
    # The rest manages a staff member's own authenticators: staff only (requesters 404), each
    # seeing and changing only their own. Dana uses an app, recovery codes and a key.
    "mfa_index": [Case(answers=grant(STAFF, PAGE))],
    "mfa_reauthenticate": [
        # Dana confirms with her second step; staff without one are sent to their password.
        Case(
            answers=grant(
                [ENROLLED],
                PAGE,
                **{p: GOES("account_reauthenticate") for p in STAFF if p != ENROLLED},
            )
        )
    ],
    "mfa_activate_totp": [
        Case(
            answers=grant(STAFF, PAGE, **{ENROLLED: GOES("mfa_deactivate_totp")}),
            also_post=True,
        ),
    ],
    "mfa_deactivate_totp": [
        Case(answers=grant([ENROLLED], PAGE)),
        Case(
            method="POST",
            effect=lambda s, p: (
                not Authenticator.objects.filter(
                    user=s.people[ENROLLED], type=Authenticator.Type.TOTP
                ).exists()
            ),
            answers=grant([ENROLLED], GOES("mfa_index")),
        ),
    ],
    "mfa_view_recovery_codes": [Case(about=("recovery_codes",), answers=grant([ENROLLED], OK))],
    "mfa_download_recovery_codes": [Case(about=("recovery_codes",), answers=grant([ENROLLED], OK))],
    "mfa_generate_recovery_codes": [
        Case(answers=grant(STAFF, PAGE)),
        Case(
            method="POST",
            about=("recovery_codes",),
            effect=lambda s, p: _recovery_codes_replaced(s),
            # Without an app or a key there is nothing to back up: the form says so.
            answers=grant(
                [ENROLLED],
                GOES("mfa_view_recovery_codes"),
                **{p: REFUSED(200) for p in STAFF if p != ENROLLED},
            ),
        ),
    ],
    "mfa_list_webauthn": [
        Case(
            about=("security_key",),
            answers=grant(STAFF, HIDDEN, **{ENROLLED: OK}),
        )
    ],
    "mfa_add_webauthn": [Case(answers=grant(STAFF, PAGE), also_post=True)],
    "mfa_reauthenticate_webauthn": [
        Case(
            answers=grant(
                [ENROLLED],
                PAGE,
                **{p: GOES("account_reauthenticate") for p in STAFF if p != ENROLLED},
            )
        )
    ],
    "mfa_edit_webauthn": [
        Case(args={"pk": "security_key"}, answers=grant([ENROLLED], OK)),
        Case(
            args={"pk": "security_key"},
            method="POST",
            data=lambda s: {"name": "Renamed by the matrix"},
            effect=lambda s, p: Authenticator.objects.filter(
                pk=s.security_key.pk, data__name="Renamed by the matrix"
            ).exists(),
            answers=grant([ENROLLED], GOES("mfa_list_webauthn")),
        ),
    ],
    "mfa_remove_webauthn": [
        Case(args={"pk": "security_key"}, answers=grant([ENROLLED], OK)),
        Case(
            args={"pk": "security_key"},
            method="POST",
            effect=lambda s, p: not Authenticator.objects.filter(pk=s.security_key.pk).exists(),
            answers=grant([ENROLLED], GOES("mfa_list_webauthn")),
        ),
    ],
    # Single sign-on: the provider's confirmation page (the button posts to the provider), and
    # its way back, which without the provider's answer goes back to signing in.
    "openid_connect_login": [Case(args={"provider_id": "sso_provider"}, answers=public())],
    "openid_connect_callback": [
        Case(args={"provider_id": "sso_provider"}, answers=public(GOES("accounts:login")))
    ],
    "socialaccount_login_cancelled": [Case(answers=public())],
    "socialaccount_login_error": [Case(answers=public(Answer(401, allowed=True)))],
    "accounts:addresses": [
        # Making requester A's primary address primary again: hers, so it goes through for her;
        # anyone else is told it is not on their account, and nothing changes.
        Case(
            method="POST",
            data=lambda s: {"action": "primary", "email": s.people["requester_a"].email},
            answers=grant(
                ["requester_a"],
                GOES("accounts:profile"),
                others=HIDDEN,
            ),
        )
    ],
    "accounts:address_confirm": [
        Case(args={"token": "address_token"}, answers=grant(["requester_a"], OK, others=HIDDEN)),
        Case(
            label="confirm",
            args={"token": "address_token"},
            method="POST",
            effect=lambda s, p: EmailAddress.objects.filter(
                email=ADDED_ADDRESS, user=s.people["requester_a"], verified=True
            ).exists(),
            answers=grant(["requester_a"], GOES("accounts:profile"), others=HIDDEN),
        ),
    ],
    # --- desk: the board --------------------------------------------------------------------
    "desk:board": [
        Case(
            label="all requests",
            query="?view=all",
            about=("ticket",),
            answers=grant(DESK_T, OK, **{p: HIDDEN for p in STAFF if p not in DESK_T}),
        ),
        Case(
            label="search by number",
            query=lambda s: f"?q=%23{s.ticket.pk}",
            about=("ticket",),
            answers=grant(
                DESK_T, GOES(_to_ticket("ticket")), **{p: HIDDEN for p in STAFF if p not in DESK_T}
            ),
        ),
        Case(
            label="trash",
            query="?view=trash",
            setup=_trash("ticket"),
            about=("ticket",),
            answers=grant(MANAGERS, OK, **{p: HIDDEN for p in STAFF if p not in MANAGERS}),
        ),
        Case(
            label="the external provider's work",
            query="?view=all",
            about=("ticket_x",),
            answers=grant((*DESK_T, "external"), OK, agent_out=HIDDEN, staff_plain=HIDDEN),
        ),
    ],
    # The search page finds only requests the agent may open, notes included for them; the
    # query is never a marker (the page shows what was typed).
    "desk:search": [
        Case(answers=grant(STAFF, PAGE)),
        Case(
            label="by the requester's address",
            query="?q=alice%40acme.test",
            about=("ticket",),
            answers=grant(DESK_T, OK, **{p: HIDDEN for p in STAFF if p not in DESK_T}),
        ),
        Case(
            label="a word of an internal note",
            query="?q=note&status=&department=",
            about=("ticket",),
            answers=grant(DESK_T, OK, **{p: HIDDEN for p in STAFF if p not in DESK_T}),
        ),
        Case(
            label="by number",
            query=lambda s: f"?q=%23{s.ticket.pk}",
            about=("ticket",),
            answers=grant(
                DESK_T, GOES(_to_ticket("ticket")), **{p: HIDDEN for p in STAFF if p not in DESK_T}
            ),
        ),
    ],
    "desk:bulk": [
        Case(
            method="POST",
            data=lambda s: {"ids": [s.ticket.pk], "action": "priority", "priority": "4"},
            effect=lambda s, p: _fresh(s.ticket).priority == 4,
            answers=grant(
                DESK_T,
                GOES("desk:board"),
                # The ticked request is not there for them: nothing happens.
                **{p: REFUSED(302, "desk:board") for p in STAFF if p not in DESK_T},
            ),
        )
    ],
    "desk:new": [
        Case(answers=grant(STAFF, PAGE), also_post=True),
        # The form's own search, without JavaScript (the page again, with what was typed).
        Case(
            label="search without JavaScript",
            query="?find=MARKER-REQNAME",
            about=("requester",),
            answers=grant(STAFF, OK, external=HIDDEN),
        ),
        Case(
            label="a requester picked by id",
            query=lambda s: f"?requester={s.requester_person.pk}",
            about=("requester",),
            answers=grant(STAFF, OK, external=HIDDEN),
        ),
        # For a requester outside the external provider's work, in their own department.
        Case(
            label="create in Vendor for a requester from elsewhere",
            method="POST",
            data=lambda s: {
                "submission": submission_key_new(),
                "requester": s.requester_person.pk,
                "channel": "phone",
                "subject": "Matrix vendor request",
                "body": "Called in.",
                "ticket_class": "incident",
                "department": s.vendor.pk,
                "impact": 2,
                "urgency": 2,
            },
            effect=lambda s, p: Ticket.objects.filter(subject="Matrix vendor request").exists(),
            answers=grant(
                ("supervisor", "admin"),
                GOES("/desk/tickets/"),
                **{p: REFUSED(200) for p in STAFF if p not in ("supervisor", "admin")},
            ),
        ),
        # ... and for the requester of their own work, which they may.
        Case(
            label="create in Vendor for the requester of the external provider's work",
            method="POST",
            data=lambda s: {
                "submission": submission_key_new(),
                "requester": s.people["requester_a"].pk,
                "channel": "phone",
                "subject": "Matrix vendor request",
                "body": "Called in.",
                "ticket_class": "incident",
                "department": s.vendor.pk,
                "impact": 2,
                "urgency": 2,
            },
            effect=lambda s, p: Ticket.objects.filter(subject="Matrix vendor request").exists(),
            answers=grant(
                ("external", "supervisor", "admin"),
                GOES("/desk/tickets/"),
                **{p: REFUSED(200) for p in STAFF if p not in ("external", "supervisor", "admin")},
            ),
        ),
        Case(
            label="create in Support for requester A",
            method="POST",
            data=lambda s: {
                "submission": submission_key_new(),
                "requester": s.people["requester_a"].pk,
                "channel": "phone",
                "subject": "Matrix new request",
                "body": "Called in.",
                "ticket_class": "incident",
                "department": s.support.pk,
                "impact": 2,
                "urgency": 2,
            },
            effect=lambda s, p: Ticket.objects.filter(subject="Matrix new request").exists(),
            answers=grant(
                DESK_T,
                GOES("/desk/tickets/"),
                # Support is not among the departments offered to them: the form says so.
                **{p: REFUSED(200) for p in STAFF if p not in DESK_T},
            ),
        ),
    ],
    "desk:requester_lookup": [
        # Staff look up requesters to open requests for them; the external provider has no
        # requester directory: only the requesters of their own work (docs/decisions/0006).
        Case(
            query="?find=MARKER-REQNAME",
            about=("requester",),
            answers=grant(STAFF, OK, external=HIDDEN),
        ),
        Case(
            label="picked by id",
            query=lambda s: f"?requester={s.requester_person.pk}",
            about=("requester",),
            answers=grant(STAFF, OK, external=HIDDEN),
        ),
        Case(
            label="the requester of the external provider's work",
            query="?find=alice@acme",
            about=("requester_of_x",),
            answers=grant(STAFF, OK),
        ),
    ],
    "desk:lookup": [
        # The board's filter bar asks as the agent types; each answer holds only what the
        # agent may see (helpline.tickets.access). Initech has no requests: only those who see
        # every organisation find it.
        Case(
            label="organisations",
            args={"kind": "lookup_organisation"},
            query="?q=Initech",
            about=("organisation",),
            answers=grant(
                ("supervisor", "admin"),
                OK,
                **{p: HIDDEN for p in STAFF if p not in ("supervisor", "admin")},
            ),
        ),
        # The requester directory: no directory for the external provider (decision 0006).
        Case(
            label="requesters",
            args={"kind": "lookup_requester"},
            query="?q=MARKER-REQNAME",
            about=("requester",),
            answers=grant(STAFF, OK, external=HIDDEN),
        ),
        # Colleagues of the departments one sees (Morgan is in Support).
        Case(
            label="responsible",
            args={"kind": "lookup_responsible"},
            query="?q=MARKER-STAFFNAME",
            about=("staff_member",),
            answers=grant(DESK_T, OK, **{p: HIDDEN for p in STAFF if p not in DESK_T}),
        ),
        Case(label="tags", args={"kind": "lookup_tag"}, answers=grant(STAFF, PAGE)),
        # The note box's @mentions: the same colleagues as "responsible".
        Case(
            label="mention",
            args={"kind": "lookup_mention"},
            query="?q=MARKER-STAFFNAME",
            about=("staff_member",),
            answers=grant(DESK_T, OK, **{p: HIDDEN for p in STAFF if p not in DESK_T}),
        ),
        Case(label="not a filter", args={"kind": "lookup_unknown"}, answers=grant(())),
    ],
    # --- desk: the live board and saved views ----------------------------------------------
    "desk:board_live": [
        # Which of the page's rows changed since it opened: only rows the agent may open count.
        Case(
            query=lambda s: f"?view=all&opened=1&rows={s.ticket.pk},{s.ticket_billing.pk}",
            answers=grant(STAFF, PAGE),
        ),
    ],
    # --- teamwork: presence on the ticket page, one's own away status (issue 10) -------------
    # The heartbeat: whoever may open the request; the answer names colleagues, not the request.
    "teamwork:presence": [
        Case(args={"pk": "ticket"}, answers=grant(DESK_T, PAGE)),
        Case(args={"pk": "ticket_x"}, answers=grant((*DESK_T, "external"), PAGE)),
    ],
    "teamwork:status": [
        Case(answers=grant(STAFF, PAGE), also_post=True),
        Case(
            label="set",
            method="POST",
            data=lambda s: {"state": "away"},
            effect=lambda s, p: StaffStatus.objects.filter(
                user_id=_pk(s, p), state="away"
            ).exists(),
            answers=grant(STAFF, GOES("teamwork:status")),
        ),
    ],
    # The sidebar alone, fetched after a change: the views and counts of whoever asks (Dana's
    # saved view shared with Support on Support's sidebars only).
    "desk:sidebar": [
        Case(
            about=("saved_view",),
            answers=grant(
                ("agent_in", "manager_in"),
                OK,
                **{p: HIDDEN for p in STAFF if p not in ("agent_in", "manager_in")},
            ),
        )
    ],
    # Saved views: Dana's, shared with Support, is on Support's sidebars (Dana and Manny).
    "desk:saved_views": [
        Case(
            about=("saved_view",),
            answers=grant(
                ("agent_in", "manager_in"),
                OK,
                **{p: HIDDEN for p in STAFF if p not in ("agent_in", "manager_in")},
            ),
        )
    ],
    "desk:saved_view_create": [
        Case(
            method="POST",
            data=lambda s: {"name": "Matrix view", "query": "view=pending"},
            effect=lambda s, p: SavedView.objects.filter(
                owner_id=_pk(s, p), name="Matrix view"
            ).exists(),
            answers=grant(STAFF, GOES(lambda s: reverse("desk:board") + "?view=pending")),
        )
    ],
    # Renaming, sharing and deleting: the owner's alone (404 for everyone else, colleagues too).
    "desk:saved_view_change": [
        Case(
            args={"pk": "saved_view"},
            method="POST",
            data=lambda s: {"name": "Renamed by the matrix", "department": ""},
            effect=lambda s, p: SavedView.objects.filter(name="Renamed by the matrix").exists(),
            answers=grant(("agent_in",), GOES("desk:saved_views")),
        )
    ],
    "desk:saved_view_delete": [
        Case(
            args={"pk": "saved_view"},
            method="POST",
            effect=lambda s, p: not SavedView.objects.filter(pk=s.saved_view.pk).exists(),
            answers=grant(("agent_in",), GOES("desk:saved_views")),
        )
    ],
    # Ordering one's own sidebar: whoever sees the view.
    "desk:saved_view_move": [
        Case(
            args={"pk": "saved_view"},
            method="POST",
            data=lambda s: {"direction": "down"},
            effect=lambda s, p: SidebarOrder.objects.filter(user_id=_pk(s, p)).exists(),
            answers=grant(("agent_in", "manager_in"), GOES("desk:saved_views")),
        )
    ],
    # --- reply templates (helpline.replies) --------------------------------------------------
    # Support's template: Support's people and the supervisors use it; other staff see the
    # page with their own templates only.
    "replies:list": [
        Case(
            about=("reply_template",),
            answers=grant(DESK_T, OK, **{p: HIDDEN for p in STAFF if p not in DESK_T}),
        )
    ],
    "replies:create": [
        Case(answers=grant(STAFF, PAGE)),
        Case(
            label="personal",
            method="POST",
            data=lambda s: {"name": "Matrix template", "scope": "personal", "text_en": "Hi"},
            effect=lambda s, p: ReplyTemplate.objects.filter(
                name="Matrix template", owner_id=_pk(s, p)
            ).exists(),
            answers=grant(STAFF, GOES("replies:list")),
        ),
        # A department's templates: whoever manages it (Billing's manager manages Billing).
        Case(
            label="for Support",
            method="POST",
            data=lambda s: {
                "name": "Matrix template",
                "scope": "department",
                "department": s.support.pk,
                "text_en": "Hi",
            },
            effect=lambda s, p: ReplyTemplate.objects.filter(
                name="Matrix template", department=s.support
            ).exists(),
            answers=grant(
                MANAGERS,
                GOES("replies:list"),
                **{p: REFUSED(422) for p in STAFF if p not in MANAGERS},
            ),
        ),
    ],
    "replies:change": [
        Case(args={"pk": "reply_template"}, answers=grant(MANAGERS, OK)),
        Case(
            args={"pk": "reply_template"},
            method="POST",
            data=lambda s: {
                "name": "Renamed by the matrix",
                "scope": "department",
                "department": s.support.pk,
                "text_en": "Hi",
            },
            effect=lambda s, p: ReplyTemplate.objects.filter(name="Renamed by the matrix").exists(),
            answers=grant(
                MANAGERS, GOES(lambda s: reverse("replies:change", args=[s.reply_template.pk]))
            ),
        ),
    ],
    "replies:delete": [
        Case(
            args={"pk": "reply_template"},
            method="POST",
            effect=lambda s, p: not ReplyTemplate.objects.filter(pk=s.reply_template.pk).exists(),
            answers=grant(MANAGERS, GOES("replies:list")),
        )
    ],
    "replies:suggest": [
        Case(
            args={"pk": "ticket"},
            query="?q=MARKER-REPLY",
            about=("reply_template",),
            answers=grant(DESK_T, OK),
        )
    ],
    "replies:macros": [
        Case(
            about=("reply_template",),
            answers=grant(DESK_T, OK, **{p: HIDDEN for p in STAFF if p not in DESK_T}),
        )
    ],
    # --- desk: the ticket page and its actions ----------------------------------------------
    "desk:ticket": [
        Case(args={"pk": "ticket"}, answers=grant(DESK_T)),
        Case(args={"pk": "ticket_b"}, answers=grant(DESK_T)),
        Case(args={"pk": "ticket_x"}, answers=grant((*DESK_T, "external"))),
    ],
    "desk:reply": [
        *_desk_ticket_action(
            form=ENTRY,
            data=lambda s: {"body": "Matrix staff reply"},
            effect=_entry_added("ticket", "Matrix staff reply"),
            to=lambda s: reverse("desk:ticket", args=[s.ticket.pk]) + "#entry-",
        ),
        *_desk_ticket_action(
            form=ENTRY,
            args={"pk": "ticket_x"},
            entitled=(*DESK_T, "external"),
            data=lambda s: {"body": "Matrix staff reply"},
            effect=_entry_added("ticket_x", "Matrix staff reply"),
            to=lambda s: reverse("desk:ticket", args=[s.ticket_x.pk]) + "#entry-",
        ),
        # A reply that also sets a status, from a page older than a colleague's change: the
        # form again with what happened since, for those who may reply; 404 for the others.
        *_desk_ticket_action(
            label="from an older page",
            form=ENTRY,
            setup=_changed_meanwhile,
            data=_older_page(lambda s: {"body": "Matrix staff reply", "status": s.status.pk}),
            effect=_entry_added("ticket", "Matrix staff reply"),
            answer=CONFLICT,
        ),
    ],
    "desk:note": [
        *_desk_ticket_action(
            form=ENTRY,
            data=lambda s: {"body": "Matrix note"},
            effect=_entry_added("ticket", "Matrix note", EntryKind.NOTE),
            to=lambda s: reverse("desk:ticket", args=[s.ticket.pk]) + "#entry-",
        ),
        *_desk_ticket_action(
            form=ENTRY,
            args={"pk": "ticket_x"},
            entitled=(*DESK_T, "external"),
            data=lambda s: {"body": "Matrix note"},
            effect=_entry_added("ticket_x", "Matrix note", EntryKind.NOTE),
            to=lambda s: reverse("desk:ticket", args=[s.ticket_x.pk]) + "#entry-",
        ),
    ],
    "desk:fields": [
        *_desk_ticket_action(
            form=PROPERTIES,
            data=_fields_data,
            effect=lambda s, p: _fresh(s.ticket).priority_overridden,
        ),
        *_desk_ticket_action(
            label="from an older page",
            form=PROPERTIES,
            setup=_changed_meanwhile,
            data=_older_page(_fields_data),
            effect=lambda s, p: _fresh(s.ticket).priority_overridden,
            answer=CONFLICT,
        ),
    ],
    "desk:take": [
        *_desk_ticket_action(
            form=VERSIONED, effect=lambda s, p: _fresh(s.ticket).assignee_id is not None
        ),
        # The external provider works `ticket_x` without the right to assign in Support.
        *_desk_ticket_action(
            form=VERSIONED,
            args={"pk": "ticket_x"},
            effect=lambda s, p: _fresh(s.ticket_x).assignee_id != s.people["external"].pk,
            external=REFUSED(302, _to_ticket("ticket_x")),
        ),
    ],
    "desk:escalate": _desk_ticket_action(
        form=VERSIONED,
        data=lambda s: {"department": s.software.pk, "reason": "Needs a specialist"},
        effect=lambda s, p: _fresh(s.ticket).department_id == s.software.pk,
    ),
    "desk:hand_to_supervisor": _desk_ticket_action(
        form=VERSIONED,
        data=lambda s: {"supervisor": s.people["supervisor"].pk, "reason": "Angry caller"},
        effect=lambda s, p: _fresh(s.ticket).assignee_id == s.people["supervisor"].pk,
    ),
    "desk:transfer": [
        *_desk_ticket_action(
            form=VERSIONED,
            data=lambda s: {"department": s.billing.pk, "reason": "An invoice question"},
            effect=lambda s, p: _fresh(s.ticket).department_id == s.billing.pk,
        ),
        *_desk_ticket_action(
            form=VERSIONED,
            args={"pk": "ticket_x"},
            data=lambda s: {"department": s.billing.pk, "reason": "An invoice question"},
            effect=lambda s, p: _fresh(s.ticket_x).department_id == s.billing.pk,
            external=REFUSED(403),
        ),
    ],
    "desk:merge": [
        *_desk_ticket_action(
            form=VERSIONED,
            data=lambda s: {"target": str(s.ticket_2.pk)},
            effect=lambda s, p: _fresh(s.ticket).merged_into_id == s.ticket_2.pk,
            to=_to_ticket("ticket_2"),
        ),
        # Into a request Support cannot see: "no request #… that you can see", nothing merged.
        *_desk_ticket_action(
            form=VERSIONED,
            about=("ticket_billing",),
            entitled=("supervisor", "admin"),
            data=lambda s: {"target": str(s.ticket_billing.pk)},
            effect=lambda s, p: _fresh(s.ticket).merged_into_id == s.ticket_billing.pk,
            to=_to_ticket("ticket_billing"),
            agent_in=REFUSED(422),
            manager_in=REFUSED(422),
        ),
    ],
    "desk:link": [
        *_desk_ticket_action(
            form=VERSIONED,
            data=lambda s: {"other": str(s.ticket_2.pk)},
            effect=lambda s, p: s.ticket.links.filter(pk=s.ticket_2.pk).exists(),
        ),
        *_desk_ticket_action(
            form=VERSIONED,
            about=("ticket_billing",),
            entitled=("supervisor", "admin"),
            data=lambda s: {"other": str(s.ticket_billing.pk)},
            effect=lambda s, p: s.ticket.links.filter(pk=s.ticket_billing.pk).exists(),
            agent_in=REFUSED(422),
            manager_in=REFUSED(422),
        ),
    ],
    # Suggestions of the merge and link dialogs: "MARKER" is in every request's subject, so each
    # case asks for all of them; the scenario's secrets prove only those the persona may open
    # come back (Support's people never get the Billing request, the external provider nothing
    # but their own work, which is the request itself and so never suggested).
    "desk:merge_candidates": [
        Case(args={"pk": "ticket"}, query="?target=MARKER", answers=grant(DESK_T, PAGE)),
        Case(
            args={"pk": "ticket_x"},
            query="?target=MARKER",
            answers=grant((*DESK_T, "external"), PAGE),
        ),
    ],
    "desk:link_candidates": [
        Case(args={"pk": "ticket"}, query="?other=MARKER", answers=grant(DESK_T, PAGE)),
        Case(
            args={"pk": "ticket_x"},
            query="?other=MARKER",
            answers=grant((*DESK_T, "external"), PAGE),
        ),
    ],
    "desk:unlink": _desk_ticket_action(
        args={"pk": "ticket", "other": "ticket_2"},
        setup=_link,
        effect=lambda s, p: not s.ticket.links.filter(pk=s.ticket_2.pk).exists(),
    ),
    "desk:watch": _desk_ticket_action(
        data=lambda s: {"watch": "1"},
        effect=lambda s, p: s.ticket.watchers.filter(pk=_pk(s, p)).exists(),
    ),
    "desk:tags": _desk_ticket_action(
        form=VERSIONED,
        data=lambda s: {"tags": "matrix-tag"},
        effect=lambda s, p: s.ticket.tags.filter(name="matrix-tag").exists(),
    ),
    "desk:delete": _desk_ticket_action(
        entitled=MANAGERS,
        data=lambda s: {"reason": "Spam"},
        effect=lambda s, p: _fresh(s.ticket).deleted_at is not None,
        # Sees the request, lacks the manage right: the service refuses, the page says why.
        agent_in=REFUSED(302, _to_ticket("ticket")),
    ),
    "desk:restore": _desk_ticket_action(
        entitled=("supervisor", "admin"),
        setup=_trash("ticket"),
        effect=lambda s, p: _fresh(s.ticket).deleted_at is None,
        agent_in=REFUSED(302, _to_ticket("ticket")),
        manager_in=REFUSED(302, _to_ticket("ticket")),
    ),
    "desk:purge": _desk_ticket_action(
        entitled=("supervisor", "admin"),
        setup=_trash("ticket"),
        effect=lambda s, p: not Ticket.objects.filter(pk=s.ticket.pk).exists(),
        to=lambda s: reverse("desk:board") + "?view=trash",
        agent_in=REFUSED(302, _to_ticket("ticket")),
        manager_in=REFUSED(302, _to_ticket("ticket")),
    ),
    "desk:attachment": [
        Case(args={"pk": "ticket_file"}, answers=grant(DESK_T)),
        Case(args={"pk": "ticket_note_file"}, answers=grant(DESK_T)),
        Case(args={"pk": "ticket_b_file"}, answers=grant(DESK_T)),
        Case(args={"pk": "ticket_x_file"}, answers=grant((*DESK_T, "external"))),
        Case(args={"pk": "ticket_x_note_file"}, answers=grant((*DESK_T, "external"))),
    ],
    "desk:mail_body": [
        Case(args={"pk": "ticket_mail_html"}, setup=_with_mail, answers=grant(DESK_T)),
    ],
    "desk:mail_raw": [
        Case(args={"pk": "ticket_mail_raw"}, setup=_with_mail, answers=grant(DESK_T)),
    ],
    # --- internal mail (staffmail) and the notifications centre (notify) ---------------------
    # A message is its sender's and recipients'; staff only, a requester never reaches any of it.
    "staffmail:inbox": [
        Case(
            about=("staff_message_subject",),
            answers=grant(STAFF, HIDDEN, manager_in=OK),
        ),
        Case(
            label="search",
            query="?q=MARKER-STAFFMAIL",
            about=("staff_message_subject",),
            answers=grant(STAFF, HIDDEN, manager_in=OK),
        ),
    ],
    "staffmail:sent": [
        Case(about=("staff_message_subject",), answers=grant(STAFF, HIDDEN, agent_in=OK)),
    ],
    "staffmail:archive": [
        # Once Manny archived his copy, it is in his archive only.
        Case(
            about=("staff_message_subject",),
            setup=lambda s: staffmail_services.message_archive(
                message=s.staff_message, actor=s.people["manager_in"]
            ),
            answers=grant(STAFF, HIDDEN, manager_in=OK),
        ),
    ],
    "staffmail:compose": [
        Case(answers=grant(STAFF, PAGE)),
        # To the supervisor, whom all staff work with; not to oneself (the form refuses).
        Case(
            method="POST",
            data=lambda s: {
                "people": [s.people["supervisor"].pk],
                "subject": "Matrix internal mail",
                "body": "Hello",
            },
            effect=lambda s, p: Message.objects.filter(
                subject="Matrix internal mail", sender_id=_pk(s, p)
            ).exists(),
            answers=grant(
                [p for p in STAFF if p != "supervisor"],
                GOES("/desk/messages/"),
                supervisor=REFUSED(422),
            ),
        ),
    ],
    "staffmail:message": [
        Case(args={"pk": "staff_message"}, answers=grant(("agent_in", "manager_in"))),
    ],
    "staffmail:reply": [
        Case(
            args={"pk": "staff_message"},
            method="POST",
            data=lambda s: {"body": "Matrix answer"},
            effect=lambda s, p: Message.objects.filter(
                thread=s.staff_message, sender_id=_pk(s, p)
            ).exists(),
            answers=grant(("agent_in", "manager_in"), GOES("/desk/messages/")),
        ),
    ],
    "staffmail:archive_change": [
        # Only a recipient has a copy to archive; the sender is told so.
        Case(
            args={"pk": "staff_message"},
            method="POST",
            data=lambda s: {"archived": "1"},
            effect=lambda s, p: s.staff_message.recipients.filter(
                user_id=_pk(s, p), archived_at__isnull=False
            ).exists(),
            answers=grant(
                ("manager_in",),
                GOES("staffmail:inbox"),
                agent_in=REFUSED(302, to="/desk/messages/"),
            ),
        ),
    ],
    "staffmail:file": [
        # Its participants, and the request's staff (it shows on the request).
        Case(args={"pk": "staff_message_file"}, answers=grant(DESK_T)),
    ],
    "staffmail:ticket_panel": [
        Case(args={"pk": "ticket_staffmail"}, answers=grant(DESK_T)),
        Case(args={"pk": "ticket_x"}, answers=grant((*DESK_T, "external"), PAGE)),
    ],
    "notify:list": [
        Case(about=("staff_message_subject",), answers=grant(STAFF, HIDDEN, manager_in=OK)),
    ],
    "notify:open": [
        Case(
            args={"pk": "notification"},
            method="POST",
            effect=lambda s, p: Notification.objects.filter(
                pk=s.notification.pk, read_at__isnull=False
            ).exists(),
            answers=grant(("manager_in",), GOES("/desk/messages/")),
        ),
    ],
    "notify:read_all": [
        # Everyone marks their own: only Manny's notification is his to read.
        Case(
            method="POST",
            effect=lambda s, p: Notification.objects.filter(
                pk=s.notification.pk, read_at__isnull=False
            ).exists(),
            answers=grant(
                ("manager_in",),
                GOES("notify:list"),
                **{
                    p: Answer(302, allowed=True, to="notify:list", changes=False)
                    for p in STAFF
                    if p != "manager_in"
                },
            ),
        ),
    ],
    "notify:counters": [Case(answers=grant(STAFF, PAGE))],
    "notify:menu": [
        # The bell's dropdown: one's own notifications only (Manny's is nobody else's).
        Case(about=("staff_message_subject",), answers=grant(STAFF, HIDDEN, manager_in=OK)),
    ],
    "notify:read": [
        Case(
            args={"pk": "notification"},
            method="POST",
            effect=lambda s, p: Notification.objects.filter(
                pk=s.notification.pk, read_at__isnull=False
            ).exists(),
            answers=grant(("manager_in",), GOES("notify:list")),
        ),
    ],
    # --- portal -----------------------------------------------------------------------------
    "portal:home": [
        Case(
            about=("ticket",),
            answers=public(HIDDEN, requester_a=OK, anonymous=PAGE),
        )
    ],
    "portal:requests": [
        Case(
            label="my requests",
            about=("ticket",),
            answers=grant(SIGNED_IN, HIDDEN, requester_a=OK),
        ),
        Case(
            label="my organisation's requests",
            query="?tab=organisation",
            about=("ticket",),
            answers=grant(SIGNED_IN, HIDDEN, requester_a=OK, colleague_a=OK),
        ),
        Case(
            label="my organisation's requests (Initrode)",
            query="?tab=organisation",
            about=("ticket_c",),
            answers=grant(SIGNED_IN, HIDDEN, colleague_c=OK),
        ),
    ],
    "portal:new": [Case(answers=grant(SIGNED_IN, PAGE), also_post=True)],
    "portal:submitted": [Case(answers=public(GOES("portal:home")))],
    "portal:request": [
        Case(args={"pk": "ticket"}, answers=grant(PORTAL_T)),
        Case(args={"pk": "ticket_b"}, answers=grant(["requester_b"])),
        Case(args={"pk": "ticket_c"}, answers=grant(PORTAL_C)),
    ],
    "portal:reply": [
        Case(
            args={"pk": "ticket"},
            method="POST",
            data=lambda s: {"body": "Matrix requester reply", "submission": submission_key_new()},
            effect=_entry_added("ticket", "Matrix requester reply"),
            answers=grant(
                ["requester_a"],
                GOES(lambda s: reverse("portal:request", args=[s.ticket.pk]) + "#entry-"),
                # Acme shares read-only: the page again, with the refusal.
                colleague_a=REFUSED(200),
            ),
        ),
        Case(
            args={"pk": "ticket_b"},
            method="POST",
            data=lambda s: {"body": "Matrix requester reply", "submission": submission_key_new()},
            effect=_entry_added("ticket_b", "Matrix requester reply"),
            answers=grant(
                ["requester_b"],
                GOES(lambda s: reverse("portal:request", args=[s.ticket_b.pk]) + "#entry-"),
            ),
        ),
        Case(
            args={"pk": "ticket_c"},
            method="POST",
            data=lambda s: {"body": "Matrix requester reply", "submission": submission_key_new()},
            effect=_entry_added("ticket_c", "Matrix requester reply"),
            answers=grant(
                PORTAL_C,
                GOES(lambda s: reverse("portal:request", args=[s.ticket_c.pk]) + "#entry-"),
            ),
        ),
    ],
    "portal:confirm": [
        Case(
            args={"pk": "ticket"},
            method="POST",
            setup=_resolve("ticket"),
            effect=lambda s, p: _fresh(s.ticket).status_category == StatusCategory.CLOSED,
            answers=grant(
                ["requester_a"],
                GOES(_to_request("ticket")),
                colleague_a=REFUSED(302, _to_request("ticket")),
            ),
        ),
        Case(
            args={"pk": "ticket_c"},
            method="POST",
            setup=_resolve("ticket_c"),
            effect=lambda s, p: _fresh(s.ticket_c).status_category == StatusCategory.CLOSED,
            answers=grant(PORTAL_C, GOES(_to_request("ticket_c"))),
        ),
    ],
    "portal:reopen": [
        Case(
            args={"pk": "ticket"},
            method="POST",
            setup=_resolve("ticket"),
            data=lambda s: {"reason": "Still broken"},
            effect=lambda s, p: _fresh(s.ticket).status_category == StatusCategory.OPEN,
            answers=grant(["requester_a"], GOES(_to_request("ticket")), colleague_a=REFUSED(200)),
        ),
        Case(
            args={"pk": "ticket_c"},
            method="POST",
            setup=_resolve("ticket_c"),
            data=lambda s: {"reason": "Still broken"},
            effect=lambda s, p: _fresh(s.ticket_c).status_category == StatusCategory.OPEN,
            answers=grant(PORTAL_C, GOES(_to_request("ticket_c"))),
        ),
    ],
    "portal:attachment": [
        # A download link answers 404 to anyone who may not have it, signed in or not.
        Case(args={"pk": "ticket_file"}, answers=grant(PORTAL_T, anonymous=NOT_FOUND)),
        Case(args={"pk": "ticket_b_file"}, answers=grant(["requester_b"], anonymous=NOT_FOUND)),
        Case(args={"pk": "ticket_c_file"}, answers=grant(PORTAL_C, anonymous=NOT_FOUND)),
        # A note's file is never a portal download, not even for the requester.
        Case(args={"pk": "ticket_note_file"}, answers=grant([], anonymous=NOT_FOUND)),
    ],
    # --- administration: administrators only ------------------------------------------------
    "manage:index": _admin_page(),
    "manage:departments": _admin_page(about=("department",)),
    "manage:department_new": _admin_page(form=True),
    "manage:department": _admin_page({"pk": "department"}, form=True),
    "teamwork:assignment": [
        *_admin_page({"pk": "department"}, form=True),
        *_admin_post(
            {"pk": "department"},
            lambda s: {"mode": "round_robin"},
            lambda s, p: AssignmentRule.objects.filter(
                department=s.support, mode="round_robin"
            ).exists(),
            lambda s: reverse("manage:department", args=[s.support.pk]),
        ),
    ],
    "manage:department_remove": _admin_post(
        {"pk": "department"},
        None,
        lambda s, p: not Department.objects.filter(pk=s.support.pk, is_active=True).exists(),
        "manage:departments",
    ),
    "manage:member_add": _admin_post(
        {"pk": "department"},
        lambda s: {"user": s.people["staff_plain"].pk, "can_view": "on"},
        lambda s, p: DepartmentMembership.objects.filter(
            user=s.people["staff_plain"], department=s.support
        ).exists(),
        lambda s: reverse("manage:department", args=[s.support.pk]),
    ),
    "manage:member_change": _admin_post(
        {"pk": "department", "user_pk": "staff_member"},
        lambda s: {f"m{s.staff_member.pk}-{r}": "on" for r in ("can_view", "can_manage")},
        lambda s, p: DepartmentMembership.objects.filter(
            user=s.staff_member, department=s.support, can_manage=True
        ).exists(),
        lambda s: reverse("manage:department", args=[s.support.pk]),
    ),
    "manage:staff": _admin_page(about=("staff_member",)),
    "manage:staff_new": _admin_page(form=True),
    "manage:staff_edit": _admin_page({"pk": "staff_member"}, form=True),
    "manage:staff_mfa_reset": [
        *_admin_post(
            {"pk": "staff_member"},
            None,
            lambda s, p: not Authenticator.objects.filter(user=s.staff_member).exists(),
            lambda s: reverse("manage:staff_edit", args=[s.staff_member.pk]),
        ),
        # Not on themselves: another administrator must (a stolen session cannot strip it).
        Case(
            label="an administrator on themselves",
            args={"pk": "admin_self"},
            method="POST",
            effect=lambda s, p: Event.objects.filter(action="mfa.reset").exists(),
            answers=grant(
                [],
                admin=REFUSED(
                    302, lambda s: reverse("manage:staff_edit", args=[s.people["admin"].pk])
                ),
            ),
        ),
    ],
    "manage:staff_deactivate": _admin_post(
        {"pk": "staff_member"},
        None,
        lambda s, p: not User.objects.get(pk=s.staff_member.pk).is_active,
        lambda s: reverse("manage:staff_edit", args=[s.staff_member.pk]),
    ),
    "manage:organisations": _admin_page(about=("organisation",)),
    "manage:organisation_new": _admin_page(form=True),
    "manage:organisation": _admin_page({"pk": "organisation"}, form=True),
    "manage:requesters": _admin_page(about=("requester",)),
    "manage:requester": _admin_page({"pk": "requester"}, form=True),
    "manage:requester_addresses": _admin_post(
        {"pk": "requester"},
        lambda s: {"action": "add", "email": "matrix-admin-added@addresses.test"},
        lambda s, p: EmailAddress.objects.filter(
            user=s.requester_person, email="matrix-admin-added@addresses.test"
        ).exists(),
        lambda s: reverse("manage:requester", args=[s.requester_person.pk]),
    ),
    "manage:person": [
        Case(
            args={"pk": "staff_member"},
            answers=grant(
                ["admin"], GOES(lambda s: reverse("manage:staff_edit", args=[s.staff_member.pk]))
            ),
        ),
        Case(
            args={"pk": "requester"},
            answers=grant(
                ["admin"],
                GOES(lambda s: reverse("manage:requester", args=[s.requester_person.pk])),
            ),
        ),
    ],
    "manage:statuses": _admin_page(about=("status",)),
    "manage:status_new": _admin_page(form=True),
    "manage:status": _admin_page({"pk": "status"}, form=True),
    "manage:status_remove": _admin_post(
        {"pk": "status"},
        None,
        lambda s, p: not Status.objects.filter(pk=s.status.pk, is_active=True).exists(),
        "manage:statuses",
    ),
    "manage:priorities": _admin_page(form=True),
    "manage:topics": _admin_page(about=("topic",)),
    "manage:topic_new": _admin_page(form=True),
    "manage:topic": _admin_page({"pk": "topic"}, form=True),
    "manage:settings": _admin_page(form=True),
    "manage:events": _admin_page(),
    "manage:outbox": _admin_page(about=("outbox_message",)),
    "manage:outbox_retry": _admin_post(
        {"pk": "outbox_message"},
        None,
        lambda s, p: _outbox_status(s) == OutboxMessage.Status.QUEUED,
        "manage:outbox",
    ),
    "manage:outbox_retry_failed": _admin_post(
        {},
        None,
        lambda s, p: _outbox_status(s) == OutboxMessage.Status.QUEUED,
        "manage:outbox",
    ),
    "manage:outbox_discard": _admin_post(
        {"pk": "outbox_message"},
        None,
        lambda s, p: _outbox_status(s) == OutboxMessage.Status.DISCARDED,
        "manage:outbox",
    ),
    "manage:mailboxes": _admin_page(about=("mailbox",)),
    "manage:mailbox_new": _admin_page(form=True),
    "manage:mailbox": _admin_page({"pk": "mailbox"}, form=True),
    # A piped mailbox with the installation's SMTP server: nothing to reach, only the event.
    "manage:mailbox_test": _admin_post(
        {"pk": "mailbox"},
        None,
        lambda s, p: Event.objects.filter(action="mail.mailbox_tested").exists(),
        lambda s: reverse("manage:mailbox", args=[s.mailbox.pk]),
    ),
    # Off to the provider's consent page (Google's, as configured by default).
    "manage:mailbox_oauth": _admin_post(
        {"pk": "mailbox"}, None, None, lambda s: "https://accounts.google.com/o/oauth2/v2/auth?"
    ),
    # The provider's redirect back: without the state this session started, refused.
    "manage:mailbox_oauth_callback": [Case(answers=grant(["admin"], GOES("manage:mailboxes")))],
    "manage:letters": _admin_page(),
    "manage:replies": _admin_page(about=("reply_template",)),
    "manage:letter": [
        Case(
            query="?kind=resolved&language=nb",
            also_post=True,
            answers=grant(["admin"], PAGE),
        )
    ],
    # Renders what is in the editor; changes nothing.
    "manage:letter_preview": [
        Case(
            method="POST",
            query="?kind=received&language=en",
            data=lambda s: {"subject": "Hi {{ subject }}", "body": "Text {{ link }}"},
            answers=grant(["admin"], PAGE),
        )
    ],
    "manage:letter_reset": [
        Case(
            method="POST",
            query="?kind=closed&language=en",
            setup=lambda s: LetterTemplate.objects.create(
                kind="closed", language="en", subject="Closed", body="Closed."
            ),
            effect=lambda s, p: not LetterTemplate.objects.filter(kind="closed").exists(),
            answers=grant(
                ["admin"],
                GOES(lambda s: reverse("manage:letter") + "?kind=closed&language=en"),
            ),
        )
    ],
    "manage:quarantine": _admin_page(about=("quarantined",)),
    "manage:quarantine_item": _admin_page({"pk": "quarantined"}),
    "manage:quarantine_raw": _admin_page({"pk": "quarantined"}),
    "manage:quarantine_release": _admin_post(
        {"pk": "quarantined"},
        None,
        lambda s, p: _quarantine_status(s) == QuarantinedMail.State.RELEASED,
        "manage:quarantine",
    ),
    "manage:quarantine_delete": _admin_post(
        {"pk": "quarantined"},
        None,
        lambda s, p: _quarantine_status(s) == QuarantinedMail.State.DELETED,
        "manage:quarantine",
    ),
    "manage:stop_rules": _admin_page(about=("stop_rule",)),
    "manage:stop_rule_new": _admin_page(form=True),
    "manage:stop_rule": _admin_page({"pk": "stop_rule"}, form=True),
    "manage:stop_rule_remove": _admin_post(
        {"pk": "stop_rule"},
        None,
        lambda s, p: not StopRule.objects.filter(pk=s.stop_rule.pk).exists(),
        "manage:stop_rules",
    ),
    # --- time accounting (helpline.timelog): the ticket's time panel and its actions -------
    # Not htmx: the panel's answers send the page back to the ticket.
    "timelog:ticket_time": [Case(args={"pk": "ticket"}, answers=grant(DESK_T, GOES(_to_time)))],
    "timelog:entry_add": [
        Case(
            args={"pk": "ticket"},
            method="POST",
            data=lambda s: {"duration": "0:15", "date": timezone.localdate().isoformat()},
            effect=lambda s, p: TimeEntry.objects.filter(author_id=_pk(s, p), minutes=15).exists(),
            answers=grant(DESK_T, GOES(_to_time)),
        )
    ],
    "timelog:timer_start": [
        Case(
            args={"pk": "ticket"},
            method="POST",
            effect=lambda s, p: RunningTimer.objects.filter(author_id=_pk(s, p)).exists(),
            answers=grant(DESK_T, GOES(_to_time)),
        )
    ],
    "timelog:timer_stop": [
        Case(
            args={"pk": "ticket"},
            method="POST",
            setup=_timers_running,
            effect=lambda s, p: TimeEntry.objects.filter(author_id=_pk(s, p)).exists(),
            answers=grant(DESK_T, GOES(_to_time)),
        )
    ],
    # An entry is changed by its author (Dana) and administrators (Sue supervises no
    # department); everyone else, the colleague who sees the request included, gets 404.
    "timelog:entry_edit": [
        Case(args={"pk": "time_entry"}, also_post=True, answers=grant(("agent_in", "admin"))),
        Case(
            label="save",
            args={"pk": "time_entry"},
            method="POST",
            data=lambda s: {"duration": "40", "date": timezone.localdate().isoformat()},
            effect=lambda s, p: TimeEntry.objects.filter(minutes=40).exists(),
            answers=grant(("agent_in", "admin"), GOES(_to_time)),
        ),
    ],
    "timelog:entry_delete": [
        Case(
            args={"pk": "time_entry"},
            method="POST",
            effect=lambda s, p: not TimeEntry.objects.filter(comment=TIME_MARKER).exists(),
            answers=grant(("agent_in", "admin"), GOES(_to_time)),
        )
    ],
    # Reports: everyone at the desk gets the page; the entries are their own, all for admins.
    "timelog:time_export": [
        Case(
            setup=lambda s: _time_entry(s) and None,
            about=("time_entry",),
            answers=grant(
                ("agent_in", "admin"),
                OK,
                **{p: HIDDEN for p in STAFF if p not in ("agent_in", "admin")},
            ),
        )
    ],
    "timelog:activity": [Case(answers=grant(STAFF, PAGE))],
    "timelog:activity_export": [Case(answers=grant(STAFF, PAGE))],
    "timelog:activity_types": [
        Case(
            setup=lambda s: _activity_type(s) and None,
            about=("activity_type",),
            answers=grant(["admin"], OK),
        )
    ],
    "timelog:activity_type_new": _admin_page(form=True),
    "timelog:activity_type": _admin_page({"pk": "activity_type"}, form=True),
    # --- the knowledge base at the desk --------------------------------------------------------
    "kb_desk:articles": [
        Case(about=("kb_proposal", "kb_staff_article"), answers=grant(KB_STAFF)),
    ],
    "kb_desk:review": [
        Case(about=("kb_proposal",), answers=grant(KB_STAFF, HIDDEN, **_kb_editors(OK))),
    ],
    "kb_desk:new": [Case(answers=grant(KB_STAFF, PAGE), also_post=True)],
    "kb_desk:preview": [
        Case(method="POST", data=lambda s: {"body": "**x**"}, answers=grant(KB_STAFF, PAGE)),
    ],
    "kb_desk:categories": [
        Case(about=("kb_category",), answers=grant(KB_STAFF), also_post=True),
    ],
    "kb_desk:category_edit": [
        Case(args={"pk": "kb_category"}, answers=grant(KB_EDITORS), also_post=True),
    ],
    "kb_desk:comments": [
        Case(about=("kb_comment",), answers=grant(KB_STAFF, HIDDEN, **_kb_editors(OK))),
        Case(
            label="bulk reject",
            method="POST",
            about=("kb_comment",),
            data=lambda s: {"comment": [s.kb_comment.pk], "action": "reject"},
            effect=lambda s, p: ArticleComment.objects.get(pk=s.kb_comment.pk).status == "rejected",
            answers=grant(
                KB_STAFF,
                Answer(302, allowed=False, to="kb_desk:comments"),
                **_kb_editors(GOES("kb_desk:comments")),
            ),
        ),
    ],
    "kb_desk:comment_count": [Case(answers=grant(KB_STAFF, PAGE))],
    "kb_desk:article": [
        Case(args={"pk": "kb_staff_article"}, answers=grant(KB_STAFF)),
        Case(args={"pk": "kb_proposal"}, answers=grant(KB_STAFF)),
    ],
    "kb_desk:edit": [
        Case(
            args={"pk": "kb_article"},
            answers=grant(KB_STAFF, REFUSED(302, _kb_to("kb_desk:article")), **_kb_editors(OK)),
            also_post=True,
        ),
        Case(
            args={"pk": "kb_proposal"},
            answers=grant(
                KB_STAFF,
                REFUSED(302, _kb_to("kb_desk:article", "kb_proposal")),
                agent_in=OK,
                **_kb_editors(OK),
            ),
            also_post=True,
        ),
    ],
    "kb_desk:status": [
        Case(
            args={"pk": "kb_article"},
            method="POST",
            data=lambda s: {"to": ArticleStatus.ARCHIVED},
            effect=lambda s, p: Article.objects.get(pk=s.kb_article.pk).status == "archived",
            answers=grant(
                KB_STAFF,
                REFUSED(302, _kb_to("kb_desk:article")),
                **_kb_editors(GOES(_kb_to("kb_desk:article"))),
            ),
        ),
    ],
    "kb_desk:revisions": [Case(args={"pk": "kb_article"}, answers=grant(KB_STAFF))],
    "kb_desk:restore": [
        Case(
            args={"pk": "kb_article", "number": "kb_revision_1"},
            method="POST",
            effect=lambda s, p: Article.objects.get(pk=s.kb_article.pk).revision == 3,
            answers=grant(
                KB_STAFF,
                REFUSED(302, _kb_to("kb_desk:revisions")),
                **_kb_editors(GOES(_kb_to("kb_desk:revisions"))),
            ),
        ),
    ],
    "kb_desk:file_remove": [
        Case(
            args={"pk": "kb_file"},
            method="POST",
            effect=lambda s, p: not ArticleFile.objects.filter(pk=s.kb_file.pk).exists(),
            answers=grant(
                KB_STAFF,
                REFUSED(302, _kb_to("kb_desk:article", "kb_staff_article")),
                **_kb_editors(GOES(_kb_to("kb_desk:article", "kb_staff_article"))),
            ),
        ),
    ],
    "kb_desk:lookup": [Case(args={"ticket": "ticket"}, answers=grant(DESK_T, PAGE))],
    "kb_desk:answered": [
        Case(
            args={"ticket": "ticket", "pk": "kb_article"},
            method="POST",
            effect=lambda s, p: TicketArticle.objects.filter(ticket=s.ticket).exists(),
            answers=grant(DESK_T, Answer(204, allowed=True)),
        ),
    ],
    "kb_desk:from_entry": [
        Case(args={"entry": "ticket_reply"}, answers=grant(DESK_T), also_post=True),
    ],
    # --- the help centre (public articles open without signing in: the default setting) ----
    "help:home": [Case(answers=public())],
    "help:search": [
        Case(
            query="?q=gateway",
            about=("kb_acme_article",),
            answers=grant((*PORTAL_T, *KB_STAFF), others=HIDDEN, anonymous=HIDDEN),
        ),
    ],
    "help:suggest": [
        Case(
            query="?subject=vault",
            about=("kb_staff_article",),
            answers=grant(KB_STAFF, others=HIDDEN, anonymous=HIDDEN),
        ),
    ],
    "help:saved": [Case(answers=grant(SIGNED_IN, PAGE))],
    "help:category": [Case(args={"pk": "kb_category"}, answers=public(OK))],
    "help:article": [
        Case(args={"pk": "kb_article"}, answers=public(OK)),
        Case(args={"pk": "kb_staff_article"}, answers=grant(KB_STAFF, anonymous=NOT_FOUND)),
        Case(
            args={"pk": "kb_acme_article"},
            answers=grant((*PORTAL_T, *KB_STAFF), anonymous=NOT_FOUND),
        ),
    ],
    "help:vote": [
        Case(
            args={"pk": "kb_staff_article"},
            method="POST",
            data=lambda s: {"helpful": "yes"},
            effect=lambda s, p: ArticleVote.objects.filter(article=s.kb_staff_article).exists(),
            answers=grant(
                KB_STAFF,
                GOES(_kb_to("help:article", "kb_staff_article")),
                anonymous=NOT_FOUND,
            ),
        ),
        Case(
            args={"pk": "kb_article"},
            method="POST",
            data=lambda s: {"helpful": "yes"},
            effect=lambda s, p: ArticleVote.objects.filter(article=s.kb_article).exists(),
            answers=public(GOES(_kb_to("help:article"))),
        ),
    ],
    "help:comment": [
        Case(
            args={"pk": "kb_acme_article"},
            method="POST",
            data=lambda s: {"comment": "Matrix comment"},
            effect=lambda s, p: ArticleComment.objects.filter(body="Matrix comment").exists(),
            answers=grant(
                (*PORTAL_T, *KB_STAFF),
                GOES(_kb_to("help:article", "kb_acme_article")),
                anonymous=NOT_FOUND,
            ),
        ),
    ],
    "help:file": [
        Case(args={"pk": "kb_file"}, answers=grant(KB_STAFF, anonymous=NOT_FOUND)),
    ],
    "help:favourite": [
        Case(
            args={"pk": "kb_article"},
            method="POST",
            effect=lambda s, p: Favourite.objects.filter(user_id=_pk(s, p)).exists(),
            answers=grant(SIGNED_IN, GOES(_kb_to("help:article"))),
        ),
    ],
}
