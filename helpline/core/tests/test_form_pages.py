"""Every form of the product submits unchanged: a field the template forgot cannot ship again.

The URL list is read from the resolver (accounts, desk, administration, portal, nested includes
too). Each page is opened as a persona entitled to it; every form on it is parsed from the HTML
and posted back as a browser would (CSRF token included, checks enforced). The answer must be a
success, or the form again with messages only about required fields the person left empty. And
each Django form the page holds must have all its fields on the page once any of them is there.
"""

import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django import forms
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from helpline.accounts.selfservice import _ADDRESS_SALT as ADDRESS_SALT
from helpline.desk.services import saved_view_create
from helpline.mail.backends import QueuedEmailBackend
from helpline.mail.models import Mailbox, OutboxMessage, QuarantinedMail, StopRule
from helpline.tickets import services
from helpline.tickets.models import Channel, Status, StatusCategory, Topic

NAMESPACES = {"accounts", "desk", "manage", "portal"}
# Who opens the pages of each namespace; accounts pages are mostly for people signed out.
PERSONA = {"manage": "admin_user", "desk": "supervisor", "portal": "requester_a"}
SIGNED_IN_ACCOUNT_PAGES = {
    "accounts:profile",
    "accounts:logout",
    "accounts:addresses",
    "accounts:address_confirm",
}
# Form fields that are on purpose not in the page's HTML, with the reason.
NOT_ON_THE_PAGE = {
    ("BoardFilterForm", "after"): "keyset cursor, carried by the pager's links",
    ("BoardFilterForm", "before"): "keyset cursor, carried by the pager's links",
    ("NewRequestForm", "requester"): "picked among the search results, empty until one searches",
    ("NewRequestForm", "confirm_staff_address"): "shown only with the warning for a staff address",
    ("BulkForm", "template"): "the macro list is loaded into the bulk bar when it is opened",
    ("TicketSearchForm", "page"): "carried by the result pager's links",
    # The ticket page's action dialogs load their fields when first opened (the form in the
    # page carries the version it showed; desk/tests/test_ticket_dialogs.py checks the rest).
    ("EscalateForm", "department"): "loaded when the dialog first opens",
    ("EscalateForm", "reason"): "loaded when the dialog first opens",
    ("SupervisorForm", "supervisor"): "loaded when the dialog first opens",
    ("SupervisorForm", "reason"): "loaded when the dialog first opens",
    ("TransferForm", "department"): "loaded when the dialog first opens",
    ("TransferForm", "reason"): "loaded when the dialog first opens",
    ("MergeForm", "target"): "loaded when the dialog first opens",
    ("LinkForm", "other"): "loaded when the dialog first opens",
}


# --- the URLs ---------------------------------------------------------------------------------


def _walk(patterns, namespace: str = ""):
    for item in patterns:
        if isinstance(item, URLResolver):
            inner = f"{namespace}:{item.namespace}" if namespace else item.namespace or ""
            yield from _walk(item.url_patterns, inner if item.namespace else namespace)
        elif isinstance(item, URLPattern) and item.name:
            yield f"{namespace}:{item.name}" if namespace else item.name, item


def product_urls() -> list[tuple[str, URLPattern]]:
    return [
        (name, p)
        for name, p in _walk(get_resolver().url_patterns)
        if name.split(":")[0] in NAMESPACES
    ]


@dataclass
class World:
    """One object of each kind, so every URL's arguments name something real."""

    ids: dict[str, int] = field(default_factory=dict)
    mailed: dict[str, dict] = field(default_factory=dict)  # URL name → kwargs of a mailed link

    def kwargs(self, name: str, pattern: URLPattern) -> dict:
        # path() names its arguments in converters, re_path() in the regex's named groups.
        wanted = list(pattern.pattern.converters) or list(pattern.pattern.regex.groupindex)
        namespace, view = name.split(":")
        if not wanted:
            return {}
        if name in ARGUMENTS:
            return ARGUMENTS[name](self)
        if namespace in {"desk", "portal"} and wanted == ["pk"]:
            key = "attachment" if "attachment" in view else "ticket"
            return {"pk": self.ids[key]}
        if namespace == "manage" and wanted == ["pk"]:
            for prefix, key in MANAGE_OBJECTS.items():
                if view.startswith(prefix):
                    return {"pk": self.ids[key]}
        raise LookupError(f"{name}: say which object fills {wanted} (ARGUMENTS / MANAGE_OBJECTS)")


MANAGE_OBJECTS = {
    "department": "department",
    "member_add": "department",
    "staff": "staff",
    "organisation": "organisation",
    "requester": "requester",
    "person": "requester",
    "status": "status",
    "topic": "topic",
    "outbox": "outbox",
    "mailbox": "mailbox",
    "quarantine": "quarantine",
    "stop_rule": "stop_rule",
}
ARGUMENTS = {
    "desk:unlink": lambda w: {"pk": w.ids["ticket"], "other": w.ids["other"]},
    "desk:lookup": lambda w: {"kind": "organisation"},
    "manage:member_change": lambda w: {"pk": w.ids["department"], "user_pk": w.ids["staff"]},
    # Links as the mails carry them (the world asks for both mails).
    "accounts:password_reset_confirm": lambda w: w.mailed["accounts:password_reset_confirm"],
    "accounts:signup_confirm": lambda w: w.mailed["accounts:signup_confirm"],
    # The link mailed when requester A adds an address (the same signature the view checks).
    "accounts:address_confirm": lambda w: {
        "token": signing.dumps(
            {"user": w.ids["requester"], "email": "second.address@acme.test"}, salt=ADDRESS_SALT
        )
    },
}


@pytest.fixture
def world(requester_a, support, dispatcher, admin_user, supervisor, org_a, settings):
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer on floor 3 jams",
        body="It jams on every second page.",
        channel=Channel.PORTAL,
        department=support,
        files=[
            services.attachment_validate(SimpleUploadedFile("jam.pdf", b"%PDF-1.7\n" + b"x" * 50))
        ],
    )
    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Toner low",
        body="Also the toner.",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_link(ticket=ticket, other=other, actor=dispatcher)
    # A saved view of the desk's persona: the saved views page shows its rename form.
    saved_view_create(actor=supervisor, name="Open in Support", query={"view": "open"})
    status = Status.objects.create(name="Waiting for parts", category=StatusCategory.ON_HOLD)
    topic = Topic.objects.create(name="Printers", department=support)
    mailed = {}
    for url, data in (
        (
            "accounts:signup",
            {
                "name": "Nina New",
                "email": "nina@new.test",
                "password1": "long-enough-pass-42",
                "password2": "long-enough-pass-42",
            },
        ),
        ("accounts:password_reset", {"email": requester_a.email}),
    ):
        assert Client().post(reverse(url), data).status_code == 302
        path = re.search(r"https?://[^/\s]+(/accounts/\S+/)", mail.outbox[-1].body).group(1)
        match = resolve(path)
        mailed[f"{match.namespace}:{match.url_name}"] = match.kwargs
    QueuedEmailBackend().send_messages(
        [EmailMessage("Waiting", "A queued message.", "desk@helpline.test", ["someone@else.test"])]
    )
    held_raw = b"From: someone@else.test\r\nSubject: Held\r\n\r\nbody\r\n"
    held = QuarantinedMail.objects.create(
        reason=QuarantinedMail.Reason.RATE_LIMIT,
        raw=held_raw,
        size=len(held_raw),
        sha256=hashlib.sha256(held_raw).hexdigest(),
        subject="Held",
    )
    rule = StopRule.objects.create(kind="sender", pattern="spammer@else.test")
    return World(
        ids={
            "quarantine": held.pk,
            "stop_rule": rule.pk,
            "outbox": OutboxMessage.objects.latest("pk").pk,
            "mailbox": Mailbox.objects.create(name="Help", address="help@desk.test").pk,
            "ticket": ticket.pk,
            "other": other.pk,
            "attachment": ticket.attachments.get().pk,
            "department": support.pk,
            "staff": dispatcher.pk,
            "organisation": org_a.pk,
            "requester": requester_a.pk,
            "status": status.pk,
            "topic": topic.pk,
        },
        mailed=mailed,
    )


# --- forms as a browser sees them -------------------------------------------------------------


@dataclass
class HtmlForm:
    attrs: dict
    controls: list = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self.names: set[str] = set()  # every control's name on the page
        self._form: HtmlForm | None = None
        self._owned: list[tuple[str, dict]] = []  # controls with a form="id" attribute
        self._select = self._textarea = self._option = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(a)
            self.forms.append(self._form)
        elif tag in {"input", "select", "textarea", "button"}:
            control = {"tag": tag, "attrs": a, "options": [], "text": ""}
            if a.get("name"):
                self.names.add(a["name"])
            if a.get("form"):
                self._owned.append((a["form"], control))
            elif self._form is not None:
                self._form.controls.append(control)
            if tag == "select":
                self._select = control
            elif tag == "textarea":
                self._textarea = control
        elif tag == "option" and self._select is not None:
            self._option = {"attrs": a, "text": ""}
            self._select["options"].append(self._option)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "option":
            self._option = None

    def handle_data(self, data):
        for open_element in (self._textarea, self._option):
            if open_element is not None:
                open_element["text"] += data

    def parsed(self) -> list[HtmlForm]:
        by_id = {f.attrs["id"]: f for f in self.forms if f.attrs.get("id")}
        for form_id, control in self._owned:
            if form_id in by_id:
                by_id[form_id].controls.append(control)
        return self.forms


@dataclass
class Submission:
    method: str
    action: str
    data: dict[str, list[str]]
    empty: set[str]  # names present on the page that go back empty (the person would fill them)


def submission(form: HtmlForm, page_url: str) -> Submission:
    data: dict[str, list[str]] = {}
    empty: set[str] = set()
    button = None
    for control in form.controls:
        tag, a = control["tag"], control["attrs"]
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        name = a.get("name")
        if kind in {"submit", "image"}:
            button = button or control
            continue
        if not name or "disabled" in a or kind in {"reset", "button"}:
            continue
        if tag == "select":
            options = [o for o in control["options"] if "disabled" not in o["attrs"]]
            chosen = [o for o in options if "selected" in o["attrs"]]
            if not chosen and options and "multiple" not in a:
                chosen = options[:1]
            values = [o["attrs"].get("value", o["text"].strip()) for o in chosen]
        elif tag == "textarea":
            values = [control["text"].removeprefix("\n")]
        elif kind in {"checkbox", "radio"}:
            values = [a.get("value", "on")] if "checked" in a else []
        elif kind == "file":
            values = []
        else:
            values = [a.get("value", "")]
        values = [v for v in values if v != ""]
        if values:
            data.setdefault(name, []).extend(values)
        else:
            empty.add(name)
    if button is not None and button["attrs"].get("name"):
        data[button["attrs"]["name"]] = [button["attrs"].get("value", "")]
    action = urljoin(page_url, form.attrs.get("action") or page_url)
    return Submission(form.attrs.get("method", "get").lower(), action, data, empty - set(data))


def context_forms(response) -> list[forms.BaseForm]:
    found = []
    contexts = response.context or []
    # A page of a single template (no include, no base) has one Context, not a list of them.
    for context in [contexts] if hasattr(contexts, "flatten") else contexts:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and all(value is not f for f in found):
                found.append(value)
    return found


def unexplained_errors(response, sent: Submission) -> list[str]:
    """Messages other than "this field you left empty is needed"."""
    problems = []
    for form in context_forms(response):
        if not form.is_bound:
            continue
        for name, messages in form.errors.items():
            if name == "__all__":
                required_empty = {
                    form.add_prefix(n) for n, f in form.fields.items() if f.required
                } & sent.empty
                if not required_empty:
                    problems.append(f"{type(form).__name__}: {messages}")
                continue
            # Asked for because the person left it empty (required, or required in this case).
            explained = form.add_prefix(name) in sent.empty or (
                (type(form).__name__, name) in NOT_ON_THE_PAGE
            )
            if not explained:
                problems.append(f"{type(form).__name__}.{name}: {messages}")
    return problems


def fields_missing_from_the_page(response, names_on_page: set[str]) -> list[str]:
    problems = []
    for form in context_forms(response):
        names = {
            form.add_prefix(n)
            for n in form.fields
            if (type(form).__name__, n) not in NOT_ON_THE_PAGE
        }
        if names & names_on_page:
            problems += [
                f"{type(form).__name__}: {n} is not on the page"
                for n in sorted(names - names_on_page)
            ]
    return problems


def client_for(name: str, request) -> Client:
    client = Client(enforce_csrf_checks=True)
    namespace = name.split(":")[0]
    persona = PERSONA.get(namespace)
    if namespace == "accounts" and name in SIGNED_IN_ACCOUNT_PAGES:
        persona = "requester_a"
    if persona:
        client.force_login(request.getfixturevalue(persona))
    return client


@contextmanager
def rolled_back():
    """Each page and each submission starts from the same data."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def submitted_problems(client, sent: Submission) -> list[str]:
    send = client.post if sent.method == "post" else client.get
    try:
        with rolled_back():
            answer = send(sent.action, sent.data)
    except Exception as exc:  # noqa: BLE001 - every failure is reported together
        return [f"raised {exc!r}"]
    if answer.status_code in {301, 302, 303, 204}:
        return []
    if answer.status_code not in {200, 422}:
        return [f"answered {answer.status_code}"]
    problems = unexplained_errors(answer, sent)
    if answer.status_code == 422 and not any(
        f.is_bound and f.errors for f in context_forms(answer)
    ):
        problems.append("refused without saying which field")
    return problems


def forms_of_page(name, url, request, tried: set, pages_with_forms: set) -> list[str]:
    client = client_for(name, request)
    response = client.get(url, follow=True)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = FormParser()
    parser.feed(response.content.decode())
    failures = [f"{name}: {p}" for p in fields_missing_from_the_page(response, parser.names)]
    page_url = response.request["PATH_INFO"]
    for html_form in parser.parsed():
        sent = submission(html_form, page_url)
        key = (sent.method, urlsplit(sent.action).path, tuple(sorted(sent.data)))
        if key in tried:
            continue
        tried.add(key)
        pages_with_forms.add(name)
        where = f"{name}: {sent.method.upper()} {sent.action}"
        failures += [f"{where}: {p}" for p in submitted_problems(client, sent)]
    return failures


def test_every_form_page_submits_unchanged(world, request):
    failures: list[str] = []
    tried: set[tuple] = set()
    pages_with_forms: set[str] = set()
    for name, pattern in product_urls():
        try:
            url = reverse(name, kwargs=world.kwargs(name, pattern))
        except LookupError as exc:
            failures.append(str(exc))
            continue
        with rolled_back():
            failures += forms_of_page(name, url, request, tried, pages_with_forms)
    assert not failures, "\n".join(failures)
    # The walk really reached the form pages of every part of the product.
    assert {
        "manage:settings",
        "manage:department",
        "desk:ticket",
        "desk:new",
        "desk:saved_views",
        "portal:new",
    } <= pages_with_forms, sorted(pages_with_forms)
    assert {"accounts:login", "accounts:profile", "accounts:signup"} <= pages_with_forms
