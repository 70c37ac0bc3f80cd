"""The attachments field every form with uploads uses: several files, each checked by the rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.core.errors import ValidationFailed
from helpline.core.models import MAX_FILES, SiteSettings

from .services import attachment_validate
from .services.attachments import CheckedFile


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Cleans to a list of checked files; every broken rule is reported, not only the first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CheckedFile]:
        uploads = data if isinstance(data, list | tuple) else [data]
        single = super().clean
        uploads = [single(item, initial) for item in uploads if item]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)s files at a time.") % {"count": MAX_FILES}
            )
        rules = SiteSettings.current() if uploads else None
        checked: list[CheckedFile] = []
        errors: list[Any] = []
        for upload in uploads:
            try:
                checked.append(attachment_validate(upload, rules))
            except ValidationFailed as exc:
                errors.append(exc.message)
        if errors:
            raise forms.ValidationError(errors)
        return checked
