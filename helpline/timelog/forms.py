"""Forms of time accounting: an entry (manual or the timer's), the report filters, activity
types."""

import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.administration.forms import BootstrapForm

from .models import ActivityType, TimeEntry, today

_DURATION = re.compile(
    r"^\s*(?:(?P<h>\d{1,2}):(?P<m>\d{1,2})|(?P<hours>\d+(?:[.,]\d+)?)\s*h"
    r"(?:\s*(?P<hm>\d{1,2})\s*m(?:in)?)?|(?P<mins>\d+)\s*(?:m|min)?)\s*$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> int | None:
    """Minutes from what people type: `90`, `90m`, `1:30`, `1.5h`, `1h 30m`."""
    match = _DURATION.match(text or "")
    if match is None:
        return None
    if match["h"] is not None:
        return int(match["h"]) * 60 + int(match["m"])
    if match["hours"] is not None:
        return round(float(match["hours"].replace(",", ".")) * 60) + int(match["hm"] or 0)
    return int(match["mins"])


class DurationField(forms.CharField):
    default_error_messages = {
        "invalid": _("Enter the time as minutes (90), hours and minutes (1:30) or hours (1.5h)."),
    }

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        minutes = parse_duration(text)
        if minutes is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return minutes


class TimeEntryForm(BootstrapForm, forms.Form):
    field_style = "plain"

    duration = DurationField(label=_("Time spent"), max_length=20)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    activity = forms.ModelChoiceField(
        label=_("Activity"), queryset=ActivityType.objects.none(), required=False
    )
    billable = forms.BooleanField(label=_("Billable"), required=False)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def __init__(self, *args, activities=None, entry: TimeEntry | None = None, **kwargs):
        if entry is not None:
            kwargs.setdefault(
                "initial",
                {
                    "duration": f"{entry.minutes // 60}:{entry.minutes % 60:02d}",
                    "date": entry.date,
                    "activity": entry.activity_id,
                    "billable": entry.billable,
                    "comment": entry.comment,
                },
            )
        else:
            kwargs.setdefault("initial", {"date": today()})
        super().__init__(*args, **kwargs)
        queryset = ActivityType.objects.filter(is_active=True)
        if entry is not None and entry.activity_id:
            queryset = ActivityType.objects.filter(is_active=True) | ActivityType.objects.filter(
                pk=entry.activity_id
            )
        activity = self.fields["activity"]
        assert isinstance(activity, forms.ModelChoiceField)
        activity.queryset = queryset
        if activities is not None:
            # The page already read the active types: no query to draw the select.
            activity.choices = [("", "—")] + [(a.pk, a.name) for a in activities]


class TimerStopForm(BootstrapForm, forms.Form):
    field_style = "plain"

    activity = forms.ModelChoiceField(
        label=_("Activity"), queryset=ActivityType.objects.filter(is_active=True), required=False
    )
    billable = forms.BooleanField(label=_("Billable"), required=False)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class PeriodForm(forms.Form):
    """A report's period (last 30 days unless chosen) and optional narrowing."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    person = forms.IntegerField(required=False, min_value=1)
    department = forms.IntegerField(required=False, min_value=1)
    organisation = forms.IntegerField(required=False, min_value=1)

    # A longer period is refused: a report over years belongs in an export, not a page.
    MAX_DAYS = 366

    def period(self) -> tuple[datetime.date, datetime.date]:
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today()
        start = data.get("start") or end - datetime.timedelta(days=29)
        if start > end:
            start, end = end, start
        if (end - start).days >= self.MAX_DAYS:
            start = end - datetime.timedelta(days=self.MAX_DAYS - 1)
        return start, end

    def narrowing(self) -> dict[str, int | None]:
        data = self.cleaned_data if self.is_valid() else {}
        return {name: data.get(name) for name in ("person", "department", "organisation")}


class ActivityTypeForm(BootstrapForm, forms.ModelForm):
    class Meta:
        model = ActivityType
        fields = ["name", "billable_default", "order", "is_active"]
