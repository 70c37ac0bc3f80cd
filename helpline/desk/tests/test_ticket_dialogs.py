"""The ticket page's action dialogs load their fields when first opened.

The page carries each dialog's form with its title and the version and newest entry the page
showed, but without its fields (`desk/ticket/forms/_lazy.html`); opening the dialog fetches them
(`?part=dialog&dialog=<name>`). A change made from a page that has grown old is still refused:
the version that travels with the form is the page's, not the one the fields were loaded at.
"""

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.desk.views.ticket.page import FORMS, LazyForm
from helpline.tickets import services
from helpline.tickets.models import Priority

from .test_ticket_conflicts import hidden
from .ticket_support import HTMX, site_settings_row, ticket_fixture, url  # noqa: F401

DIALOGS = {
    "escalate": "department",
    "supervisor": "supervisor",
    "transfer": "department",
    "merge": "target",
    "link": "other",
}


def _fields(client, ticket, name: str):
    return client.get(url("ticket", ticket.pk), {"part": "dialog", "dialog": name}, **HTMX)


def test_the_page_carries_the_dialogs_without_their_fields(client, dispatcher, ticket):
    client.force_login(dispatcher)

    html = client.get(url("ticket", ticket.pk)).content.decode()

    for name, field in DIALOGS.items():
        assert f'id="ticket-{ticket.pk}-{name}-form"' in html
        assert f'id="ticket-{ticket.pk}-{name}-title"' in html  # the dialog's name
        assert f'name="{field}"' not in re.search(
            rf'<form id="ticket-{ticket.pk}-{name}-form".*?</form>', html, re.S
        ).group(0)
        assert f"?part=dialog&amp;dialog={name}" in html
    assert hidden(html, "version", "escalate") == str(ticket.version)
    assert hidden(html, "seen", "escalate") == str(ticket.entries.last().pk)


def test_the_page_does_not_build_the_dialogs_forms(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.get(url("ticket", ticket.pk))

    built = {
        type(value).__name__
        for context in response.context
        for value in context.flatten().values()
        if isinstance(value, forms.BaseForm)
    } | {
        type(value.form).__name__
        for context in response.context
        for value in context.flatten().values()
        if isinstance(value, LazyForm) and value.form is not None
    }
    assert "FieldsForm" in built  # the side panel's, as before
    assert not built & {"EscalateForm", "SupervisorForm", "TransferForm", "MergeForm", "LinkForm"}


@pytest.mark.parametrize("name", list(DIALOGS))
def test_every_field_of_a_dialog_is_in_its_form_or_its_loaded_part(
    client, dispatcher, ticket, name
):
    # What test_form_pages checks for the page, for the dialogs: no field forgotten.
    client.force_login(dispatcher)
    page = client.get(url("ticket", ticket.pk)).content.decode()
    shell = re.search(rf'<form id="ticket-{ticket.pk}-{name}-form".*?</form>', page, re.S).group(0)
    loaded = _fields(client, ticket, name).content.decode()

    names = set(re.findall(r'name="(\w+)"', shell + loaded))

    assert set(FORMS[f"{name}_form"][0].base_fields) <= names


@pytest.mark.parametrize("name", list(DIALOGS))
def test_opening_a_dialog_loads_its_fields_and_buttons(client, dispatcher, ticket, name):
    client.force_login(dispatcher)

    response = _fields(client, ticket, name)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="{DIALOGS[name]}"' in html
    assert 'class="modal-body"' in html and 'type="submit"' in html
    # The version stays the one in the page's form: the fields do not bring another.
    assert 'name="version"' not in html and 'name="seen"' not in html


def test_an_unknown_dialog_is_not_found(client, dispatcher, ticket):
    client.force_login(dispatcher)
    assert _fields(client, ticket, "delete").status_code == 404


def test_a_dialog_loaded_after_a_colleagues_change_still_posts_the_pages_version(
    client, dispatcher, supervisor, ticket, billing
):
    client.force_login(dispatcher)
    # Given Dana opened the page
    page = client.get(url("ticket", ticket.pk)).content.decode()
    version = hidden(page, "version", "transfer")
    seen = hidden(page, "seen", "transfer")
    # When Sue raises the priority, and only then Dana opens the transfer dialog and sends it
    services.ticket_update(ticket=ticket, actor=supervisor, priority=Priority.CRITICAL)
    assert _fields(client, ticket, "transfer").status_code == 200
    response = client.post(
        url("transfer", ticket.pk),
        {"version": version, "seen": seen, "department": billing.pk, "reason": "An invoice"},
        **HTMX,
    )

    # Then the transfer is refused with what changed since her page, and nothing moved
    assert response.status_code == 409
    assert "changed priority" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.department != billing


def test_a_dialogs_fields_cost_the_same_whatever_the_thread(client, dispatcher, ticket):
    client.force_login(dispatcher)
    _fields(client, ticket, "escalate")
    with CaptureQueriesContext(connection) as short:
        _fields(client, ticket, "escalate")
    for n in range(10):
        services.ticket_note_add(ticket=ticket, actor=dispatcher, body=f"Note {n}")

    with CaptureQueriesContext(connection) as long:
        _fields(client, ticket, "escalate")

    assert len(long) == len(short)
