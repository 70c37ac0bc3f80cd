"""History entries read as sentences from their stored data; hand-overs are marked as such."""

import pytest
from django.utils import translation

from helpline.accounts.models import SupportLine
from helpline.accounts.tests.factories import DepartmentFactory, StaffFactory
from helpline.desk.timeline import event_line
from helpline.tickets.history import HistoryNames
from helpline.tickets.models import Entry, EntryKind, Priority, Status, StatusCategory, Ticket

DANA, SAM, SUE = 1, 2, 3


@pytest.fixture
def names():
    """A page's names: statuses, departments and people by id, as `HistoryNames` loads them."""
    return HistoryNames(
        statuses={
            10: Status(pk=10, name="New", category=StatusCategory.NEW),
            11: Status(pk=11, name="Open", category=StatusCategory.OPEN),
        },
        departments={
            20: DepartmentFactory.build(pk=20, name="Support"),
            21: DepartmentFactory.build(pk=21, name="Software"),
        },
        people={
            SAM: StaffFactory.build(pk=SAM, first_name="Sam", last_name=""),
            SUE: StaffFactory.build(pk=SUE, first_name="Sue", last_name=""),
        },
    )


def ref(pk):
    return {"id": pk}


@pytest.mark.parametrize(
    ("field", "old", "new", "sentence", "handover"),
    [
        (
            "status",
            {"id": 10, "category": "new"},
            {"id": 11, "category": "open"},
            "Dana changed status New → Open",
            False,
        ),
        (
            "department",
            ref(20),
            ref(21),
            "Dana handed the request over from Support to Software",
            True,
        ),
        ("assignee", None, ref(DANA), "Dana took the request", True),
        ("assignee", ref(SAM), ref(DANA), "Dana took the request over from Sam", True),
        ("assignee", ref(DANA), None, "Dana is no longer responsible", True),
        ("assignee", ref(SAM), None, "Dana released Sam from the request", True),
        ("assignee", None, ref(SAM), "Dana made Sam responsible", True),
        ("assignee", ref(SAM), ref(SUE), "Dana handed responsibility from Sam to Sue", True),
        (
            "line",
            SupportLine.FIRST,
            SupportLine.SECOND,
            "Dana moved the request from 1st line (dispatcher) to 2nd line (specialist)",
            True,
        ),
        ("priority", Priority.NORMAL, Priority.HIGH, "Dana changed priority Normal → High", False),
        ("impact", 1, 3, "Dana changed impact Low → High", False),
        (
            "ticket_class",
            "incident",
            "change_request",
            "Dana changed class Incident → Change request",
            False,
        ),
        ("tags", [], ["vpn"], "Dana tagged the request vpn", False),
        ("tags", ["vpn"], ["mail", "vpn"], "Dana changed tags vpn → mail, vpn", False),
        ("tags", ["vpn"], [], "Dana removed the tags vpn", False),
        ("deleted", False, True, "Dana moved the request to the trash", False),
        ("deleted", True, False, "Dana restored the request from the trash", False),
        ("merged", ref(5), ref(7), "Dana merged #5 into this request", False),
        ("merged", ref(7), ref(9), "Dana merged this request into #9", False),
        ("link", None, ref(5), "Dana linked #5", False),
        ("link", ref(5), None, "Dana removed the link to #5", False),
    ],
)
def test_event_sentences(db, names, field, old, new, sentence, handover):
    dana = StaffFactory.build(pk=DANA, first_name="Dana", last_name="")
    entry = Entry(kind=EntryKind.EVENT, author=dana, field=field, data={"old": old, "new": new})

    line = event_line(entry, Ticket(pk=7), names)

    assert str(line.text) == sentence
    assert line.handover is handover


def test_names_are_escaped(db):
    mallory = StaffFactory.build(first_name="<b>Mallory</b>", last_name="")
    entry = Entry(
        kind=EntryKind.EVENT,
        author=mallory,
        field="status",
        data={"old": {"text": "<i>"}, "new": {"text": "x"}},
    )

    text = str(event_line(entry, Ticket(pk=1)).text)

    assert "<b>" not in text and "&lt;b&gt;Mallory&lt;/b&gt;" in text and "&lt;i&gt;" in text


def test_an_event_written_by_the_desk_itself(db, names):
    entry = Entry(
        kind=EntryKind.EVENT,
        author=None,
        field="status",
        data={"old": {"id": 11, "category": "open"}, "new": {"text": "Closed"}, "system": True},
    )

    assert (
        str(event_line(entry, Ticket(pk=1), names).text) == "Helpline changed status Open → Closed"
    )


def test_what_was_deleted_since_reads_neutrally(db):
    # Given a history naming a status, a department and people that no longer exist
    names = HistoryNames()
    entries = [
        Entry(
            kind=EntryKind.EVENT,
            field="status",
            data={"old": {"id": 98, "category": "open"}, "new": {"id": 99, "category": "closed"}},
        ),
        Entry(kind=EntryKind.EVENT, field="department", data={"old": ref(98), "new": ref(99)}),
        Entry(kind=EntryKind.EVENT, field="assignee", data={"old": ref(98), "new": ref(99)}),
    ]

    lines = [str(event_line(entry, Ticket(pk=1), names).text) for entry in entries]

    # then each reads with a neutral label, and the deleted author is not passed off as the desk
    assert lines == [
        "(deleted person) changed status (deleted status) → (deleted status)",
        "(deleted person) handed the request over from (deleted department) to "
        "(deleted department)",
        "(deleted person) handed responsibility from (deleted person) to (deleted person)",
    ]


def test_history_reads_in_norwegian(db, names):
    dana = StaffFactory.build(pk=DANA, first_name="Dana", last_name="")
    status = Entry(
        kind=EntryKind.EVENT,
        author=dana,
        field="status",
        data={"old": {"id": 10, "category": "new"}, "new": {"id": 11, "category": "open"}},
    )
    priority = Entry(kind=EntryKind.EVENT, author=dana, field="priority", data={"old": 2, "new": 4})
    gone = Entry(
        kind=EntryKind.EVENT, author=dana, field="department", data={"old": ref(97), "new": ref(20)}
    )

    with translation.override("nb"):
        lines = [str(event_line(e, Ticket(pk=1), names).text) for e in (status, priority, gone)]
        deleted = translation.gettext("(deleted department)")

    assert "endret status Ny → Åpen" in lines[0]
    assert "Normal → Kritisk" in lines[1]
    assert f"fra {deleted} til Support" in lines[2]
