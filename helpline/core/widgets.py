"""Select and hidden-input widgets rendered in Python: the same markup as Django's, without a
template per option and per input.

Django renders every widget through its form renderer: a select includes one template per
option and one per option's attributes, a hidden input one more. The ticket page shows ten
forms with about forty widgets and two hundred options; through templates they took a third of
the page's time (bench/, docs/admin/benchmarks.md). `quicken(form)` switches a form's plain
selects, text and hidden inputs to these classes; widgets with their own template are left alone
(the board's filter and bulk forms too: a quarter of a board page went on their widgets).
"""

from html import escape as _escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """forms.Select's markup (options, option groups, one selected value), built in Python."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        wanted = set(self.format_value(value))
        chosen = False
        parts: list[str] = []

        def option(key, label) -> str:
            nonlocal chosen
            key = "" if key is None else str(key)
            selected = key in wanted and (self.allow_multiple_selected or not chosen)
            chosen = chosen or selected
            mark = " selected" if selected else ""
            # The standard library's escape is what Django's wraps (same output), without the
            # lazy-argument check per call; str() translates a lazy label once.
            return f'<option value="{_escape(key)}"{mark}>{_escape(str(label))}</option>'

        for key, label in self.choices:
            if isinstance(label, list | tuple):
                inner = "".join(option(k, v) for k, v in label)
                parts.append(f'<optgroup label="{_escape(str(key))}">{inner}</optgroup>')
            else:
                parts.append(option(key, label))
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        # Every key and label above went through escape(); flatatt escapes the attributes.
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            attributes,
            mark_safe("".join(parts)),  # noqa: S308
        )


class QuickHiddenInput(forms.HiddenInput):
    """forms.HiddenInput's markup, built in Python."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        value = self.format_value(value)
        shown = format_html(' value="{}"', value) if value is not None else ""
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<input type="hidden" name="{}"{}{}>', name, shown, attributes)


class _QuickInput:
    """forms.Input's markup (type, name, value, attributes), built in Python."""

    input_type: str

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        value = self.format_value(value)  # type: ignore[attr-defined]
        shown = format_html(' value="{}"', value) if value is not None else ""
        attributes = flatatt(self.build_attrs(self.attrs, attrs))  # type: ignore[attr-defined]
        return format_html(
            '<input type="{}" name="{}"{}{}>', self.input_type, name, shown, attributes
        )


class QuickTextInput(_QuickInput, forms.TextInput):
    pass


class QuickEmailInput(_QuickInput, forms.EmailInput):
    pass


# Widgets whose template is Django's plain one: swapped for the Python-rendered class.
QUICK = {
    forms.Select: QuickSelect,
    forms.HiddenInput: QuickHiddenInput,
    forms.TextInput: QuickTextInput,
    forms.EmailInput: QuickEmailInput,
}


def quicken(form: forms.BaseForm) -> None:
    """Render `form`'s plain selects, text and hidden inputs (and its fields' hidden initial
    values) in Python. The widgets keep their state (choices, attributes); only the class
    changes. A widget given its own template (`template_name`) keeps it."""
    for field in form.fields.values():
        widget = field.widget
        quick = QUICK.get(type(widget))
        if quick is not None and widget.template_name == type(widget).template_name:
            widget.__class__ = quick
        if field.hidden_widget is forms.HiddenInput:
            field.hidden_widget = QuickHiddenInput
