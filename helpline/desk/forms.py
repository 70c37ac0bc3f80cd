"""Forms of the board: the filter bar, bulk actions and a new request on a requester's behalf."""

from functools import cached_property
from html import escape as _escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department, Organisation, Role, User
from helpline.core.submissions import SubmissionKeyField
from helpline.core.widgets import quicken
from helpline.tickets.access import (
    may_register_requesters,
    organisations_visible,
    requester_directory,
)
from helpline.tickets.forms import AttachmentsField
from helpline.tickets.models import Channel, Level, Priority, TicketClass

from .lookups import chosen_label
from .selectors import (
    BOARD_VIEWS,
    DEFAULT_VIEW,
    SORT_LABELS,
    BoardChoices,
    BoardFilters,
    view_allowed,
)

MAX_BULK = 500


class LongSelect(forms.Select):
    """A select for lists that grow with the desk (organisations, staff), rendered in Python.

    Django renders each option through a template: with 5,000 organisations the board's filter
    spent 0.7 s of every page on that one select (bench/, docs/admin/benchmarks.md). Same markup
    as forms.Select, for flat choices.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{_escape(str(key))}"{" selected" if str(key) in chosen else ""}>'
            f"{_escape(str(label))}</option>"
            for key, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        # Every value and label above went through escape().
        return format_html('<select name="{}"{}>{}</select>', name, attributes, mark_safe(options))  # noqa: S308


def _department_choices(departments) -> list[tuple[str, str]]:
    return [(str(d.pk), "\u2003" * d.depth + d.name) for d in departments]


def _staff_choices(staff) -> list[tuple[str, str]]:
    return [(str(u.pk), u.display_name) for u in staff]


class BoardFilterForm(forms.Form):
    """The board's GET parameters; a value that does not parse is ignored, never an error page."""

    view = forms.ChoiceField(required=False)
    status = forms.TypedChoiceField(label=_("Status"), required=False, coerce=int, empty_value=None)
    ticket_class = forms.ChoiceField(label=_("Class"), required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), required=False, coerce=int, empty_value=None
    )
    department = forms.TypedChoiceField(
        label=_("Department"), required=False, coerce=int, empty_value=None
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    # Typeahead fields (desk/lookups.py): the page carries the chosen value and its name only.
    organisation = forms.CharField(label=_("Organisation"), required=False, max_length=20)
    requester = forms.CharField(label=_("Requester"), required=False, max_length=20)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=20)
    responsible = forms.CharField(label=_("Responsible"), required=False, max_length=20)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)
    dir = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("desc", _("Newest first")), ("asc", _("Oldest first"))],
    )
    after = forms.CharField(required=False, max_length=200)
    before = forms.CharField(required=False, max_length=200)

    # Filters chosen from a short list, shown as selects.
    SELECTS = ("status", "priority", "ticket_class", "department", "channel")
    # Filters among what grows with the desk, shown as typeahead fields.
    TYPEAHEADS = ("organisation", "requester", "tag", "responsible")
    FILTERS = (*SELECTS, *TYPEAHEADS)
    PLACEHOLDERS = {
        "organisation": _("Any organisation"),
        "requester": _("Any requester"),
        "tag": _("Any tag"),
        "responsible": _("Any responsible"),
    }

    def __init__(self, data, *, choices: BoardChoices, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.choices = choices
        f = self.fields
        f["view"].choices = [(k, v.label) for k, v in BOARD_VIEWS.items()]
        f["status"].choices = [("", _("Any status"))] + [
            (str(s.pk), s.label) for s in choices.statuses
        ]
        f["ticket_class"].choices = [("", _("Any class"))] + TicketClass.choices
        f["priority"].choices = [("", _("Any priority"))] + [
            (str(v), label) for v, label in Priority.choices[::-1]
        ]
        f["department"].choices = [("", _("Any department"))] + _department_choices(
            choices.viewable
        )
        f["channel"].choices = [("", _("Any channel"))] + Channel.choices
        # The trash is read by when things were deleted; other views never offer that order.
        sorts = ["deleted", "activity", "created", "priority"]
        if self.data.get("view") != "trash":
            sorts.remove("deleted")
        f["sort"].choices = [(k, SORT_LABELS[k]) for k in sorts]
        for name in (*self.SELECTS, "sort", "dir"):
            set_class = " hl-filter-set" if name in self.FILTERS and self.data.get(name) else ""
            f[name].widget.attrs["class"] = "form-select form-select-sm" + set_class
        for name in ("sort", "dir"):
            # Shown in the page header, outside the filter bar, but submitted with it.
            f[name].widget.attrs["form"] = "board-filters"
        f["q"].widget.attrs.update(
            {
                "class": "form-control form-control-sm",
                "placeholder": _("Search or #number"),
                # Applied by board.js after a pause in typing, not again when the field is left.
                "data-hl-no-autosubmit": "",
            }
        )
        # Every board page renders these widgets: in Python, not a template per option.
        quicken(self)

    @property
    def filter_fields(self):
        return [self[name] for name in self.SELECTS]

    @cached_property
    def typeahead_labels(self) -> dict[str, str]:
        """kind -> name of each typeahead filter set to something the user may see (one query
        per filter set; the responsible person comes from the staff already loaded)."""
        labels = {}
        for kind in self.TYPEAHEADS:
            value = (self.value(kind) or "").strip()
            if value:
                label = chosen_label(self.user, kind, value, staff=self.choices.staff)
                if label is not None:
                    labels[kind] = label
        return labels

    @property
    def typeaheads(self) -> list[dict]:
        """What the filter bar's typeahead fields render: name, label, value and its name."""
        labels = self.typeahead_labels
        return [
            {
                "name": kind,
                "label": self.fields[kind].label,
                "placeholder": self.PLACEHOLDERS[kind],
                "value": self.value(kind) if kind in labels else "",
                "text": labels.get(kind, ""),
            }
            for kind in self.TYPEAHEADS
        ]

    def chips(self) -> list[dict]:
        """The active filters as (field names, label, value's name), for removable chips."""
        chips = []
        for name in self.SELECTS:
            value = self.value(name)
            if value in (None, ""):
                continue
            field = self.fields[name]
            text = dict((str(k), v) for k, v in field.choices).get(str(value))
            if text is not None:
                chips.append({"name": name, "label": field.label, "text": text})
        labels = self.typeahead_labels
        chips.extend(
            {"name": name, "label": self.fields[name].label, "text": labels[name]}
            for name in self.TYPEAHEADS
            if name in labels
        )
        text = (self.value("q") or "").strip()
        if text:
            chips.append({"name": "q", "label": self.fields["q"].label, "text": text})
        return chips

    def _typeahead_int(self, name: str) -> int | None:
        return int(self.value(name)) if name in self.typeahead_labels else None

    def value(self, name: str):
        """The cleaned value, or None when it is missing or did not validate."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)

    @property
    def current_view(self) -> str:
        view = self.value("view") or DEFAULT_VIEW
        return view if view_allowed(self.user, view) else DEFAULT_VIEW

    @property
    def current_sort(self) -> str:
        sort = self.value("sort") or ""
        if sort == "deleted" and self.current_view != "trash":
            sort = ""
        return sort or ("deleted" if self.current_view == "trash" else "activity")

    @property
    def descending(self) -> bool:
        return self.value("dir") != "asc"

    def filters(self) -> BoardFilters:
        department = self.value("department")
        return BoardFilters(
            status=self.value("status"),
            ticket_class=self.value("ticket_class") or "",
            priority=self.value("priority"),
            departments=self.choices.subtree(department) if department is not None else None,
            responsible=self.value("responsible") if "responsible" in self.typeahead_labels else "",
            channel=self.value("channel") or "",
            organisation=self._typeahead_int("organisation"),
            requester=self._typeahead_int("requester"),
            tag=self._typeahead_int("tag"),
            text=(self.value("q") or "").strip(),
        )


class IdsField(forms.Field):
    """The ticket ids ticked on the board (as many checkboxes named `ids`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = sorted({int(v) for v in values})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Invalid selection.")) from exc
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(
                _("Select at most %(max)s requests at a time.") % {"max": MAX_BULK}
            )
        return ids


class BulkForm(forms.Form):
    ACTIONS = [
        ("assign", _("Assign")),
        ("transfer", _("Transfer")),
        ("status", _("Set status")),
        ("priority", _("Set priority")),
        ("delete", _("Delete")),
        ("restore", _("Restore")),
        ("macro", _("Apply a macro")),
    ]

    ids = IdsField(required=True, error_messages={"required": _("Select requests first.")})
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ChoiceField(label=_("Responsible"), required=False, widget=LongSelect)
    department = forms.TypedChoiceField(
        label=_("Department"), required=False, coerce=int, empty_value=None
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    status = forms.TypedChoiceField(label=_("Status"), required=False, coerce=int, empty_value=None)
    priority = forms.TypedChoiceField(
        label=_("Priority"), required=False, coerce=int, empty_value=None
    )
    # A reply template (macro) to apply, chosen from the list the bar loads when asked.
    template = forms.IntegerField(required=False, min_value=1)
    # The board's query string, so the agent lands back on the same view, filters and page.
    back = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    REQUIRED = {
        "assign": ("assignee", _("Choose who gets the requests.")),
        "transfer": ("department", _("Choose the department to transfer to.")),
        "status": ("status", _("Choose a status.")),
        "priority": ("priority", _("Choose a priority.")),
        "macro": ("template", _("Choose a macro.")),
    }

    def __init__(
        self, data=None, *, choices: BoardChoices, user=None, staff_later: str = "", **kwargs
    ):
        """`staff_later`: the URL the assignee select fetches its staff options from when the
        bulk bar first opens (the board page: 200 staff were a tenth of a supervisor's page,
        for a bar most page views never open). Posted forms always check the whole list."""
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(data, **kwargs)
        self.choices = choices
        self.fields["assignee"].choices = [
            ("", _("Assign to…")),
            ("me", _("Me")),
            ("none", _("Nobody")),
        ]
        if staff_later:
            self.fields["assignee"].widget.attrs.update(
                {
                    "hx-get": staff_later,
                    "hx-trigger": "hl-bulk-open from:body once",
                    "hx-swap": "outerHTML",
                }
            )
        else:
            self.fields["assignee"].choices += _staff_choices(
                u for u in choices.staff if user is None or u.pk != user.pk
            )
        self.fields["department"].choices = [("", _("Transfer to…"))] + _department_choices(
            choices.departments
        )
        self.fields["status"].choices = [("", _("Status…"))] + [
            (str(s.pk), s.label) for s in choices.statuses
        ]
        self.fields["priority"].choices = [("", _("Priority…"))] + [
            (str(v), label) for v, label in Priority.choices[::-1]
        ]
        for name in ("assignee", "department", "status", "priority"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["reason"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": _("Reason")}
        )
        quicken(self)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in self.REQUIRED:
            name, message = self.REQUIRED[action]
            if data.get(name) in (None, ""):
                self.add_error(name, message)
        if action == "transfer" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the requests are transferred."))
        return data

    def target(self, name: str):
        """The object an action needs, taken from the lists already loaded for the page."""
        value = self.cleaned_data.get(name)
        if name == "department":
            return next(d for d in self.choices.departments if d.pk == value)
        if name == "status":
            return next(s for s in self.choices.statuses if s.pk == value)
        return value


class NewRequestForm(forms.Form):
    """A request logged by staff for a caller or a visitor: an existing requester or a new one."""

    # helpline/forms/field.html: labels without a required/optional marker.
    field_style = "plain"

    submission = SubmissionKeyField()
    requester = forms.ModelChoiceField(
        label=_("Requester"),
        required=False,
        queryset=User.objects.filter(role=Role.REQUESTER, is_active=True),
        widget=forms.RadioSelect,
    )
    new_name = forms.CharField(label=_("Name"), required=False, max_length=300)
    new_email = forms.EmailField(label=_("Email"), required=False)
    new_phone = forms.CharField(label=_("Phone"), required=False, max_length=50)
    new_organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.filter(is_active=True),
        empty_label=_("From the mail domain"),
    )
    # Shown only after the service warned that the typed address is a staff account's.
    confirm_staff_address = forms.BooleanField(
        label=_("Yes, file this request under the staff account"), required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (Channel.PHONE, _("Phone call")),
            (Channel.STAFF, _("Walk-in")),
            (Channel.EMAIL, Channel.EMAIL.label),
        ],
        initial=Channel.PHONE,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 7}))
    ticket_class = forms.ChoiceField(
        label=_("Class"), choices=TicketClass.choices, initial=TicketClass.INCIDENT
    )
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Level.choices, coerce=int, initial=Level.MEDIUM
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Level.choices, coerce=int, initial=Level.MEDIUM
    )
    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False)
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, departments, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the requesters and organisations this person may use (helpline.tickets.access).
        self.fields["requester"].queryset = requester_directory(user)
        self.fields["new_organisation"].queryset = organisations_visible(user)
        self.allows_new_requester = may_register_requesters(user)
        self.departments = {d.pk: d for d in departments}
        self.fields["department"].choices = _department_choices(departments)
        if departments and "department" not in self.initial:
            self.initial["department"] = departments[0].pk
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(widget, forms.RadioSelect | forms.FileInput):
                widget.attrs.setdefault("class", "form-control")

    def add_error(self, field, error):
        super().add_error(field, error)
        # Bootstrap shows a field's message only next to an input marked invalid.
        for name in self.errors:
            attrs = self.fields[name].widget.attrs if name in self.fields else None
            if attrs is not None and "is-invalid" not in attrs.get("class", ""):
                attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()

    def clean(self):
        data = super().clean()
        chosen = data.get("requester")
        new = any(data.get(f) for f in ("new_name", "new_email", "new_phone"))
        if new and not self.allows_new_requester:
            raise forms.ValidationError(
                _("You can open requests only for requesters of your own work.")
            )
        if chosen and new:
            raise forms.ValidationError(
                _("Choose an existing requester or enter a new one, not both.")
            )
        if not chosen and not new and not self.has_error("new_email"):
            self.add_error(
                "requester", _("Find the requester, or enter a new requester's details.")
            )
        elif new and not data.get("new_email") and not self.has_error("new_email"):
            self.add_error("new_email", _("A new requester needs an email address."))
        if "department" in data:
            data["department"] = self.departments.get(data["department"])
        return data


class SavedViewForm(forms.Form):
    """A saved view's name and with whom it is shared; `query` is the board's query string.

    `targets` are the departments the agent may share with, read once for all the forms of a
    page (a queryset would be read again by every form's select).
    """

    field_style = "plain"

    name = forms.CharField(label=_("Name"), max_length=60)
    department = forms.TypedChoiceField(
        label=_("Shared with"), required=False, coerce=int, empty_value=None
    )
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, targets: list[Department], **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {d.pk: d for d in targets}
        self.fields["department"].choices = [("", _("Only me"))] + [
            (str(d.pk), d.name) for d in targets
        ]
        self.fields["name"].widget.attrs.update({"class": "form-control form-control-sm"})
        self.fields["department"].widget.attrs.update({"class": "form-select form-select-sm"})

    def clean_department(self) -> Department | None:
        value = self.cleaned_data.get("department")
        return self.targets.get(value) if value is not None else None


class TicketSearchForm(forms.Form):
    """The search page's GET parameters: the words and the filters combined with them. A value
    that does not parse is ignored, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=500)
    status = forms.TypedChoiceField(label=_("Status"), required=False, coerce=int, empty_value=None)
    department = forms.TypedChoiceField(
        label=_("Department"), required=False, coerce=int, empty_value=None
    )
    ticket_class = forms.ChoiceField(label=_("Class"), required=False)
    responsible = forms.ChoiceField(label=_("Responsible"), required=False)
    since = forms.DateField(label=_("Changed since"), required=False)
    until = forms.DateField(label=_("Changed until"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=500)

    SELECTS = ("status", "department", "ticket_class", "responsible")

    def __init__(self, data, *, choices: BoardChoices, **kwargs):
        super().__init__(data, **kwargs)
        self.choices = choices
        f = self.fields
        f["status"].choices = [("", _("Any status"))] + [
            (str(s.pk), s.label) for s in choices.statuses
        ]
        f["department"].choices = [("", _("Any department"))] + _department_choices(
            choices.viewable
        )
        f["ticket_class"].choices = [("", _("Any class"))] + TicketClass.choices
        f["responsible"].choices = [
            ("", _("Anyone or no one")),
            ("me", _("Me")),
            ("none", _("No one")),
            *_staff_choices(choices.staff),
        ]
        for name in self.SELECTS:
            f[name].widget.attrs["class"] = "form-select form-select-sm"
        for name in ("since", "until"):
            f[name].widget = forms.DateInput(
                attrs={"type": "date", "class": "form-control form-control-sm"}
            )
        f["q"].widget.input_type = "search"
        f["q"].widget.attrs.update(
            {
                "class": "form-control",
                "placeholder": _("Words, a phrase in quotes, an address, a serial or #number"),
                "autofocus": "",
            }
        )
        quicken(self)  # the selects (every colleague as "responsible") rendered in Python

    def value(self, name: str):
        """The field's parsed value, or None when it is missing or does not parse."""
        if not self.is_bound:
            return None
        field = self.fields[name]
        try:
            return field.clean(field.widget.value_from_datadict(self.data, self.files, name))
        except forms.ValidationError:
            return None

    def filters(self) -> BoardFilters:
        department = self.value("department")
        responsible = self.value("responsible") or ""
        return BoardFilters(
            status=self.value("status"),
            ticket_class=self.value("ticket_class") or "",
            departments=self.choices.subtree(department) if department else None,
            responsible=responsible,
        )
