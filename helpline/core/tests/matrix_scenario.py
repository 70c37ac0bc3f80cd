"""The access matrix's world: one small desk where every URL argument is a real object.

Every persona the matrix asks about is here, signed in once (the matrix gives each request a
fresh client carrying the persona's session cookie). Every object a URL can name carries MARKER
text in its subject, bodies, names, file names and file contents; `Scenario.secrets` lists, per
persona, the ticket markers that must never reach them, on any page.

Tickets (all in Support unless said otherwise):
- `ticket`   requester A's request (Acme, which shares with its members), with a file in the
             requester's description and an internal note with its own file;
- `ticket_2` another of A's requests (a merge or link target);
- `ticket_b` requester B's request (Globex, which does not share), with a file;
- `ticket_x` A's request assigned to the external provider (their only work), with a note;
- `ticket_billing` A's request in Billing: Support's people cannot see it;
- `ticket_c` Carl's request (Initrode, which shares and lets its members act; Carl is no
             persona): his colleague Cleo (`colleague_c`) may read it and act on it.

Acme shares its requests read-only (the default): Arthur (`colleague_a`) reads Alice's requests
and may not act on them. Every session is a fresh sign-in with a password (allauth's record of
it included), so the two-step pages that ask "is it you?" first answer at once. Dana
(`agent_in`) uses two-step sign-in: an authenticator app, recovery codes and a security key named
with a MARKER; Morgan (`staff_member`, whom the administrator resets) an app.
"""

import hashlib
import re
import time
from dataclasses import dataclass, field

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.webauthn.internal.auth import WebAuthn
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from fido2.cose import ES256
from fido2.utils import sha256, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

from helpline.accounts.models import Department, Organisation, Role, User
from helpline.accounts.tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)
from helpline.desk import services as desk_services
from helpline.desk.models import SavedView
from helpline.kb import services as kb_services
from helpline.kb.models import (
    Article,
    ArticleComment,
    ArticleFile,
    ArticleStatus,
    Category,
    Visibility,
)
from helpline.mail.models import Mailbox, OutboxMessage, QuarantinedMail, StopRule
from helpline.notify.models import Notification
from helpline.replies import services as replies_services
from helpline.replies.models import ReplyTemplate, Scope
from helpline.staffmail import services as staffmail_services
from helpline.staffmail.models import Message
from helpline.tickets import services
from helpline.tickets.models import (
    Attachment,
    Channel,
    Status,
    StatusCategory,
    Ticket,
    Topic,
)

ANONYMOUS = "anonymous"
REQUESTERS = ("requester_a", "colleague_a", "requester_b", "colleague_b", "colleague_c")
STAFF = (
    "agent_in",
    "manager_in",
    "agent_out",
    "external",
    "staff_plain",
    "supervisor",
    "admin",
)
SIGNED_IN = (*REQUESTERS, *STAFF)
PERSONAS = (ANONYMOUS, *SIGNED_IN)

# Who may open `ticket`, `ticket_2` and `ticket_b` at the desk (Support's people and the
# supervisors); the external provider sees `ticket_x` only, by assignment.
DESK_T = ("agent_in", "manager_in", "supervisor", "admin")
# Who manages Support: the trash and deletion.
MANAGERS = ("manager_in", "supervisor", "admin")
# Staff who use the knowledge base at the desk (everyone but the external provider), and who
# write and publish in Support's categories (and moderate their comments).
KB_STAFF = ("agent_in", "manager_in", "agent_out", "staff_plain", "supervisor", "admin")
KB_EDITORS = MANAGERS
# The staff member who uses two-step sign-in (an app, recovery codes and a security key).
ENROLLED = "agent_in"
# Single sign-on configured (settings.SOCIALACCOUNT_PROVIDERS): the provider's pages answer
# without ever calling it (its address is a closed port).
SSO_PROVIDERS = {
    "openid_connect": {
        "APPS": [
            {
                "provider_id": "corp",
                "name": "Corp ID",
                "client_id": "helpline-desk",
                "secret": "matrix-provider-secret",
                "settings": {"server_url": "http://127.0.0.1:9", "trust_email": False},
            }
        ],
        "OAUTH_PKCE_ENABLED": True,
    }
}


@dataclass
class Scenario:
    people: dict[str, User]
    sessions: dict[str, str]
    support: Department
    software: Department
    billing: Department
    vendor: Department
    acme: Organisation
    globex: Organisation
    initrode: Organisation
    ticket: Ticket
    ticket_2: Ticket
    ticket_b: Ticket
    ticket_x: Ticket
    ticket_billing: Ticket
    ticket_c: Ticket
    security_key: Authenticator
    recovery_codes: tuple[str, ...]
    status: Status
    topic: Topic
    organisation: Organisation
    staff_member: User
    requester_person: User
    reset_uidb36: str
    reset_key: str
    signup_key: str
    outbox_message: OutboxMessage
    saved_view: SavedView
    mailbox: Mailbox
    quarantined: QuarantinedMail
    stop_rule: StopRule
    staff_message: Message
    notification: Notification
    reply_template: ReplyTemplate
    kb_category: Category
    kb_article: Article
    kb_staff_article: Article
    kb_acme_article: Article
    kb_proposal: Article
    kb_comment: ArticleComment
    kb_file: ArticleFile
    markers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    secrets: dict[str, frozenset[str]] = field(default_factory=dict)

    def client(self, persona: str) -> Client:
        """A fresh client signed in as `persona` (anonymous: no session)."""
        client = Client()
        if persona != ANONYMOUS:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client

    def attachment(self, ticket: Ticket, kind: str) -> Attachment:
        return Attachment.objects.get(ticket=ticket, entry__kind=kind)


def _file(name: str, marker: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, f"{marker}\n".encode() + b"plain text, " * 20)


def _ticket(
    tag: str, *, requester: User, department: Department, note_by: User | None = None
) -> tuple[Ticket, tuple[str, ...]]:
    """A request whose every visible part carries `MARKER-<tag>-…`; returns it and its markers
    that requesters may see (description, file) and, separately, the note's (staff only)."""
    subject, body = f"MARKER-{tag}-SUBJECT", f"MARKER-{tag}-DESCRIPTION"
    filename, content = f"marker-{tag.lower()}-file.txt", f"MARKER-{tag}-FILE-CONTENT"
    ticket = services.ticket_create(
        actor=requester,
        requester=requester,
        subject=subject,
        body=body,
        channel=Channel.PORTAL,
        department=department,
        files=[services.attachment_validate(_file(filename, content))],
    )
    return ticket, (subject, body, filename, content)


def _note(tag: str, ticket: Ticket, author: User) -> tuple[str, ...]:
    body = f"MARKER-{tag}-NOTE"
    filename, content = f"marker-{tag.lower()}-note.txt", f"MARKER-{tag}-NOTE-CONTENT"
    services.ticket_note_add(
        ticket=ticket,
        actor=author,
        body=body,
        files=[services.attachment_validate(_file(filename, content))],
    )
    return body, filename, content


def _security_key_registration() -> dict:
    """What a browser sends when a security key is registered (attestation "none"), as allauth
    stores it: the pages that list, use or add keys parse it."""
    key = ec.generate_private_key(ec.SECP256R1())
    credential_id = b"matrix-security-key"
    credential = AttestedCredentialData.create(
        Aaguid.NONE, credential_id, ES256.from_cryptography_key(key.public_key())
    )
    flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT
    data = AuthenticatorData.create(sha256(b"testserver"), flags, 0, credential)
    client_data = CollectedClientData.create(
        type="webauthn.create", challenge=b"matrix-challenge", origin="http://testserver"
    )
    return {
        "id": websafe_encode(credential_id),
        "rawId": websafe_encode(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(client_data),
            "attestationObject": websafe_encode(AttestationObject.create("none", data, {})),
        },
        "clientExtensionResults": {},
    }


def scenario_build() -> Scenario:
    support = DepartmentFactory(name="MARKER-DEPT-Support", line=1)
    software = DepartmentFactory(name="MARKER-DEPT-Software", parent=support, line=2)
    billing = DepartmentFactory(name="MARKER-DEPT-Billing", line=1)
    vendor = DepartmentFactory(name="MARKER-DEPT-Vendor", line=3)
    acme = OrganisationFactory(name="MARKER-ORG-Acme", domain="acme.test", shared_requests=True)
    globex = OrganisationFactory(name="MARKER-ORG-Globex", domain="globex.test")
    initrode = OrganisationFactory(
        name="MARKER-ORG-Initrode",
        domain="initrode.test",
        shared_requests=True,
        colleagues_may_act=True,
    )

    def requester(email: str, name: str, organisation: Organisation) -> User:
        return UserFactory(email=email, first_name=name, organisation=organisation)

    def staff(email: str, name: str, role: str = Role.AGENT) -> User:
        return StaffFactory(email=email, first_name=name, role=role)

    people = {
        "requester_a": requester("alice@acme.test", "Alice", acme),
        "colleague_a": requester("arthur@acme.test", "Arthur", acme),
        "requester_b": requester("bob@globex.test", "Bob", globex),
        "colleague_b": requester("bella@globex.test", "Bella", globex),
        "colleague_c": requester("cleo@initrode.test", "Cleo", initrode),
        "agent_in": staff("dispatcher@desk.test", "Dana"),
        "manager_in": staff("manager@desk.test", "Manny"),
        "agent_out": staff("billing@desk.test", "Bill"),
        "external": staff("vendor@partner.test", "Vic", Role.EXTERNAL),
        "staff_plain": staff("plain@desk.test", "Pat"),
        "supervisor": staff("supervisor@desk.test", "Sue", Role.SUPERVISOR),
        "admin": staff("admin@desk.test", "Ada", Role.ADMIN),
    }
    MembershipFactory(user=people["agent_in"], department=support)
    MembershipFactory(user=people["manager_in"], department=support, can_manage=True)
    # Outside Support, but managing Billing: the trash view is open to them (Billing's part).
    MembershipFactory(user=people["agent_out"], department=billing, can_manage=True)
    MembershipFactory(user=people["external"], department=vendor, can_assign=False)

    a, b = people["requester_a"], people["requester_b"]
    ticket, t_public = _ticket("T", requester=a, department=support)
    t_note = _note("T", ticket, people["agent_in"])
    ticket_2, t2_public = _ticket("T2", requester=a, department=support)
    ticket_b, b_public = _ticket("TB", requester=b, department=support)
    ticket_x, x_public = _ticket("TX", requester=a, department=support)
    ticket_billing, billing_public = _ticket("TBILL", requester=a, department=billing)
    carl = requester("carl@initrode.test", "Carl", initrode)
    ticket_c, c_public = _ticket("TC", requester=carl, department=support)
    x_note = _note("TX", ticket_x, people["agent_in"])
    # The external provider's only work: assigned, without any right in Support.
    Ticket.objects.filter(pk=ticket_x.pk).update(assignee=people["external"])
    for item in (ticket, ticket_2, ticket_b, ticket_x, ticket_billing, ticket_c):
        item.refresh_from_db()

    status = Status.objects.create(
        name="MARKER-STATUS-Waiting on vendor", category=StatusCategory.PENDING, order=90
    )
    topic = Topic.objects.create(name="MARKER-TOPIC-Printers", department=support)
    # What the administration pages edit: nobody the matrix signs in as, so a persona's own name
    # in the page's menu is never mistaken for a leak.
    organisation = OrganisationFactory(name="MARKER-ORG-Initech")
    staff_member = StaffFactory(email="morgan@desk.test", first_name="MARKER-STAFFNAME Morgan")
    MembershipFactory(user=staff_member, department=support)
    requester_person = UserFactory(
        email="carol@globex.test", first_name="MARKER-REQNAME Carol", organisation=globex
    )

    # Two-step sign-in: Dana's authenticators (the pages manage one's own), and Morgan's (what an
    # administrator resets).
    TOTP.activate(people[ENROLLED], generate_totp_secret())
    recovery_codes = tuple(RecoveryCodes.activate(people[ENROLLED]).generate_codes())
    security_key = WebAuthn.add(
        people[ENROLLED], "MARKER-KEY Dana's laptop", _security_key_registration()
    ).instance
    TOTP.activate(staff_member, generate_totp_secret())

    sessions = {}
    for persona, user in people.items():
        client = Client()
        client.force_login(user)
        # As allauth records a sign-in with the password: a moment ago, so the pages that
        # ask for the password again before changing authenticators do not.
        session = client.session
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "email": user.email}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
        sessions[persona] = session.session_key

    # The links people get by mail, made by the real pages: a sign-up to confirm, and a
    # password reset for requester A (after the sign-ins above, which the reset key depends on).
    mail.outbox = []
    Client().post(
        reverse("accounts:signup"),
        {
            "name": "MARKER-SIGNUP Newcomer",
            "email": "newcomer@elsewhere.test",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    Client().post(reverse("accounts:password_reset"), {"email": a.email})
    bodies = "\n".join(message.body for message in mail.outbox)
    signup_key = re.search(r"/accounts/signup/confirm/([^/\s]+)/", bodies).group(1)
    reset_uidb36, reset_key = re.search(
        r"/accounts/password/reset/key/([0-9A-Za-z]+)-(\S+)/", bodies
    ).groups()

    # A message the worker gave up on: what administrators see under Outgoing mail.
    outbox_message = OutboxMessage.objects.create(
        sender="desk@desk.test",
        recipients=["someone@acme.test"],
        subject="MARKER-MAIL-SUBJECT",
        raw=b"Subject: MARKER-MAIL-SUBJECT\n\nbody\n",
        status=OutboxMessage.Status.FAILED,
        attempts=10,
        last_error="SMTPServerDisconnected",
        next_attempt_at=timezone.now(),
    )

    # Dana's saved view, shared with Support: Manny sees it too; its name is in the event log.
    saved_view = desk_services.saved_view_create(
        actor=people["agent_in"],
        name="MARKER-VIEW Support queue",
        query={"view": "open"},
        department=support,
    )
    # A mailbox administrators manage; its secrets must never reach any page.
    mailbox = Mailbox.objects.create(
        name="MARKER-MAILBOX",
        address="inbox@desk.test",
        auth=Mailbox.Auth.GOOGLE,
        username="inbox@desk.test",
        oauth_client_id="client-id",
        oauth_client_secret="MARKER-MAILBOX-SECRET",  # noqa: S106
        password="MARKER-MAILBOX-PASSWORD",  # noqa: S106
    )
    # Received mail held back, and a stop rule: what administrators see under the quarantine and
    # the stop list.
    quarantined_raw = (
        b"From: stranger@elsewhere.test\r\nTo: help@desk.test\r\n"
        b"Subject: MARKER-QUARANTINE-SUBJECT\r\nMessage-ID: <q1@elsewhere.test>\r\n\r\nbody\r\n"
    )
    stop_rule = StopRule.objects.create(kind="domain", pattern="marker-stop.test", action="reject")
    quarantined = QuarantinedMail.objects.create(
        reason=QuarantinedMail.Reason.STOP_RULE,
        raw=quarantined_raw,
        size=len(quarantined_raw),
        sha256=hashlib.sha256(quarantined_raw).hexdigest(),
        from_address="stranger@elsewhere.test",
        subject="MARKER-QUARANTINE-SUBJECT",
        stop_rule=stop_rule,
    )

    # Internal mail: Dana writes to Manny about `ticket`, with a file; Manny is notified of it.
    # Its participants read it in their boxes; the request's staff see it on the request.
    staff_message = staffmail_services.message_send(
        actor=people["agent_in"],
        subject="MARKER-STAFFMAIL subject",
        body="MARKER-STAFFMAIL-BODY",
        people=[people["manager_in"]],
        ticket=ticket,
        files=[_file("memo.txt", "MARKER-STAFFMAIL-FILE")],
    )
    notification = Notification.objects.get(user=people["manager_in"], kind="message")

    # Support's reply template, written by Manny (who manages Support): Support's people use it.
    reply_template = replies_services.reply_template_create(
        actor=people["manager_in"],
        scope=Scope.DEPARTMENT,
        department=support,
        name="MARKER-REPLY Support greeting",
        texts={"en": "Hello {{ requester_name }}, about {{ subject }}: MARKER-REPLY-TEXT"},
        actions={"add_tags": ["matrix"]},
    )

    # The knowledge base: a category of Support's, a public article (with a second revision), a
    # staff-only one, one for Acme's requesters, Dana's proposal in review and a comment waiting.
    kb_category = kb_services.category_save(
        actor=people["admin"],
        category=Category(),
        name="MARKER-KBCAT Network",
        department=support,
        parent=None,
        description="",
        order=0,
    )

    def kb_publish(title: str, body: str, **fields) -> Article:
        return kb_services.article_create(
            actor=people["admin"],
            category=kb_category,
            title=title,
            body=body,
            publish=True,
            **fields,
        )

    kb_article = kb_publish("MARKER-KB-PUBLIC Printer toner", "Shake the toner cartridge.")
    kb_services.article_update(
        actor=people["admin"], article=kb_article, body="Shake the cartridge gently."
    )
    kb_staff_article = kb_publish(
        "MARKER-KB-STAFF Router vault", "MARKER-KB-STAFF-BODY", visibility=Visibility.STAFF
    )
    kb_acme_article = kb_publish(
        "MARKER-KB-ACME VPN gateway",
        "MARKER-KB-ACME-BODY",
        visibility=Visibility.ORGANISATIONS,
        organisations=[acme],
    )
    kb_proposal = kb_services.article_create(
        actor=people["agent_in"],
        category=kb_category,
        title="MARKER-KB-PROPOSAL Paper tips",
        body="MARKER-KB-PROPOSAL-BODY",
    )
    kb_services.article_transition(
        actor=people["agent_in"], article=kb_proposal, to=ArticleStatus.REVIEW
    )
    # A file of the staff-only article: staff only.
    (kb_file,) = kb_services.article_files_add(
        actor=people["admin"],
        article=kb_staff_article,
        files=[services.attachment_validate(_file("marker-kb-file.txt", "MARKER-KB-FILE"))],
    )
    kb_comment = kb_services.comment_add(
        actor=people["requester_b"], article=kb_article, body="MARKER-KB-COMMENT buy pills"
    )

    markers = {
        "staff_message": ("MARKER-STAFFMAIL subject", "MARKER-STAFFMAIL-BODY"),
        "reply_template": (reply_template.name, "MARKER-REPLY-TEXT"),
        "kb_staff_article": (kb_staff_article.title, "MARKER-KB-STAFF-BODY"),
        "kb_acme_article": (kb_acme_article.title, "MARKER-KB-ACME-BODY"),
        "kb_proposal": (kb_proposal.title, "MARKER-KB-PROPOSAL-BODY"),
        "kb_comment": (kb_comment.body,),
        "kb_file": ("MARKER-KB-FILE",),
        "saved_view": (saved_view.name,),
        "ticket": t_public,
        "ticket_note": t_note,
        "ticket_2": t2_public,
        "ticket_b": b_public,
        "ticket_x": x_public,
        "ticket_x_note": x_note,
        "ticket_billing": billing_public,
        "ticket_c": c_public,
        "outbox_message": (outbox_message.subject,),
        "mailbox": (mailbox.name,),
        "mailbox_secrets": ("MARKER-MAILBOX-SECRET", "MARKER-MAILBOX-PASSWORD"),
        "quarantined": (quarantined.subject,),
        "stop_rule": (stop_rule.pattern,),
    }
    # Who may see each group of markers; everyone else must never receive them.
    readers = {
        "staff_message": set(DESK_T),
        "reply_template": set(DESK_T),
        "kb_staff_article": set(KB_STAFF),
        "kb_acme_article": {"requester_a", "colleague_a", *KB_STAFF},
        "kb_proposal": set(KB_STAFF),
        "kb_comment": set(KB_EDITORS),
        "kb_file": set(KB_STAFF),
        "saved_view": {"agent_in", "manager_in", "admin"},
        "ticket": {"requester_a", "colleague_a", *DESK_T},
        "ticket_note": set(DESK_T),
        "ticket_2": {"requester_a", "colleague_a", *DESK_T},
        "ticket_b": {"requester_b", *DESK_T},
        "ticket_x": {"requester_a", "colleague_a", "external", *DESK_T},
        "ticket_x_note": {"external", *DESK_T},
        "ticket_billing": {"requester_a", "colleague_a", "agent_out", "supervisor", "admin"},
        "ticket_c": {"colleague_c", *DESK_T},
        "outbox_message": {"admin"},
        "mailbox": {"admin"},
        "mailbox_secrets": set(),
        "quarantined": {"admin"},
        "stop_rule": {"admin"},
    }
    secrets = {
        persona: frozenset(
            marker
            for group, texts in markers.items()
            if persona not in readers[group]
            for marker in texts
        )
        for persona in PERSONAS
    }
    return Scenario(
        people=people,
        sessions=sessions,
        support=support,
        software=software,
        billing=billing,
        vendor=vendor,
        acme=acme,
        globex=globex,
        initrode=initrode,
        ticket=ticket,
        ticket_2=ticket_2,
        ticket_b=ticket_b,
        ticket_x=ticket_x,
        ticket_billing=ticket_billing,
        ticket_c=ticket_c,
        security_key=security_key,
        recovery_codes=recovery_codes,
        status=status,
        topic=topic,
        organisation=organisation,
        staff_member=staff_member,
        requester_person=requester_person,
        reset_uidb36=reset_uidb36,
        reset_key=reset_key,
        signup_key=signup_key,
        outbox_message=outbox_message,
        saved_view=saved_view,
        mailbox=mailbox,
        quarantined=quarantined,
        stop_rule=stop_rule,
        staff_message=staff_message,
        notification=notification,
        reply_template=reply_template,
        kb_category=kb_category,
        kb_article=kb_article,
        kb_staff_article=kb_staff_article,
        kb_acme_article=kb_acme_article,
        kb_proposal=kb_proposal,
        kb_comment=kb_comment,
        kb_file=kb_file,
        markers=markers,
        secrets=secrets,
    )
