"""Changes made on an old page: refused with what changed and by whom, never a silent overwrite.

Every form on the ticket page carries the version it was rendered from (`version`) and the
newest thread entry it showed (`seen`). Anything that sets fields (a reply with a status,
Take, the side panel, tags, dialogs) is refused with 409, keeps what was typed and offers
"anyway" (the form again, now carrying the current version) and reload. A reply or note that
only adds text is held back the same way once when someone else added to the thread since
(issue 10, collision): sending again goes through.
"""

import re

from helpline.tickets import services
from helpline.tickets.models import Entry, EntryKind, Priority, StatusCategory, Ticket
from helpline.tickets.tests.factories import status_of

from .ticket_support import HTMX, site_settings_row, ticket_fixture, url  # noqa: F401


def shown(client, ticket) -> dict[str, str]:
    """The hidden values the reply form carries when the page is rendered now."""
    html = client.get(url("ticket", ticket.pk)).content.decode()
    reply = re.search(r'<form[^>]*action="[^"]*/reply/".*?</form>', html, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', reply))


def hidden(html: str, name: str, form_action: str) -> str:
    form = re.search(rf'<form[^>]*action="[^"]*/{form_action}/".*?</form>', html, re.S).group(0)
    found = re.search(rf'name="{name}"(?: value="([^"]*)")?', form)
    return found.group(1) or ""


def test_every_ticket_form_carries_the_version_it_was_rendered_from(client, dispatcher, ticket):
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    for action in ("reply", "note", "fields", "tags", "take", "escalate", "transfer", "merge"):
        assert hidden(html, "version", action) == str(ticket.version), action
        assert hidden(html, "seen", action) == str(ticket.entries.last().pk), action


def test_reply_with_status_from_an_old_page_is_a_conflict_that_says_what_changed(
    client, dispatcher, supervisor, ticket
):
    client.force_login(dispatcher)
    # Given Dana opened the page and started writing
    form = shown(client, ticket)
    # When Sue resolves the request meanwhile
    services.ticket_update(
        ticket=ticket, actor=supervisor, status=status_of(StatusCategory.RESOLVED)
    )
    # and Dana sends her reply setting it to pending
    pending = status_of(StatusCategory.PENDING)
    response = client.post(
        url("reply", ticket.pk),
        {**form, "body": "Could you send a screenshot?", "status": pending.pk},
        **HTMX,
    )

    # Then nothing is written and she is told who changed what
    assert response.status_code == 409
    html = response.content.decode()
    assert "This request changed while you were working on it" in html
    assert "Sue" in html and "changed status" in html
    assert "Send anyway" in html and f'href="{url("ticket", ticket.pk)}"' in html
    # her text and chosen status are kept, and the form now carries the current version
    assert ">Could you send a screenshot?</textarea>" in html
    assert f'<option value="{pending.pk}" selected>' in html
    current = Ticket.objects.get(pk=ticket.pk)
    assert hidden(html, "version", "reply") == str(current.version)
    assert not Entry.objects.filter(author=dispatcher).exists()
    assert current.status_category == StatusCategory.RESOLVED

    # When she sends anyway, the reply goes through with her status
    again = {name: hidden(html, name, "reply") for name in ("version", "seen", "submission")}
    response = client.post(
        url("reply", ticket.pk),
        {**again, "body": "Could you send a screenshot?", "status": pending.pk},
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == pending
    assert Entry.objects.filter(author=dispatcher, kind=EntryKind.REPLY).count() == 1


def test_plain_reply_after_a_colleagues_note_is_held_back_once(
    client, dispatcher, supervisor, ticket
):
    client.force_login(dispatcher)
    form = shown(client, ticket)
    services.ticket_note_add(ticket=ticket, actor=supervisor, body="Customer called again")

    response = client.post(url("reply", ticket.pk), {**form, "body": "On it.", "status": ""})

    # Then nothing is sent: she sees Sue's note and may revise or send anyway
    assert response.status_code == 409
    html = response.content.decode()
    assert f"{supervisor.display_name} added an internal note" in html
    assert "Send anyway" in html
    assert ">On it.</textarea>" in html
    assert not Entry.objects.filter(author=dispatcher, kind=EntryKind.REPLY).exists()
    again = {name: hidden(html, name, "reply") for name in ("version", "seen", "submission")}
    response = client.post(url("reply", ticket.pk), {**again, "body": "On it.", "status": ""})
    assert response.status_code == 302
    assert Entry.objects.filter(author=dispatcher, kind=EntryKind.REPLY).count() == 1


def test_plain_reply_after_only_ones_own_entries_goes_through(client, dispatcher, ticket):
    client.force_login(dispatcher)
    form = shown(client, ticket)
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Note to self")

    response = client.post(url("reply", ticket.pk), {**form, "body": "On it.", "status": ""})

    assert response.status_code == 302


def test_note_after_a_colleagues_change_is_held_back_once(client, dispatcher, supervisor, ticket):
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    services.ticket_update(ticket=ticket, actor=supervisor, priority=Priority.HIGH)
    shown_then = {name: hidden(html, name, "note") for name in ("version", "seen", "submission")}

    response = client.post(url("note", ticket.pk), {**shown_then, "body": "Checked the logs"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "changed priority" in html and "Add note anyway" in html
    again = {name: hidden(html, name, "note") for name in ("version", "seen", "submission")}
    response = client.post(url("note", ticket.pk), {**again, "body": "Checked the logs"})
    assert response.status_code == 302
    assert Entry.objects.filter(author=dispatcher, kind=EntryKind.NOTE).exists()


def test_take_just_after_someone_else_took_it(client, dispatcher, supervisor, ticket):
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    version, seen = hidden(html, "version", "take"), hidden(html, "seen", "take")
    services.ticket_take(ticket=ticket, actor=supervisor)

    response = client.post(url("take", ticket.pk), {"version": version, "seen": seen}, **HTMX)

    assert response.status_code == 409
    page = response.content.decode()
    assert f"{supervisor.display_name} took the request" in page and "Take anyway" in page
    assert Ticket.objects.get(pk=ticket.pk).assignee == supervisor

    # Taking anyway (with the version the conflict carried) makes Dana responsible
    response = client.post(
        url("take", ticket.pk),
        {"version": hidden(page, "version", "take"), "seen": hidden(page, "seen", "take")},
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).assignee == dispatcher


def test_take_without_htmx_shows_the_conflict_on_the_page(client, dispatcher, supervisor, ticket):
    client.force_login(dispatcher)
    version = ticket.version
    services.ticket_take(ticket=ticket, actor=supervisor)

    response = client.post(url("take", ticket.pk), {"version": version})

    assert response.status_code == 409
    assert "Take anyway" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).assignee == supervisor


def _fields(ticket, html, **changes):
    """The side panel as the page showed it (values, shown values, version) with `changes`."""
    names = ("ticket_class", "status", "impact", "urgency", "priority", "department", "line")
    data = {name: hidden(html, f"initial-{name}", "fields") for name in names}
    data["assignee"] = hidden(html, "initial-assignee", "fields")
    data |= {f"initial-{name}": value for name, value in list(data.items())}
    data |= {"version": hidden(html, "version", "fields"), "seen": hidden(html, "seen", "fields")}
    data["reason"] = ""
    return data | {k: str(v) for k, v in changes.items()}


def test_saving_the_side_panel_anyway_keeps_the_other_agents_change(
    client, dispatcher, supervisor, ticket
):
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    # Sue resolves the request; Dana, on her old page, raises the priority
    resolved = status_of(StatusCategory.RESOLVED)
    services.ticket_update(ticket=ticket, actor=supervisor, status=resolved)
    response = client.post(url("fields", ticket.pk), _fields(ticket, html, priority=4), **HTMX)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Save anyway" in page and "changed status" in page

    # Saving anyway applies her priority and leaves Sue's status alone
    response = client.post(url("fields", ticket.pk), _fields(ticket, page, priority=4))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == 4 and ticket.status == resolved


def test_escalating_from_an_old_page_is_a_conflict(client, dispatcher, supervisor, ticket):
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    services.ticket_update(ticket=ticket, actor=supervisor, priority=Priority.HIGH)

    response = client.post(
        url("escalate", ticket.pk),
        {"version": hidden(html, "version", "escalate"), "reason": "Needs a developer"},
        **HTMX,
    )

    assert response.status_code == 409
    assert "Do it anyway" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).line == 1


def test_tags_from_an_old_page_are_a_conflict(client, dispatcher, supervisor, ticket):
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    services.ticket_tags_set(ticket=ticket, actor=supervisor, names=["vpn"])

    response = client.post(
        url("tags", ticket.pk),
        {"version": hidden(html, "version", "tags"), "tags": "printer"},
        **HTMX,
    )

    assert response.status_code == 409
    assert list(ticket.tags.values_list("name", flat=True)) == ["vpn"]


def test_a_tag_too_long_is_refused_with_a_message(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(url("tags", ticket.pk), {"tags": "ok, " + "x" * 51})

    assert response.status_code == 422
    assert "A tag can be at most 50 characters long" in response.content.decode()
    assert not ticket.tags.exists()


def test_the_side_panel_sends_only_what_the_agent_changed(client, dispatcher, supervisor, ticket):
    # Even without a version (an older client), a field the agent left alone is not written
    # back with the value their page showed.
    client.force_login(dispatcher)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    resolved = status_of(StatusCategory.RESOLVED)
    services.ticket_update(ticket=ticket, actor=supervisor, status=resolved)

    data = _fields(ticket, html, priority=4)
    del data["version"]
    response = client.post(url("fields", ticket.pk), data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == 4 and ticket.status == resolved
