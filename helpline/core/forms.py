"""One Bootstrap renderer for every form field (`{{ form.email.as_field_group }}`).

A form chooses how its labels mark fields with `field_style` (see helpline/forms/field.html):
"optional" (the default: "(optional)" after optional fields, the public and sign-in pages),
"required" (a red asterisk after required fields and medium-weight labels, the administration)
or "plain" (no marker, the desk's ticket panels).
"""

from django.forms.renderers import TemplatesSetting


class BootstrapFormRenderer(TemplatesSetting):
    """Django's template renderer with Helpline's Bootstrap field template as the default."""

    field_template_name = "helpline/forms/field.html"


def add_domain_error(form, exc) -> None:
    """Put a service's refusal (a DomainError) on the field it names, or on the whole form when
    the form has no such field."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
