"""Forms of the administrators' pages; they parse input, the services decide what is allowed."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpline.accounts.forms import AddressForm
from helpline.accounts.models import Department, Organisation, Role, SupportLine, User
from helpline.accounts.services import RIGHTS
from helpline.audit.selectors import event_object_types
from helpline.core.errors import DomainError
from helpline.core.models import SiteSettings
from helpline.mail.models import Mailbox, StopRule
from helpline.tickets.models import Level, Priority, Status, Topic

from .selectors import department_parent_choices

RIGHT_LABELS = {
    "can_view": _("View"),
    "can_reply": _("Reply"),
    "can_assign": _("Assign / transfer"),
    "can_manage": _("Manage"),
}
KNOWN_ACTIONS = (
    "ticket.",
    "ticket.created",
    "ticket.updated",
    "ticket.replied",
    "ticket.noted",
    "ticket.deleted",
    "ticket.restored",
    "ticket.purged",
    "ticket.merged",
    "staff.",
    "staff.created",
    "staff.changed",
    "staff.deactivated",
    "membership.",
    "department.",
    "organisation.",
    "requester.",
    "status.",
    "topic.",
    "priority_matrix.changed",
    "settings.changed",
    "auth.",
    "auth.login_failed",
    "auth.mfa_failed",
    "auth.sso_*",
    "mfa.",
    "mfa.reset",
    "account.",
    "mail.",
    "saved_view.",
)


class BootstrapForm:
    """Gives every widget its Bootstrap class and marks invalid fields for screen readers."""

    # helpline/forms/field.html: a red asterisk after required fields.
    field_style = "required"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def _mark_invalid(self, name: str) -> None:
        widget = self.fields[name].widget
        if "is-invalid" not in widget.attrs.get("class", ""):
            widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def full_clean(self):
        # Marked after cleaning, never in __init__: subclasses set querysets after super().
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self._mark_invalid(name)

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a service's refusal on the field it concerns (or on the whole form)."""
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, exc.message)
        if field:
            self._mark_invalid(field)


# --- departments ----------------------------------------------------------------------------


class DepartmentForm(BootstrapForm, forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "parent", "line", "email", "description", "signature", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "signature": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = department_parent_choices(self.instance)
        self.fields["parent"].empty_label = None


class RightsForm(BootstrapForm, forms.Form):
    can_view = forms.BooleanField(label=RIGHT_LABELS["can_view"], required=False)
    can_reply = forms.BooleanField(label=RIGHT_LABELS["can_reply"], required=False)
    can_assign = forms.BooleanField(label=RIGHT_LABELS["can_assign"], required=False)
    can_manage = forms.BooleanField(label=RIGHT_LABELS["can_manage"], required=False)

    def rights(self) -> dict[str, bool]:
        return {right: self.cleaned_data[right] for right in RIGHTS}


class AddMemberForm(RightsForm):
    field_order = ["user", *RIGHTS]
    user = forms.ModelChoiceField(
        label=_("Staff member"), queryset=User.objects.none(), empty_label=_("Choose a person…")
    )

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["user"].queryset = candidates
        self.fields["user"].label_from_instance = lambda u: f"{u.display_name} <{u.email}>"


# --- staff ----------------------------------------------------------------------------------

STAFF_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in Role.STAFF]
LINE_CHOICES = [("", "—"), *SupportLine.choices]


class StaffFieldsForm(BootstrapForm, forms.Form):
    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)
    support_line = forms.TypedChoiceField(
        label=_("Support line"),
        choices=LINE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Agents work in a line; supervisors and administrators may leave it empty."),
    )


class StaffCreateForm(StaffFieldsForm):
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    send_set_password_mail = forms.BooleanField(
        label=_("Send a mail with a link to choose a password instead"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("send_set_password_mail"):
            self.add_error("password", _("Either set a password or send the mail, not both."))
        elif not data.get("password") and not data.get("send_set_password_mail"):
            self.add_error("password", _("Give an initial password or send a set-password mail."))
        return data


class StaffEditForm(StaffFieldsForm):
    """The account plus one row of right checkboxes per department (no rights: not a member)."""

    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Inactive staff cannot sign in; their history stays."),
    )

    def __init__(self, *args, departments=(), memberships=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = list(departments)
        memberships = memberships or {}
        for department in self.departments:
            current = memberships.get(department.pk)
            for right in RIGHTS:
                self.fields[f"dept_{department.pk}_{right}"] = forms.BooleanField(
                    label=f"{department.name}: {RIGHT_LABELS[right]}",
                    required=False,
                    initial=bool(current and getattr(current, right)),
                    widget=forms.CheckboxInput(
                        attrs={
                            "class": "form-check-input",
                            "aria-label": f"{department.name}: {RIGHT_LABELS[right]}",
                        }
                    ),
                )
        self.current_memberships = memberships

    def membership_rows(self):
        """(department, is member, [(checkbox, name of the ancestor it is inherited from)])."""
        by_path = {d.path: d for d in self.departments}
        for department in self.departments:
            parts = department.path.strip("/").split("/")
            ancestors = [
                by_path[path]
                for path in ("/" + "/".join(parts[:i]) + "/" for i in range(len(parts) - 1, 0, -1))
                if path in by_path
            ]
            cells = []
            for right in RIGHTS:
                source = next(
                    (
                        a.name
                        for a in ancestors
                        if (m := self.current_memberships.get(a.pk)) and getattr(m, right)
                    ),
                    "",
                )
                cells.append((self[f"dept_{department.pk}_{right}"], source))
            yield department, department.pk in self.current_memberships, cells

    def memberships(self) -> dict[int, dict[str, bool] | None]:
        """Only the departments whose rights changed, mapped to new rights or None."""
        wanted = {}
        for department in self.departments:
            rights = {r: self.cleaned_data[f"dept_{department.pk}_{r}"] for r in RIGHTS}
            current = self.current_memberships.get(department.pk)
            if current is None and not any(rights.values()):
                continue
            if current is not None and all(getattr(current, r) == v for r, v in rights.items()):
                continue
            wanted[department.pk] = rights if any(rights.values()) else None
        return wanted


# --- organisations and requesters -----------------------------------------------------------


class OrganisationForm(BootstrapForm, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "domain", "shared_requests", "colleagues_may_act", "notes", "is_active"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}


class RequesterForm(BootstrapForm, forms.Form):
    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("name"), required=False
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Inactive requesters cannot sign in.")
    )


# --- the desk's configuration ---------------------------------------------------------------


class StatusForm(BootstrapForm, forms.ModelForm):
    class Meta:
        model = Status
        fields = ["name", "category", "order", "is_default", "is_active"]

    def _get_validation_exclusions(self):
        # Not the one-default constraint: status_save moves the mark from the old default.
        return super()._get_validation_exclusions() | {"is_default"}


class PriorityMatrixForm(BootstrapForm, forms.Form):
    """One select per impact × urgency cell, named `cell_<impact>_<urgency>`."""

    def __init__(self, *args, matrix=None, **kwargs):
        super().__init__(*args, **kwargs)
        matrix = matrix or {}
        for impact in Level.values:
            for urgency in Level.values:
                self.fields[f"cell_{impact}_{urgency}"] = forms.TypedChoiceField(
                    label=_("Impact %(impact)s, urgency %(urgency)s")
                    % {"impact": Level(impact).label, "urgency": Level(urgency).label},
                    choices=Priority.choices,
                    coerce=int,
                    initial=matrix.get((impact, urgency), Priority.NORMAL),
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )

    def rows(self):
        """Impact from high to low, urgency from low to high: the usual drawing of the matrix."""
        for impact in sorted(Level.values, reverse=True):
            yield Level(impact).label, [self[f"cell_{impact}_{u}"] for u in Level.values]

    def cells(self) -> dict[tuple[int, int], int]:
        return {
            (i, u): self.cleaned_data[f"cell_{i}_{u}"] for i in Level.values for u in Level.values
        }


class TopicForm(BootstrapForm, forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "description", "department", "default_class", "order", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = department_parent_choices()[1:]


class SettingsForm(BootstrapForm, forms.ModelForm):
    mfa_required_roles = forms.TypedMultipleChoiceField(
        label=_("Require two-step sign-in for these roles"),
        choices=STAFF_ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Used when it is not required for all staff."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mfa_required_roles"].widget.attrs["class"] = "form-check-input"

    class Meta:
        model = SiteSettings
        fields = [
            "desk_name",
            "portal_welcome",
            "anonymous_submission",
            "kb_anonymous",
            "allow_signup",
            "auto_close_days",
            "max_attachment_mb",
            "allowed_types",
            "blocked_types",
            "mfa_required_staff",
            "mfa_required_roles",
        ]
        widgets = {
            "portal_welcome": forms.Textarea(attrs={"rows": 4}),
            "allowed_types": forms.Textarea(attrs={"rows": 2}),
            "blocked_types": forms.Textarea(attrs={"rows": 2}),
        }


# --- the event log --------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class EventFilterForm(BootstrapForm, forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Person"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=60,
        help_text=_("Exact (ticket.updated) or a family ending in a dot (ticket.)."),
        widget=forms.TextInput(attrs={"list": "event-actions", "placeholder": "ticket."}),
    )
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    known_actions = KNOWN_ACTIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any person can be filtered on (links from a row may name a requester); the select
        # lists staff, plus the chosen person when they are not staff.
        actor = self.fields["actor"]
        actor.queryset = User.objects.all()
        people = User.objects.filter(role__in=Role.STAFF)
        chosen = str(self.data.get("actor", ""))
        if chosen.isdigit():
            people = User.objects.filter(Q(role__in=Role.STAFF) | Q(pk=int(chosen)))
        actor.choices = [("", _("Anyone"))] + [
            (person.pk, f"{person.display_name} <{person.email}>")
            for person in people.order_by("first_name", "last_name", "email")
        ]
        self.fields["object_type"].choices = [("", _("Any")), *event_object_types()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class RequesterAddressForm(AddressForm):
    """The profile's address form, marked like the rest of the administration's forms."""

    field_style = "required"


class MailboxForm(BootstrapForm, forms.ModelForm):
    """A mailbox's settings. Secrets are write-only: the page never shows them, an empty field
    keeps the stored one."""

    SECRET_FIELDS = ("password", "oauth_client_secret", "smtp_password")

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "department",
            "topic",
            "is_active",
            "protocol",
            "host",
            "port",
            "security",
            "auth",
            "username",
            "password",
            "oauth_client_id",
            "oauth_client_secret",
            "oauth_tenant",
            "folder",
            "after_fetch",
            "move_to",
            "poll_seconds",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
        ]
        help_texts = {
            "port": _("Empty: the usual port for the protocol and security."),
            "folder": _("IMAP only; POP3 always reads the inbox."),
            "oauth_tenant": _("Microsoft 365 only: your directory (tenant) ID or domain."),
            "smtp_host": _(
                "Empty: this mailbox's mail goes out through the installation's server."
            ),
            "poll_seconds": _("At least 30; the worker checks due mailboxes every minute."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance
        for name in self.SECRET_FIELDS:
            field = self.fields[name]
            field.required = False
            field.widget = forms.PasswordInput(
                render_value=False,
                attrs={"class": "form-control", "autocomplete": "new-password"},
            )
            if stored.pk and getattr(stored, name):
                field.help_text = _("Stored; leave empty to keep it.")
        self.fields["department"].choices = department_parent_choices()
        self.fields["department"].required = False

    def secrets(self) -> dict[str, str]:
        """What was typed into the secret fields (empty: keep the stored one)."""
        return {name: self.cleaned_data.get(name) or "" for name in self.SECRET_FIELDS}


# --- letter templates -----------------------------------------------------------------------


class LetterForm(BootstrapForm, forms.Form):
    """One letter's subject and text; the placeholders are checked by the service on save."""

    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true"}),
        help_text=_(
            "Placeholders are written {{ name }}; the list beside shows them all. The mail is "
            "sent as plain text and as HTML made from it, with the request's number added to "
            "the subject."
        ),
    )


class StopRuleForm(BootstrapForm, forms.ModelForm):
    class Meta:
        model = StopRule
        fields = ["kind", "pattern", "action", "note", "is_active"]
        help_texts = {
            "pattern": _(
                "A whole address (sender), a domain and its subdomains (domain), or words "
                "found anywhere, ignoring case (subject, body)."
            ),
            "action": _(
                "Reject drops the message (counted here); quarantine holds it for an "
                "administrator; spam holds it apart in the quarantine's spam list."
            ),
        }
