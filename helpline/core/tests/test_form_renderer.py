"""One field template renders every Bootstrap field: `{{ form.x.as_field_group }}`."""

import re
from pathlib import Path

from django import forms
from django.conf import settings

from helpline.core.forms import BootstrapFormRenderer

TEMPLATES = Path(settings.BASE_DIR) / "templates"


class Sample(forms.Form):
    email = forms.EmailField(label="Email", help_text="We answer here.")
    nickname = forms.CharField(label="Nickname", required=False)
    active = forms.BooleanField(label="Active", required=False, help_text="Can sign in.")
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


class AdminSample(Sample):
    field_style = "required"


class DeskSample(Sample):
    field_style = "plain"


def test_the_project_renderer_is_the_default():
    assert settings.FORM_RENDERER == "helpline.core.forms.BootstrapFormRenderer"
    assert Sample().renderer.field_template_name == BootstrapFormRenderer.field_template_name


def test_optional_fields_are_marked_by_default():
    form = Sample()
    assert "(optional)" in form["nickname"].as_field_group()
    assert "(optional)" not in form["email"].as_field_group()
    assert '<span class="text-danger" aria-hidden="true"> *</span>' not in str(
        form["email"].as_field_group()
    )


def test_administration_forms_mark_required_fields_with_an_asterisk():
    form = AdminSample()
    email = str(form["email"].as_field_group())
    assert '<label class="form-label fw-medium" for="id_email">' in email
    assert '<span class="text-danger" aria-hidden="true"> *</span>' in email
    assert "(optional)" not in str(form["nickname"].as_field_group())


def test_desk_forms_have_no_marker():
    form = DeskSample()
    assert "(optional)" not in str(form["nickname"].as_field_group())
    assert "text-danger" not in str(form["email"].as_field_group())


def test_help_and_errors_are_linked_to_the_input():
    form = Sample(data={"email": "not an address"})
    assert not form.is_valid()
    html = str(form["email"].as_field_group())
    described = re.search(r'aria-describedby="([^"]+)"', html).group(1).split()
    assert described == ["id_email_helptext", "id_email_error"]
    assert '<div class="form-text" id="id_email_helptext">We answer here.</div>' in html
    assert '<div id="id_email_error"><div class="invalid-feedback d-block">' in html


def test_checkboxes_sit_in_a_form_check_with_the_label_after_the_input():
    html = str(Sample()["active"].as_field_group())
    assert '<div class="form-check mb-3">' in html
    assert html.index("<input") < html.index('<label class="form-check-label" for="id_active">')


def test_hidden_fields_render_only_the_input():
    html = str(Sample()["secret"].as_field_group()).strip()
    assert html.startswith('<input type="hidden"') and "<label" not in html


def test_no_template_has_its_own_field_partial_any_more():
    leftovers = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"_field\.html|_form_errors\.html", path.read_text())
    ]
    assert leftovers == []
