"""The template editor: name, category, shared with, texts per language and macro actions."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department, SupportLine, User
from helpline.accounts.reference import departments_all
from helpline.administration.forms import BootstrapForm
from helpline.tickets.access import staff_visible
from helpline.tickets.models import Priority, TicketClass
from helpline.tickets.reference import statuses_active

from .models import CATEGORY_MAX, NAME_MAX, ReplyTemplate, Scope
from .services import ACTION_FIELDS


def _department_choices(departments: list[Department]) -> list[tuple[str, str]]:
    return [(str(d.pk), "\u2003" * d.depth + d.name) for d in departments]


class ReplyTemplateForm(BootstrapForm, forms.Form):
    """One form for every scope; which scopes and departments are offered is the caller's
    (the service checks the rights again)."""

    field_style = "required"

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    category = forms.CharField(
        label=_("Category"),
        required=False,
        max_length=CATEGORY_MAX,
        help_text=_("Groups templates in the list, e.g. “Passwords” or “Printing”."),
    )
    scope = forms.ChoiceField(label=_("Shared with"), choices=Scope.choices)
    department = forms.TypedChoiceField(
        label=_("Department"), required=False, coerce=int, empty_value=None
    )
    # Macro actions
    set_status = forms.TypedChoiceField(
        label=_("Set status"), required=False, coerce=int, empty_value=None
    )
    set_priority = forms.TypedChoiceField(
        label=_("Set priority"), required=False, coerce=int, empty_value=None
    )
    set_ticket_class = forms.ChoiceField(label=_("Set class"), required=False)
    set_department = forms.TypedChoiceField(
        label=_("Transfer to"), required=False, coerce=int, empty_value=None
    )
    set_line = forms.TypedChoiceField(
        label=_("Set line"), required=False, coerce=int, empty_value=None
    )
    set_assignee = forms.ChoiceField(label=_("Make responsible"), required=False)
    add_tags = forms.CharField(
        label=_("Add tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas; the request's own tags stay."),
    )
    note = forms.CharField(
        label=_("Add an internal note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Placeholders work here too."),
    )
    watch = forms.BooleanField(label=_("Follow the request"), required=False)

    def __init__(
        self,
        *args: Any,
        scopes: list[str],
        departments: list[Department],
        user: User,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for code, label in settings.LANGUAGES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Text in %(language)s") % {"language": label},
                required=False,
                widget=forms.Textarea(
                    attrs={"rows": 5, "spellcheck": "true", "lang": code, "class": "form-control"}
                ),
            )
        self.language_fields = [f"text_{code}" for code, _label in settings.LANGUAGES]
        keep: list[tuple[Any, Any]] = [("", _("keep"))]
        self._choices("scope", [(v, lbl) for v, lbl in Scope.choices if v in scopes])
        self.departments = {d.pk: d for d in departments}
        self._choices("department", [("", "—"), *_department_choices(departments)])
        self.statuses = {s.pk: s for s in statuses_active()}
        self._choices("set_status", keep + [(str(s.pk), s.label) for s in self.statuses.values()])
        self._choices("set_priority", keep + [(str(v), lbl) for v, lbl in Priority.choices])
        self._choices("set_ticket_class", keep + list(TicketClass.choices))
        active = [d for d in departments_all() if d.is_active]
        self.targets = {d.pk: d for d in active}
        self._choices("set_department", keep + _department_choices(active))
        self._choices("set_line", keep + [(str(v), lbl) for v, lbl in SupportLine.choices])
        self.staff = {u.pk: u for u in staff_visible(user).filter(is_active=True)}
        self._choices(
            "set_assignee",
            [*keep, ("me", _("whoever applies the macro"))]
            + [(str(u.pk), u.display_name) for u in self.staff.values()],
        )

    def _choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101
        field.choices = choices

    @property
    def language_bound(self) -> list[forms.BoundField]:
        return [self[name] for name in self.language_fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == Scope.DEPARTMENT and data.get("department") is None:
            self.add_error("department", _("Choose the department."))
        return data

    def clean_department(self) -> Department | None:
        value = self.cleaned_data.get("department")
        return self.departments.get(value) if value is not None else None

    def texts(self) -> dict[str, str]:
        return {
            name.removeprefix("text_"): self.cleaned_data[name] for name in self.language_fields
        }

    def actions(self) -> dict[str, Any]:
        data = self.cleaned_data
        assignee = data.get("set_assignee") or ""
        actions = {
            "set_status": self.statuses.get(data["set_status"]) if data["set_status"] else None,
            "set_priority": data["set_priority"],
            "set_ticket_class": data["set_ticket_class"] or "",
            "set_department": self.targets.get(data["set_department"])
            if data["set_department"]
            else None,
            "set_line": data["set_line"],
            "assign_to_me": assignee == "me",
            "set_assignee": self.staff.get(int(assignee)) if assignee.isdigit() else None,
            "add_tags": [t for t in (data.get("add_tags") or "").split(",") if t.strip()],
            "note": data.get("note") or "",
            "watch": bool(data.get("watch")),
        }
        assert set(actions) == set(ACTION_FIELDS)  # noqa: S101
        return actions

    @staticmethod
    def initial_for(template: ReplyTemplate) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": template.name,
            "category": template.category,
            "scope": template.scope,
            "department": template.department_id,
            "set_status": template.set_status_id,
            "set_priority": template.set_priority,
            "set_ticket_class": template.set_ticket_class,
            "set_department": template.set_department_id,
            "set_line": template.set_line,
            "set_assignee": "me" if template.assign_to_me else template.set_assignee_id,
            "add_tags": ", ".join(template.add_tags),
            "note": template.note,
            "watch": template.watch,
        }
        for text in template.texts.all():
            initial[f"text_{text.language}"] = text.body
        return initial
