"""Forms for one's away status and a department's assignment rule; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.administration.forms import BootstrapForm

from .models import AssignmentMode, Availability


class StaffStatusForm(BootstrapForm, forms.Form):
    state = forms.ChoiceField(
        label=_("Status"), choices=Availability.choices, widget=forms.RadioSelect
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Away or off until this day; from then on you are present again."),
    )
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=500,
        help_text=_(
            "Tags you are good at, separated by commas (vpn, printers, …). Departments that "
            "assign by skill prefer you for requests with these tags."
        ),
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_skills(self) -> list[str]:
        return [name for name in self.cleaned_data["skills"].split(",") if name.strip()]


class AssignmentRuleForm(BootstrapForm, forms.Form):
    mode = forms.ChoiceField(
        label=_("Assignment"),
        choices=AssignmentMode.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Round-robin and least loaded give every request that enters the department with "
            "nobody responsible (opened, transferred, escalated) to a present member with the "
            "reply right and the request's line of support."
        ),
    )
    by_skills = forms.BooleanField(
        label=_("Prefer members whose skills match the request's tags"), required=False
    )
