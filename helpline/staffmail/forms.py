"""Forms of internal mail: a new message and a reply."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.core.submissions import SubmissionKeyField
from helpline.tickets.forms import AttachmentsField
from helpline.tickets.models import Ticket

from .access import departments_addressable, may_attach_to, people_addressable
from .models import SUBJECT_MAX


class ReplyForm(forms.Form):
    submission = SubmissionKeyField()
    body = forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write a message first.")},
    )
    attachments = AttachmentsField(label=_("Attachments"))


class ComposeForm(ReplyForm):
    """A new message: to colleagues and departments, optionally about a request."""

    people: "forms.ModelMultipleChoiceField[Any]" = forms.ModelMultipleChoiceField(
        label=_("To colleagues"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    departments: "forms.ModelMultipleChoiceField[Any]" = forms.ModelMultipleChoiceField(
        label=_("To departments"),
        queryset=None,
        required=False,
        help_text=_("Every member of each department gets a copy."),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    ticket = forms.IntegerField(
        label=_("About request number"),
        required=False,
        min_value=1,
        help_text=_(
            "Optional. The message then also shows on that request, to its staff only — never "
            "to the requester."
        ),
    )
    field_order = ["people", "departments", "subject", "ticket", "body", "attachments"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["people"].queryset = people_addressable(user).order_by(
            "first_name", "last_name", "pk"
        )
        self.fields["departments"].queryset = departments_addressable(user).order_by("path", "pk")
        self.fields["body"].label = _("Message")

    def clean_ticket(self):
        number = self.cleaned_data.get("ticket")
        if not number:
            return None
        ticket = Ticket.objects.filter(pk=number).first()
        if ticket is None or not may_attach_to(self.user, ticket):
            raise forms.ValidationError(_("No request with that number that you may see."))
        return ticket

    def clean(self):
        data = super().clean()
        if not data.get("people") and not data.get("departments") and not self.errors:
            raise forms.ValidationError(_("Choose at least one colleague or department."))
        return data
