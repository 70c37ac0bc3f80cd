"""Letter templates: the placeholder syntax and its checks, escaping, the shipped texts, and the
administrators' pages (save, refuse, reset, live preview)."""

import pytest
from django.urls import reverse

from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.core.models import SiteSettings
from helpline.mail.letters import (
    PLACEHOLDERS,
    letter_render,
    letter_source,
    one_line,
    template_check,
    template_parse,
)
from helpline.mail.letters_default import DEFAULT_LETTERS
from helpline.mail.models import LetterKind, LetterTemplate
from helpline.mail.services import letter_template_reset, letter_template_save

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS}


@pytest.mark.parametrize("kind", list(LetterKind))
@pytest.mark.parametrize("language", ["en", "nb", "ru"])
def test_every_shipped_letter_exists_checks_and_renders(kind, language):
    subject, body = DEFAULT_LETTERS[kind][language]
    template_check(subject=subject, body=body)
    letter = letter_render(subject=subject, body=body, values=VALUES)
    assert "{{" not in letter.text and "{{" not in letter.subject
    if kind == LetterKind.STAFF_MESSAGE:
        # Internal mail is about no request: it names the message and links to it.
        assert "<link>" in letter.text and "<subject>" in letter.subject
        return
    assert "<ticket_number>" in letter.text or "<ticket_number>" in letter.subject


def test_the_shipped_letters_are_translated_not_copied():
    for kind in LetterKind:
        texts = DEFAULT_LETTERS[kind]
        assert len({texts["en"][1], texts["nb"][1], texts["ru"][1]}) == 3, kind


@pytest.mark.parametrize(
    ("subject", "body", "field", "words"),
    [
        ("Hi", "Hello {{ requester }}", "body", ["Line 1", "requester"]),
        ("{{ number }}", "x", "subject", ["Line 1", "number"]),
        ("Hi", "one\ntwo {{ subject.upper }}", "body", ["Line 2", "{{"]),
        ("Hi", "one\ntwo\n{{ subject", "body", ["Line 3", "{{"]),
        ("Hi", "done }} here", "body", ["Line 1", "}}"]),
        ("Hi", "{% if x %}y{% endif %}", "body", ["Line 1", "{%"]),
        ("Hi", "{{ subject|upper }}", "body", ["Line 1"]),
        ("Hi", "{{ link }} {{ __class__ }}", "body", ["__class__"]),
        ("", "x", "subject", []),
        ("x", "  ", "body", []),
    ],
)
def test_a_broken_template_is_refused_with_field_and_line(subject, body, field, words):
    with pytest.raises(ValidationFailed) as caught:
        template_check(subject=subject, body=body)
    assert caught.value.field == field
    for word in words:
        assert word in caught.value.message


def test_placeholders_allow_spacing_and_only_names():
    assert template_parse("a {{subject}} b {{   link   }}", field="body") == [
        ("text", "a "),
        ("name", "subject"),
        ("text", " b "),
        ("name", "link"),
    ]


def test_values_are_escaped_in_html_and_kept_in_text_and_only_the_link_is_a_link():
    letter = letter_render(
        subject="Re: {{ subject }}",
        body="<b>{{ requester_name }}</b>\n\n{{ reply_text }}\n{{ link }}",
        values={
            "subject": "a\r\nBcc: x@y.z",
            "requester_name": '<img src=x onerror="alert(1)">',
            "reply_text": "<script>alert(1)</script>\nhttps://evil.test",
            "link": "https://help.test/portal/requests/1/?a=1&b=2",
        },
    )
    assert letter.subject == "Re: a Bcc: x@y.z"
    assert "<img" not in letter.html and "&lt;img" in letter.html
    assert "<script>" not in letter.html and "&lt;b&gt;" in letter.html
    assert '<a href="https://help.test/portal/requests/1/?a=1&amp;b=2">' in letter.html
    assert letter.html.count("<a ") == 1  # the requester's URL stays text
    assert "<script>alert(1)</script>" in letter.text


def test_one_line_removes_every_line_break_and_encoded_word():
    assert one_line("a\r\nb\nc\rd\x85e\u2028f\u2029g\tx\x00y") == "a b c d e f g x y"
    assert "=?" not in one_line("=?utf-8?q?=0D=0A?=")


def test_the_department_text_wins_over_the_one_for_all_then_the_shipped(support, billing):
    assert letter_source("closed", language="nb", department_id=support.pk)[0].startswith("Lukket")
    LetterTemplate.objects.create(kind="closed", language="nb", subject="Alle", body="x")
    LetterTemplate.objects.create(
        kind="closed", language="nb", department=support, subject="Support", body="x"
    )
    assert letter_source("closed", language="nb", department_id=support.pk)[0] == "Support"
    assert letter_source("closed", language="nb", department_id=billing.pk)[0] == "Alle"
    assert letter_source("closed", language="nb", department_id=None)[0] == "Alle"


# --- services --------------------------------------------------------------------------------


def test_save_refuses_a_broken_template_and_keeps_the_old_one(admin_user):
    letter_template_save(
        kind="received",
        language="en",
        department=None,
        subject="Got it: {{ subject }}",
        body="Thanks",
        actor=admin_user,
    )
    with pytest.raises(ValidationFailed):
        letter_template_save(
            kind="received",
            language="en",
            department=None,
            subject="Got it",
            body="{{ nope }}",
            actor=admin_user,
        )
    row = LetterTemplate.objects.get()
    assert (row.subject, row.body) == ("Got it: {{ subject }}", "Thanks")
    assert Event.objects.filter(action="mail.letter_changed").count() == 1


def test_only_administrators_change_letters(dispatcher, supervisor):
    for person in (dispatcher, supervisor):
        with pytest.raises(PermissionDenied):
            letter_template_save(
                kind="received",
                language="en",
                department=None,
                subject="x",
                body="y",
                actor=person,
            )
    assert not LetterTemplate.objects.exists()


def test_reset_goes_back_and_is_logged(admin_user, support):
    letter_template_save(
        kind="replied", language="ru", department=support, subject="S", body="B", actor=admin_user
    )
    assert letter_template_reset(
        kind="replied", language="ru", department=support, actor=admin_user
    )
    assert not LetterTemplate.objects.exists()
    assert not letter_template_reset(
        kind="replied", language="ru", department=support, actor=admin_user
    )
    assert Event.objects.filter(action="mail.letter_reset").count() == 1


# --- pages -----------------------------------------------------------------------------------


def edit_url(**query) -> str:
    from urllib.parse import urlencode

    return f"{reverse('manage:letter')}?{urlencode(query)}"


def test_the_letters_page_lists_every_letter_and_language(client, admin_user, support):
    LetterTemplate.objects.create(kind="closed", language="nb", subject="x", body="y")
    client.force_login(admin_user)
    html = client.get(reverse("manage:letters")).content.decode()
    for kind in LetterKind:
        assert f'id="letter-{kind.value}"' in html
    assert html.count("badge text-bg-info") == 1


def test_editing_saves_and_a_bad_placeholder_is_shown_with_its_line(client, admin_user, support):
    client.force_login(admin_user)
    url = edit_url(kind="replied", language="nb", department=support.pk)
    page = client.get(url).content.decode()
    assert "Sv: {{ subject }}" in page  # the shipped Norwegian text in the editor
    response = client.post(url, {"subject": "Svar", "body": "Hei\n{{ navn }}"})
    assert response.status_code == 200
    assert "Line 2" in response.content.decode() and "navn" in response.content.decode()
    assert not LetterTemplate.objects.exists()
    response = client.post(url, {"subject": "Svar {{ subject }}", "body": "Hei {{ link }}"})
    assert response.status_code == 302
    row = LetterTemplate.objects.get()
    assert (row.department, row.language, row.kind) == (support, "nb", "replied")
    reset = client.post(
        reverse("manage:letter_reset") + url[url.index("?") :],
    )
    assert reset.status_code == 302 and not LetterTemplate.objects.exists()


def test_live_preview_renders_sample_values_and_reports_errors(client, admin_user):
    client.force_login(admin_user)
    url = reverse("manage:letter_preview") + "?kind=received&language=en"
    response = client.post(
        url,
        {"subject": "Hi {{ requester_name }}", "body": "<i>{{ ticket_number }}</i> {{ link }}"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="letter-preview"' in html and "<html" not in html  # only the fragment
    assert "#1234" in html and "&lt;i&gt;" in html and "<a href=" in html
    response = client.post(url, {"subject": "x", "body": "{{ oops"}, headers={"HX-Request": "true"})
    assert "alert-danger" in response.content.decode()
    assert not LetterTemplate.objects.exists()


def test_unknown_letter_or_language_is_not_found(client, admin_user):
    client.force_login(admin_user)
    assert client.get(edit_url(kind="nope", language="en")).status_code == 404
    assert client.get(edit_url(kind="received", language="de")).status_code == 404
    assert client.get(edit_url(kind="received", language="en", department=999)).status_code == 404


def test_staff_choose_their_letters_in_the_profile(client, dispatcher, requester_a):
    client.force_login(dispatcher)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="staff_notices"' in page
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Dana", "language": "", "staff_notices": ["new_in_department"]},
    )
    assert response.status_code == 302
    dispatcher.refresh_from_db()
    assert dispatcher.staff_notices == ["new_in_department"]
    client.force_login(requester_a)
    assert 'name="staff_notices"' not in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.parametrize("changed", [1, 20])
def test_the_letters_page_takes_the_same_queries_however_many_letters_changed(
    client, admin_user, support, billing, django_assert_num_queries, changed
):
    kinds = [(kind, language) for kind in LetterKind for language in ("en", "nb", "ru")]
    for kind, language in kinds[:changed]:
        for department in (None, support):
            LetterTemplate.objects.create(
                kind=kind, language=language, department=department, subject="s", body="b"
            )
    client.force_login(admin_user)
    url = reverse("manage:letters") + f"?department={support.pk}"
    SiteSettings.current()  # an installation's row, made on its first request
    client.get(url)
    # 1 session, 2 user, 3 the reference generation (site settings: reference data, remembered
    # from the request before), 4 departments, 5 letters changed for all departments, 6 letters
    # of the chosen department
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
