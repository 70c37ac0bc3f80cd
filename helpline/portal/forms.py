"""Portal forms: a new request (with the anonymous visitor's details), a reply, "not solved"."""

from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from helpline.accounts.forms import BootstrapFormMixin
from helpline.core.submissions import SubmissionKeyField
from helpline.tickets.forms import AttachmentsField
from helpline.tickets.models import TicketClass, Topic
from helpline.tickets.reference import topics_all

CLASS_HELP = {
    TicketClass.INCIDENT: _("Something is broken or does not work as it should."),
    TicketClass.SERVICE_REQUEST: _("You need something from us: access, an account, equipment."),
    TicketClass.INFORMATION_REQUEST: _("You have a question about how something works."),
    TicketClass.DOCUMENTATION_REQUEST: _("You need a document, a manual or written instructions."),
    TicketClass.CHANGE_REQUEST: _("You would like something changed or added to a service."),
}


class _ListedChoices(ModelChoiceIterator):
    """The field's `rows`, already in memory, instead of its queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows:
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.rows) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.rows)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a list already read (reference data): no query to show the
    choices nor to check the one sent. Set `rows` before use."""

    iterator = _ListedChoices

    def __init__(self, *args, **kwargs):
        self.rows: list[Any] = []
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        found = next((row for row in self.rows if str(row.pk) == str(value)), None)
        if found is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return found


class RequestForm(BootstrapFormMixin, forms.Form):
    submission = SubmissionKeyField()
    # Anonymous visitors only (removed for signed-in people).
    name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send our answers here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # A honeypot: hidden from people, filled in by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    topic = ListedModelChoiceField(
        label=_("What is it about?"),
        queryset=Topic.objects.none(),
        empty_label=_("Choose a topic…"),
    )
    ticket_class = forms.ChoiceField(
        label=_("What kind of request is it?"),
        choices=TicketClass.choices,
        initial=TicketClass.INCIDENT,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=250,
        help_text=_("A short summary, e.g. “Cannot print from my laptop”."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("What happened, what you expected, and anything you have already tried."),
    )
    attachments = AttachmentsField(
        label=_("Attachments"),
        help_text=_("Screenshots or documents that help us understand. Several files allowed."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_authenticated:
            for name in ("name", "email", "website"):
                del self.fields[name]
        # The topics are reference data (shared, never changed here): no query per page.
        self.topics = [topic for topic in topics_all() if topic.is_active]
        if self.topics:
            self.fields["topic"].rows = self.topics
        else:
            del self.fields["topic"]

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Your request could not be sent."))
        return ""

    def class_options(self):
        """Each class's radio button with its short explanation, for the template."""
        return [(radio, CLASS_HELP.get(radio.data["value"], "")) for radio in self["ticket_class"]]


class ReplyForm(BootstrapFormMixin, forms.Form):
    submission = SubmissionKeyField()
    body = forms.CharField(
        label=_("Your reply"), max_length=50000, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = AttachmentsField(label=_("Attachments"))


class ReopenForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("What is still not working?"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
