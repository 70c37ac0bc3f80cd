"""Length limits taken from the models: a value that does not fit is refused, never cut."""

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .errors import ValidationFailed


def fitting(model: type[models.Model], name: str, value: str, *, field: str | None = None) -> str:
    """`value` unchanged if it fits the model field `name`, else a ValidationFailed on `field`
    (default: the model field's name) that names the limit and the length given."""
    limit = model._meta.get_field(name).max_length
    if limit is not None and len(value) > limit:
        label = capfirst(str(model._meta.get_field(name).verbose_name))
        raise ValidationFailed(
            _("%(field)s can be at most %(limit)s characters long (this one has %(length)s).")
            % {"field": label, "limit": limit, "length": len(value)},
            field=field or name,
        )
    return value
