"""Forms of the ticket page: thread entries with attachments, the side panel and the actions."""

from django import forms
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import SupportLine
from helpline.core.submissions import SubmissionKeyField
from helpline.core.widgets import quicken
from helpline.teamwork.models import Availability
from helpline.teamwork.reference import absences
from helpline.tickets.forms import AttachmentsField
from helpline.tickets.models import Level, Priority, StatusCategory, TicketClass

from .timeline import TicketPage, staff_for_department, status_groups


class VersionedForm(forms.Form):
    """Every form that changes a ticket carries the version it was rendered from and the newest
    thread entry shown then, so a service can refuse a change made on an old page and the page
    can say what happened since (see `conflict_context`)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, page: TicketPage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The ticket page shows ten of these forms: their selects and hidden inputs are
        # rendered in Python, not through a template per option.
        quicken(self)
        if page is not None:
            self.fields["version"].initial = page.ticket.version
            self.fields["seen"].initial = page.last_entry_id

    def rendered_version(self) -> int | None:
        return self.cleaned_data.get("version")

    def carry_current(self, page: TicketPage) -> None:
        """After a conflict: keep what was typed, but carry the current version, so sending
        again ("send anyway") goes through unless the request changes once more."""
        data = self.data.copy()
        data["version"] = str(page.ticket.version)
        data["seen"] = str(page.last_entry_id)
        self.data = data


class StyledForm(VersionedForm):
    """Bootstrap classes on every widget; `small` for the dense side panel."""

    small = False
    # helpline/forms/field.html: labels without a required/optional marker.
    field_style = "plain"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        suffix = " form-select-sm" if self.small else ""
        control = " form-control-sm" if self.small else ""
        for form_field in self.fields.values():
            widget = form_field.widget
            if isinstance(widget, forms.HiddenInput | forms.FileInput):
                continue
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select" + suffix)
            else:
                widget.attrs.setdefault("class", "form-control" + control)


def _department_label(department) -> str:
    return f"{'— ' * department.depth}{department.name}"


def _staff_label(user, away: dict) -> str:
    """A colleague's name, with their away status when they are not present (`away`: who is
    away now, `absences()`, read once for the whole list)."""
    found = away.get(user.pk)
    if found is None:
        return user.display_name
    state = _("off") if found[0] == Availability.OFF else _("away")
    return f"{user.display_name} ({state})"


class EntryForm(VersionedForm):
    """A reply or a note: text and attachments, each checked against the file rules, with a
    one-time key so a repeated post adds one entry."""

    submission = SubmissionKeyField()

    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write a message first.")},
    )
    attachments = AttachmentsField(label=_("Attachments"))


class ReplyForm(EntryForm):
    status = forms.ChoiceField(label=_("and set status to"), required=False)
    # The reply template inserted from the typeahead: counted, and its macro run, on send.
    template = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, page: TicketPage, **kwargs):
        super().__init__(*args, page=page, **kwargs)
        # A reply answers the requester: the request can wait on them or be resolved, not be new.
        targets = [s for s in page.statuses if s.category != StatusCategory.NEW and s.is_active]
        self.statuses = {s.pk: s for s in targets}
        self.fields["status"].choices = [("", _("keep the status")), *status_groups(targets)]
        self.fields["status"].widget.attrs["class"] = "form-select form-select-sm"

    def clean_status(self):
        value = self.cleaned_data["status"]
        return self.statuses[int(value)] if value else None


class NoteForm(EntryForm):
    pass


class FieldsForm(StyledForm):
    """The side panel: classification and ownership, carrying the version it was shown at."""

    ticket_class = forms.ChoiceField(label=_("Class"), choices=TicketClass.choices)
    status = forms.TypedChoiceField(label=_("Status"), coerce=int)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Level.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Level.choices, coerce=int)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    assignee = forms.TypedChoiceField(
        label=_("Responsible"), coerce=int, required=False, empty_value=None
    )
    line = forms.TypedChoiceField(label=_("Line"), choices=SupportLine.choices, coerce=int)
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=240,
        widget=forms.TextInput(attrs={"placeholder": _("Why the change? Shown in the history")}),
    )

    small = True
    REPLY_FIELDS = ("ticket_class", "status", "impact", "urgency", "priority")
    ASSIGN_FIELDS = ("department", "assignee", "line")
    EDIT_FIELDS = REPLY_FIELDS + ASSIGN_FIELDS

    @staticmethod
    def values_of(ticket) -> dict:
        return {
            "ticket_class": ticket.ticket_class,
            "status": ticket.status_id,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "priority": ticket.priority,
            "department": ticket.department_id,
            "assignee": ticket.assignee_id,
            "line": ticket.line,
        }

    def __init__(self, *args, page: TicketPage, department_id: int | None = None, **kwargs):
        """`department_id` (or the posted department) picks whose staff are offered."""
        ticket = page.ticket
        kwargs.setdefault("initial", self.values_of(ticket))
        super().__init__(*args, page=page, **kwargs)
        self.ticket = ticket
        self.statuses = {s.pk: s for s in page.statuses}
        departments = page.side_departments
        self.departments = {d.pk: d for d in departments}
        chosen = self.departments.get(self._chosen_department(department_id))
        if chosen is not None and chosen.pk != ticket.department_id and page.rights.assign:
            # Another department was picked: offer the people who can see that one.
            self.staff_list = staff_for_department(chosen, include=ticket.assignee_id)
        else:
            self.staff_list = page.staff
        self.staff = {u.pk: u for u in self.staff_list}
        self.fields["status"].choices = status_groups(page.statuses)
        self.fields["department"].choices = [(d.pk, _department_label(d)) for d in departments]
        away = absences()
        self.fields["assignee"].choices = [
            ("", _("— nobody —")),
            *((u.pk, _staff_label(u, away)) for u in self.staff_list),
        ]
        if page.rights.assign:
            self.fields["department"].widget.attrs.update(
                {
                    "hx-get": reverse("desk:ticket", args=[ticket.pk]) + "?part=assignee",
                    "hx-trigger": "change",
                    "hx-target": f"#ticket-{ticket.pk}-assignee",
                    "hx-swap": "outerHTML",
                    "hx-disabled-elt": "this",
                }
            )
        for name in self.EDIT_FIELDS:
            # The value each field was shown with travels along, so only what this agent
            # changed is applied (see `changes` and `carry_current`).
            self.fields[name].show_hidden_initial = True
        editable = not ticket.is_deleted
        for name in self.REPLY_FIELDS:
            self.fields[name].disabled = not (editable and page.rights.reply)
        for name in self.ASSIGN_FIELDS:
            self.fields[name].disabled = not (editable and page.rights.assign)

    def _chosen_department(self, department_id: int | None) -> int | None:
        raw = self.data.get("department") if self.is_bound else department_id
        try:
            return int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def hidden_initials(self) -> SafeString:
        """The shown values as hidden inputs (outside the assignee fragment, which htmx swaps)."""
        return mark_safe(  # noqa: S308 (Django's own widget rendering, escaped)
            "".join(str(self[name].as_hidden(only_initial=True)) for name in self.EDIT_FIELDS)
        )

    def changes(self) -> dict:
        """The fields this agent changed that differ from the ticket, as `ticket_update` takes
        them. A field someone else changed meanwhile and this agent left alone is not sent back
        (a form without the shown values, such as an older client's, counts every field)."""
        data, ticket = self.cleaned_data, self.ticket
        touched = set(self.changed_data)
        result: dict = {}
        for name in ("ticket_class", "impact", "urgency", "priority", "line"):
            if name in touched and data[name] != getattr(ticket, name):
                result[name] = data[name]
        if "status" in touched and data["status"] != ticket.status_id:
            result["status"] = self.statuses[data["status"]]
        if "department" in touched and data["department"] != ticket.department_id:
            result["department"] = self.departments[data["department"]]
        if "assignee" in touched and data["assignee"] != ticket.assignee_id:
            result["assignee"] = self.staff[data["assignee"]] if data["assignee"] else None
        return result

    def carry_current(self, page: TicketPage) -> None:
        """After a conflict: the fields this agent changed keep their new values, every other
        field shows the current value, and the current values become the "shown" ones."""
        touched = set(self.changed_data)
        super().carry_current(page)
        data = self.data
        for name, value in self.values_of(page.ticket).items():
            text = "" if value is None else str(value)
            data[self.add_initial_prefix(name)] = text
            if name not in touched:
                data[self.add_prefix(name)] = text


class TagsForm(StyledForm):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas."),
    )

    def names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]


class ReasonField(forms.CharField):
    def __init__(self, *, required: bool, **kwargs):
        super().__init__(
            label=_("Reason"),
            required=required,
            max_length=240,
            error_messages={"required": _("Give a reason; it is kept in the history.")},
            **kwargs,
        )


class EscalateForm(StyledForm):
    department = forms.TypedChoiceField(
        label=_("Department (optional)"), coerce=int, required=False, empty_value=None
    )
    reason = ReasonField(required=False)

    def __init__(self, *args, page: TicketPage, **kwargs):
        super().__init__(*args, page=page, **kwargs)
        self.departments = {d.pk: d for d in page.target_departments}
        # The lines' names once, not a get_line_display() (choices normalised again) per option.
        lines = {value: str(label) for value, label in SupportLine.choices}
        self.fields["department"].choices = [
            ("", _("Keep the department")),
            *(
                (d.pk, f"{_department_label(d)} · {lines.get(d.line, d.line)}")
                for d in page.target_departments
            ),
        ]

    def clean_department(self):
        value = self.cleaned_data["department"]
        return self.departments[value] if value else None


class TransferForm(StyledForm):
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    reason = ReasonField(required=True)

    def __init__(self, *args, page: TicketPage, **kwargs):
        super().__init__(*args, page=page, **kwargs)
        targets = [d for d in page.target_departments if d.pk != page.ticket.department_id]
        self.departments = {d.pk: d for d in targets}
        self.fields["department"].choices = [
            ("", _("Choose a department")),
            *((d.pk, _department_label(d)) for d in targets),
        ]

    def clean_department(self):
        return self.departments[self.cleaned_data["department"]]


class SupervisorForm(StyledForm):
    supervisor = forms.TypedChoiceField(label=_("Supervisor"), coerce=int)
    reason = ReasonField(required=True)

    def __init__(self, *args, page: TicketPage, **kwargs):
        super().__init__(*args, page=page, **kwargs)
        self.supervisors = {u.pk: u for u in page.supervisors}
        away = absences()
        self.fields["supervisor"].choices = [
            ("", _("Choose a supervisor")),
            *((u.pk, _staff_label(u, away)) for u in page.supervisors),
        ]

    def clean_supervisor(self):
        return self.supervisors[self.cleaned_data["supervisor"]]


class TicketNumberField(forms.CharField):
    """A request number as agents write it: "1234" or "#1234"."""

    def clean(self, value):
        value = super().clean(value)
        digits = (value or "").strip().lstrip("#").strip()
        if not digits.isdigit():
            raise forms.ValidationError(_("Enter a request number, like #1234."))
        return int(digits)


class CandidatesForm(StyledForm):
    """A request number with suggestions as the agent types (views/ticket/candidates.py)."""

    number_field = ""
    candidates_url = ""

    def __init__(self, *args, page=None, **kwargs):
        super().__init__(*args, page=page, **kwargs)
        if page is None:
            return
        listing = f"{self.auto_id % self.number_field}-candidates"
        self.fields[self.number_field].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse(self.candidates_url, args=[page.ticket.pk]),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{listing}",
                "hx-swap": "innerHTML",
                "aria-controls": listing,
                "data-hl-candidates": listing,
            }
        )


class MergeForm(CandidatesForm):
    target = TicketNumberField(
        label=_("Merge into request number"),
        max_length=20,
        help_text=_("Type its number or words of its subject."),
    )
    number_field = "target"
    candidates_url = "desk:merge_candidates"


class LinkForm(CandidatesForm):
    other = TicketNumberField(
        label=_("Link to request number"),
        max_length=20,
        help_text=_("Type its number or words of its subject."),
    )
    number_field = "other"
    candidates_url = "desk:link_candidates"


class TakeForm(VersionedForm):
    """The Take button: nothing to fill in, only the version it was shown at."""
