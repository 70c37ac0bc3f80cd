"""History entries read as sentences; hand-overs are marked as such."""

import pytest

from helpline.accounts.tests.factories import StaffFactory
from helpline.desk.timeline import event_line
from helpline.tickets.models import Entry, EntryKind, Ticket


@pytest.mark.parametrize(
    ("field", "old", "new", "sentence", "handover"),
    [
        ("status", "New", "Open", "Dana changed status New → Open", False),
        (
            "department",
            "Support",
            "Software",
            "Dana handed the request over from Support to Software",
            True,
        ),
        ("assignee", "—", "Dana", "Dana took the request", True),
        ("assignee", "Sam", "Dana", "Dana took the request over from Sam", True),
        ("assignee", "Dana", "—", "Dana is no longer responsible", True),
        ("assignee", "Sam", "—", "Dana released Sam from the request", True),
        ("assignee", "—", "Sam", "Dana made Sam responsible", True),
        ("assignee", "Sam", "Sue", "Dana handed responsibility from Sam to Sue", True),
        ("line", "1st line", "2nd line", "Dana moved the request from 1st line to 2nd line", True),
        ("priority", "Normal", "High", "Dana changed priority Normal → High", False),
        ("tags", "", "vpn", "Dana tagged the request vpn", False),
        ("tags", "vpn", "vpn, mail", "Dana changed tags vpn → vpn, mail", False),
        ("tags", "vpn", "", "Dana removed the tags vpn", False),
        ("deleted", "", "Moved to trash", "Dana moved the request to the trash", False),
        ("deleted", "In trash", "Restored", "Dana restored the request from the trash", False),
        ("merged", "#5", "#7", "Dana merged #5 into this request", False),
        ("merged", "#7", "#9", "Dana merged this request into #9", False),
        ("link", "", "#5", "Dana linked #5", False),
        ("link", "#5", "", "Dana removed the link to #5", False),
    ],
)
def test_event_sentences(db, field, old, new, sentence, handover):
    dana = StaffFactory.build(first_name="Dana", last_name="")
    entry = Entry(kind=EntryKind.EVENT, author=dana, field=field, old_value=old, new_value=new)

    line = event_line(entry, Ticket(pk=7))

    assert str(line.text) == sentence
    assert line.handover is handover


def test_names_are_escaped(db):
    mallory = StaffFactory.build(first_name="<b>Mallory</b>", last_name="")
    entry = Entry(
        kind=EntryKind.EVENT, author=mallory, field="status", old_value="<i>", new_value="x"
    )

    text = str(event_line(entry, Ticket(pk=1)).text)

    assert "<b>" not in text and "&lt;b&gt;Mallory&lt;/b&gt;" in text and "&lt;i&gt;" in text


def test_an_event_without_author_is_the_desk(db):
    entry = Entry(
        kind=EntryKind.EVENT, author=None, field="status", old_value="Resolved", new_value="Closed"
    )

    assert str(event_line(entry, Ticket(pk=1)).text) == "Helpline changed status Resolved → Closed"
