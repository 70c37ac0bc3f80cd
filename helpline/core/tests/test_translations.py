"""The compiled catalogues ship with the code, so a machine without gettext still translates."""

import ast
import gettext
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from helpline.desk.timeline import event_line
from helpline.tickets.history import HistoryNames
from helpline.tickets.models import Entry, EntryKind, Status, StatusCategory, TicketClass
from helpline.tickets.tests.factories import TicketFactory, status_of

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
PLURAL_FORMS = {"nb": 2, "ru": 3}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>")


def catalogue(language: str, suffix: str):
    return settings.LOCALE_PATHS[0] / language / "LC_MESSAGES" / f"django.{suffix}"


def po_entries(language: str) -> list[dict]:
    """The entries of a .po file: each a dict of msgctxt, msgid, msgid_plural, msgstr[n], flags."""
    entries = []
    for block in catalogue(language, "po").read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set()}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            else:
                key, _space, text = line.partition(" ")
                entry[key] = ast.literal_eval(text)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _translations(entry: dict) -> list[str]:
    return [entry[key] for key in sorted(entry) if key.startswith("msgstr")]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "Venter på innmelder"), ("ru", "Ожидает заявителя"), ("en", "Pending on requester")],
)
def test_status_names_are_translated(language, expected):
    with translation.override(language):
        assert str(StatusCategory.PENDING.label) == expected


def test_every_language_has_a_compiled_catalogue():
    for code in LANGUAGES:
        assert catalogue(code, "mo").exists(), f"run ./dev messages: {code} is not compiled"
        with translation.override(code):
            assert str(TicketClass.INCIDENT.label) != "Incident"


# --- the catalogues themselves --------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    with catalogue(language, "mo").open("rb") as compiled:
        mo = gettext.GNUTranslations(compiled)._catalog
    po = {}
    mo.pop("")  # the header: msgfmt leaves out some of its fields
    for entry in po_entries(language)[1:]:
        key = entry["msgid"]
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            po.update({(key, n): text for n, text in enumerate(_translations(entry))})
        else:
            po[key] = entry["msgstr"]
    assert mo == po, "run ./dev messages: the .mo file is older than the .po file"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language):
    entries = po_entries(language)
    header = entries[0]["msgstr"]
    assert f"Plural-Forms: nplurals={PLURAL_FORMS[language]};" in header
    problems = []
    for entry in entries[1:]:
        translations = _translations(entry)
        wanted = sorted(PLACEHOLDER.findall(entry.get("msgid_plural", entry["msgid"])))
        if "fuzzy" in entry["flags"]:
            problems.append(("fuzzy", entry["msgid"]))
        if "msgid_plural" in entry and len(translations) != PLURAL_FORMS[language]:
            problems.append(("plural forms", entry["msgid"]))
        for text in translations:
            if not text.strip():
                problems.append(("untranslated", entry["msgid"]))
            elif sorted(PLACEHOLDER.findall(text)) != wanted:
                problems.append(("placeholders differ", entry["msgid"], text))
    assert not problems
    assert len(entries) > 800


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 заявка изменена."), (3, "3 заявки изменены."), (5, "5 заявок изменено.")]
    + [(11, "11 заявок изменено."), (21, "21 заявка изменена."), (24, "24 заявки изменены.")],
)
def test_russian_has_three_plural_forms(count, expected):
    with translation.override("ru"):
        text = translation.ngettext(
            "%(count)s request updated.", "%(count)s requests updated.", count
        ) % {"count": count}
    assert text == expected


# --- data the desk seeds in English ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_default_statuses_read_in_the_viewers_language(language):
    statuses = list(Status.objects.order_by("order"))
    assert len(statuses) == len(StatusCategory)
    with translation.override(language):
        labels = [status.label for status in statuses]
        categories = [str(StatusCategory(status.category).label) for status in statuses]
    assert labels == categories
    assert not {status.name for status in statuses} & set(labels)


@pytest.mark.django_db
def test_a_status_an_administrator_named_keeps_its_name():
    status = Status(name="Venter på leverandør", category=StatusCategory.ON_HOLD)
    with translation.override("ru"):
        assert status.label == "Venter på leverandør"


@pytest.mark.django_db
def test_history_written_in_english_reads_in_norwegian(dispatcher, support):
    ticket = TicketFactory(department=support)
    opened, resolved = status_of(StatusCategory.OPEN), status_of(StatusCategory.RESOLVED)
    entry = Entry(
        ticket=ticket,
        kind=EntryKind.EVENT,
        author=dispatcher,
        field="status",
        data={"old": {"id": opened.pk}, "new": {"id": resolved.pk}},
    )
    names = HistoryNames.for_entries([entry])
    with translation.override("nb"):
        line = str(event_line(entry, ticket, names).text)
    assert "endret status Åpen → Løst" in line


# --- pages ------------------------------------------------------------------------------------

PAGES = {
    "nb": {
        "login": (["Logg inn", "Glemt passordet?"], ["Forgot your password?"]),
        "portal": (["Mine henvendelser", "Hei, Alice!", "Logg ut"], ["My requests", "Sign out"]),
        "board": (
            [
                "Mine åpne",
                "Ikke tildelt",
                'bi-hourglass-split" aria-hidden="true"></i> Venter på innmelder<',
            ],
            ["My open", "Pending on requester", "New"],
        ),
    },
    "ru": {
        "login": (["Войти", "Забыли пароль?"], ["Forgot your password?"]),
        "portal": (["Мои заявки", "Здравствуйте, Alice!", "Выйти"], ["My requests", "Sign out"]),
        "board": (
            [
                "Мои открытые",
                "Неназначенные",
                'bi-hourglass-split" aria-hidden="true"></i> Ожидает заявителя<',
            ],
            ["My open", "Pending on requester", "New"],
        ),
    },
}


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _check(response, language: str, page: str):
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    present, absent = PAGES[language][page]
    for text in present:
        assert text in html, text
    for text in absent:
        assert not re.search(rf"\b{re.escape(text)}\b", _visible(html)), text


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_in_page_follows_the_browsers_language(client, language):
    header = {"nb": "nb-NO,nb;q=0.9,en;q=0.5", "ru": "ru-RU,ru;q=0.9"}[language]
    response = client.get(reverse("accounts:login"), headers={"accept-language": header})
    _check(response, language, "login")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_portal_follows_the_language_cookie(client, requester_a, language):
    client.force_login(requester_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("portal:home"), headers={"accept-language": "en"})
    _check(response, language, "portal")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_board_reads_in_the_agents_language(client, dispatcher, support, language):
    TicketFactory(department=support, category=StatusCategory.PENDING)
    TicketFactory(department=support)
    client.force_login(dispatcher)
    response = client.get(reverse("desk:board"), headers={"accept-language": language})
    _check(response, language, "board")


def test_english_stays_the_default(client, db):
    html = client.get(reverse("accounts:login"), headers={"accept-language": "de"}).content
    assert b'<html lang="en"' in html and b"Forgot your password?" in html
