"""Every user-facing string is marked for translation: scanners over the templates and the code."""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

HELPLINE = Path(__file__).resolve().parents[2]

# --- templates --------------------------------------------------------------------------------

# Attributes a person reads or hears (screen readers); their values must be translated too.
READABLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "aria-description", "alt"}
# Text that is the same in every language: the product's name, keys on the keyboard.
ALLOWED_TEXT = re.compile(r"Helpline|\(?[a-z?/]\)?|Enter|Esc|Ctrl|Shift|Alt|Tab")
LETTERS = re.compile(r"[^\W\d_]")
# Template tags whose content is translated as a whole or never shown.
SKIPPED_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
}
# Blocks that hold markup, not text: `{% block body_class %}hl-portal{% endblock %}`.
CODE_BLOCKS = {"body_class"}


def _untranslated_source(source: str) -> str:
    """The template with every tag and variable blanked out and translated passages removed."""
    parts, closing = [], None
    for token in Lexer(source).tokenize():
        words = token.contents.split()
        if closing:
            if token.token_type == TokenType.BLOCK and words and words[0] == closing:
                closing = None
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
            continue
        if token.token_type == TokenType.BLOCK and words:
            if words[0] in SKIPPED_BLOCKS:
                closing = SKIPPED_BLOCKS[words[0]]
            elif words[0] == "block" and len(words) > 1 and words[1] in CODE_BLOCKS:
                closing = "endblock"
        # A space keeps `<fieldset{% if x %} disabled{% endif %}>` a well-formed tag.
        parts.append(" ")
    return "".join(parts)


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw = 0  # inside <script>/<style>
        self._kbd = 0  # inside <kbd>: names of keys

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if value and name in READABLE_ATTRIBUTES:
                self._check(value)
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self._check(attributes.get("value") or "")
        self._raw += tag in ("script", "style")
        self._kbd += tag == "kbd"

    def handle_endtag(self, tag):
        self._raw -= tag in ("script", "style") and self._raw > 0
        self._kbd -= tag == "kbd" and self._kbd > 0

    def handle_data(self, data):
        if not self._raw and not self._kbd:
            self._check(data)

    def _check(self, text):
        for piece in re.split(r"\s{2,}|\n", text):
            piece = piece.strip()
            if LETTERS.search(piece) and not ALLOWED_TEXT.fullmatch(piece):
                self.found.append((self.getpos()[0], piece))


def untranslated_template_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of visible text and readable attributes outside the translation tags."""
    finder = _TextFinder()
    finder.feed(_untranslated_source(source))
    finder.close()
    return finder.found


def _templates():
    return sorted(
        path for path in HELPLINE.glob("**/templates/**/*") if path.suffix in (".html", ".txt")
    )


def test_the_template_scanner_finds_text_outside_translation_tags():
    source = """{% extends "base.html" %}{% block body_class %}hl-x{% endblock %}
<h1>{% translate "Requests" %}</h1>
<p>{% blocktranslate with n=count %}{{ n }} open{% endblocktranslate %}</p>
<button title="{% translate 'Close' %}"><kbd>j</kbd> {{ ticket.subject }} #{{ ticket.pk }}</button>
<fieldset{% if closed %} disabled{% endif %}><span>Helpline</span> · 42</fieldset>
<th>Subject</th>
<input placeholder="Search…" type="search">
<input type="submit" value="Send">
<i class="bi bi-x" aria-label="Remove"></i>
{% comment %}Not shown{% endcomment %}"""
    found = [text for _line, text in untranslated_template_text(source)]
    assert found == ["Subject", "Search…", "Send", "Remove"]


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(HELPLINE)))
def test_templates_mark_every_visible_text(path):
    found = untranslated_template_text(path.read_text(encoding="utf-8"))
    assert not found, "wrap in {% translate %}: " + "; ".join(f"line {n}: {t!r}" for n, t in found)


# --- Python -----------------------------------------------------------------------------------

# Calls whose string arguments reach a person: domain errors, form errors, flash messages.
MESSAGE_CALLS = {
    "DomainError",
    "PermissionDenied",
    "ValidationFailed",
    "Conflict",
    "ValidationError",
}
FLASH_CALLS = {"success", "error", "info", "warning", "add_error"}  # the text is not the 1st arg
READABLE_KEYWORDS = {
    "label",
    "help_text",
    "empty_label",
    "verbose_name",
    "verbose_name_plural",
    "message",
}
CHOICES_BASES = {"TextChoices", "IntegerChoices", "Choices"}
# Dotted names are code, not prose: `ticket.`, `ticket.updated`, `accounts.User`.
DOTTED_NAME = re.compile(r"[a-z_]+\.\w*")


def _readable(node) -> bool:
    """A literal with a word in it (not a dotted name such as `ticket.` or `accounts.User`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        return bool(re.search(r"[^\W\d_]{2,}", text)) and not DOTTED_NAME.fullmatch(text)
    if isinstance(node, ast.JoinedStr):
        return any(_readable(value) for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _readable(node.left)
    return False


def _name(func) -> str:
    return getattr(func, "id", None) or getattr(func, "attr", "")


def untranslated_python_strings(source: str) -> list[tuple[int, str]]:
    """(line, literal) of user-facing literals not wrapped in gettext."""
    found = []

    def flag(node):
        if _readable(node):
            found.append((node.lineno, ast.unparse(node)))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in MESSAGE_CALLS and node.args:
                flag(node.args[0])
            elif name in FLASH_CALLS:
                for argument in node.args[1:]:
                    flag(argument)
            for keyword in node.keywords:
                if keyword.arg in READABLE_KEYWORDS:
                    flag(keyword.value)
                elif keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                    for value in keyword.value.values:
                        flag(value)
                elif keyword.arg == "choices" and isinstance(keyword.value, ast.List | ast.Tuple):
                    for choice in keyword.value.elts:
                        if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                            flag(choice.elts[1])
            if name.endswith("Field") and name != "ManyToManyField" and node.args:
                flag(node.args[0])  # a model or form field's verbose name
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in ("placeholder", "title"):
                    flag(value)
        elif isinstance(node, ast.ClassDef) and {_name(b) for b in node.bases} & CHOICES_BASES:
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                    flag(statement.value.elts[-1])
    return sorted(found)


def _modules():
    return sorted(
        path
        for path in HELPLINE.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )


def test_the_code_scanner_finds_literals_outside_gettext():
    source = """
class Colour(models.TextChoices):
    RED = "red", _("Red")
    BLUE = "blue", "Blue"

class F(forms.Form):
    name = forms.CharField(label="Name", help_text=_("Your name"))
    kind = forms.ChoiceField(choices=[("a", "Apple"), ("b", _("Banana"))])
    q = forms.CharField(widget=forms.TextInput(attrs={"placeholder": "ticket."}))

def view(request):
    messages.success(request, "Saved.")
    messages.error(request, _("Not saved."))
    form.add_error("subject", "Too long")
    raise ValidationFailed(f"{name}: {exc.message}")
    raise ValidationFailed(f"Cannot use {name}")
"""
    found = [text for _line, text in untranslated_python_strings(source)]
    assert found == [
        "'Blue'",
        "'Name'",
        "'Apple'",
        "'Saved.'",
        "'Too long'",
        "f'Cannot use {name}'",
    ]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(HELPLINE)))
def test_code_marks_every_user_facing_string(path):
    found = untranslated_python_strings(path.read_text(encoding="utf-8"))
    assert not found, "wrap in gettext: " + "; ".join(f"line {n}: {t}" for n, t in found)
