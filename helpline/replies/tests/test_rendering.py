"""Placeholders in reply templates: checked on save, filled in safely, in the requester's
language."""

import pytest

from helpline.core.errors import ValidationFailed
from helpline.replies import services
from helpline.replies.models import Scope
from helpline.replies.rendering import (
    PLACEHOLDERS,
    language_pick,
    preview_html,
    template_render,
    text_check,
)
from helpline.tickets.tests.factories import TicketFactory

from .factories import ReplyTemplateFactory, ReplyTextFactory


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hi {{ requester_nme }}", "there is no placeholder “requester_nme”"),
        ("Line one\nHi {{ name.first }}", "Line 2: “{{” opens a placeholder"),
        ("Hi }} there", "Line 1: “}}” closes a placeholder that was never opened"),
        ("{% if x %}yes{% endif %}", "“{%” and “%}” are not allowed"),
        ("{{ ticket_number|upper }}", "“{{” opens a placeholder"),
    ],
)
def test_a_broken_text_is_refused_with_a_message_naming_the_problem(text, message):
    with pytest.raises(ValidationFailed) as caught:
        text_check(text, field="text_en")
    assert message in caught.value.message
    assert caught.value.field == "text_en"


def test_an_unknown_placeholder_lists_the_known_ones():
    with pytest.raises(ValidationFailed) as caught:
        text_check("{{ status }}", field="text_en")
    assert "{{ requester_name }}" in caught.value.message
    assert "{{ portal_link }}" in caught.value.message


def test_every_placeholder_is_accepted():
    text_check(" ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS), field="text_en")


def test_saving_refuses_an_unknown_placeholder_on_its_language_field(dispatcher):
    with pytest.raises(ValidationFailed) as caught:
        services.reply_template_create(
            actor=dispatcher,
            scope=Scope.PERSONAL,
            name="Greeting",
            texts={"en": "Hi {{ requester_name }}", "nb": "Hei {{ navn }}"},
        )
    assert caught.value.field == "text_nb"
    assert "“navn”" in caught.value.message


@pytest.mark.parametrize(
    ("available", "wanted", "picked"),
    [
        (["en", "nb", "ru"], "nb", "nb"),
        (["en", "nb", "ru"], "nb-NO", "nb"),
        (["en", "ru"], "nb", "en"),
        (["ru"], "nb", "ru"),
        (["en", "nb"], "", "en"),
        ([], "nb", None),
    ],
)
def test_the_requesters_language_is_picked_else_the_nearest(available, wanted, picked, settings):
    settings.LANGUAGE_CODE = "en"
    assert language_pick(available, wanted) == picked


def test_the_text_is_rendered_in_the_requesters_language(dispatcher, support, requester_a):
    requester_a.language = "nb"
    requester_a.save()
    template = ReplyTemplateFactory()
    ReplyTextFactory(template=template, language="en", body="Hello {{ requester_first_name }}")
    ReplyTextFactory(template=template, language="nb", body="Hei {{ requester_first_name }}")
    ticket = TicketFactory(department=support, requester=requester_a)

    rendered = template_render(template, ticket, dispatcher)

    assert rendered.language == "nb"
    assert rendered.text == "Hei Alice"


def test_values_are_filled_in_as_plain_text(dispatcher, support, requester_a):
    template = ReplyTemplateFactory()
    ReplyTextFactory(
        template=template,
        body="{{ ticket_number }} · {{ subject }} · {{ agent_name }} · {{ department }}\n"
        "{{ portal_link }}",
    )
    ticket = TicketFactory(department=support, requester=requester_a, subject="<b>VPN</b> & co")

    text = template_render(template, ticket, dispatcher).text

    # Plain text: the thread escapes it when shown, so nothing is escaped twice here.
    assert text.startswith(f"#{ticket.pk} · <b>VPN</b> & co · Dana")
    assert "· Support\n" in text
    assert text.endswith(f"/requests/{ticket.pk}/") or f"/{ticket.pk}/" in text


def test_the_preview_escapes_every_piece(dispatcher):
    html = preview_html(
        "<script>alert(1)</script> {{ requester_name }}\n\n{{ portal_link }}", dispatcher
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="' in html  # only the portal link becomes a link
