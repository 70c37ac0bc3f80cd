"""History as data: the shape each change is stored in, and its names resolved at display time.

A history entry (`Entry` of kind event) stores `field` and `data = {"old": value, "new": value}`:

| field | value |
| --- | --- |
| status | `{"id": status id, "category": its category then}` |
| department, assignee | `{"id": department / person id}`; the assignee may be `null` |
| link, merged | `{"id": ticket id}`; a link's missing side is `null` |
| ticket_class | the class code (`"incident"`) |
| priority, impact, urgency, line | the number |
| tags | the sorted list of tag names |
| deleted | `true` in the trash, `false` out of it |
| time | `{"id": time entry id, "minutes": n}`; `null` before logging, after deletion |

Rows converted from the old text history keep a value that could not be matched as
`{"text": "what was stored"}`. Entries written by the desk itself (auto-close) carry
`"system": true`, so an entry whose author was deleted since is told apart from them.

Names are looked up when the entry is shown, in bulk for a page (`HistoryNames.for_entries`),
and read in the viewer's language: renaming a status, department or person renames it in past
history too, and a deleted one reads as a neutral "(deleted department)".
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import override

from helpline.accounts.models import Department, SupportLine, User

from .models import Entry, EntryKind, Level, Priority, Status, StatusCategory, Ticket, TicketClass

REF_FIELDS = frozenset({"status", "department", "assignee", "link", "merged"})
NUMBER_FIELDS = frozenset({"priority", "impact", "urgency", "line"})
CHOICES: dict[str, type[models.Choices]] = {
    "ticket_class": TicketClass,
    "priority": Priority,
    "impact": Level,
    "urgency": Level,
    "line": SupportLine,
}


def stored(field_name: str, value: Any) -> Any:
    """The JSON value history keeps for `value` of `field_name` (objects become ids)."""
    if value is None:
        return None
    if isinstance(value, Status):
        return {"id": value.pk, "category": value.category}
    if isinstance(value, models.Model):
        return {"id": value.pk}
    if field_name in REF_FIELDS:
        # Display text here is the bug this module exists to prevent.
        raise TypeError(f"history of {field_name!r} takes the object, not {value!r}")
    if field_name == "tags":
        return sorted(str(name) for name in value)
    if field_name == "deleted":
        return bool(value)
    if field_name in NUMBER_FIELDS:
        return int(value)
    if isinstance(value, models.Choices):
        return value.value
    if isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def change_data(field_name: str, old: Any, new: Any, *, system: bool = False) -> dict[str, Any]:
    data = {"old": stored(field_name, old), "new": stored(field_name, new)}
    if system:
        data["system"] = True
    return data


def ref_id(value: Any) -> int | None:
    pk = value.get("id") if isinstance(value, dict) else None
    return pk if isinstance(pk, int) else None


def status_category(value: Any) -> str | None:
    """The lifecycle category a stored status value had when it was written."""
    category = value.get("category") if isinstance(value, dict) else None
    return category if isinstance(category, str) and category in StatusCategory.values else None


def logged(field_name: str, value: Any) -> Any:
    """The event log's form of a value: its id or code plus a readable snapshot (`name`), so the
    log still reads after the object is renamed or deleted. Choice labels are kept in English,
    like the log's action names, so the log reads the same whatever language its writer used."""
    if value is None:
        return None
    if isinstance(value, Status):
        return {"id": value.pk, "category": value.category, "name": value.name}
    if isinstance(value, Ticket):
        return {"id": value.pk, "name": value.reference}
    if isinstance(value, User):
        return {"id": value.pk, "name": value.display_name}
    if isinstance(value, models.Model):
        return {"id": value.pk, "name": str(value)}
    choices = CHOICES.get(field_name)
    if choices is not None:
        with override(None):
            try:
                name = str(choices(value).label)
            except ValueError:
                name = str(value)
        return {"value": stored(field_name, value), "name": name}
    return stored(field_name, value)


@dataclass
class HistoryNames:
    """Current names of what a page's history refers to, loaded once for the whole page."""

    statuses: dict[int, Status] = field(default_factory=dict)
    departments: dict[int, Department] = field(default_factory=dict)
    people: dict[int, User] = field(default_factory=dict)

    @classmethod
    def for_entries(
        cls,
        entries: Iterable[Entry],
        *,
        statuses: Iterable[Status] = (),
        departments: Iterable[Department] = (),
        people: Iterable[User] = (),
    ) -> "HistoryNames":
        """Names for `entries`, reusing objects the page already has; one query per kind of
        object still missing (at most three, however long the history)."""
        names = cls(
            statuses={s.pk: s for s in statuses},
            departments={d.pk: d for d in departments},
            people={p.pk: p for p in people},
        )
        wanted: dict[str, set[int]] = {"status": set(), "department": set(), "assignee": set()}
        for entry in entries:
            if entry.author_id is not None and Entry.author.is_cached(entry):
                author = entry.author
                if author is not None:
                    names.people.setdefault(entry.author_id, author)
            if entry.kind != EntryKind.EVENT or entry.field not in wanted:
                continue
            for side in ("old", "new"):
                pk = ref_id((entry.data or {}).get(side))
                if pk is not None:
                    wanted[entry.field].add(pk)
        sources: list[tuple[str, dict[int, Any], type[models.Model]]] = [
            ("status", names.statuses, Status),
            ("department", names.departments, Department),
            ("assignee", names.people, User),
        ]
        for field_name, known, model in sources:
            missing = wanted[field_name] - known.keys()
            if missing:
                known.update(model._default_manager.in_bulk(missing))
        return names

    def text(self, field_name: str, value: Any) -> str:
        """`value` of `field_name` as the viewer reads it, in their language."""
        if value is None:
            return "—"
        if isinstance(value, dict) and "text" in value:
            return str(value["text"]) or "—"
        if field_name == "status":
            status = self.statuses.get(ref_id(value) or 0)
            return status.label if status else _("(deleted status)")
        if field_name == "department":
            department = self.departments.get(ref_id(value) or 0)
            return department.name if department else _("(deleted department)")
        if field_name == "assignee":
            person = self.people.get(ref_id(value) or 0)
            return person.display_name if person else _("(deleted person)")
        if field_name in {"link", "merged"}:
            pk = ref_id(value)
            return f"#{pk}" if pk is not None else "—"
        if field_name == "tags":
            return ", ".join(str(name) for name in value) if isinstance(value, list) else ""
        if field_name == "time":
            minutes = value.get("minutes") if isinstance(value, dict) else None
            if not isinstance(minutes, int):
                return "—"
            return _("%(hours)d:%(minutes)02d h") % {
                "hours": minutes // 60,
                "minutes": minutes % 60,
            }
        choices = CHOICES.get(field_name)
        if choices is not None:
            try:
                return str(choices(value).label)
            except ValueError:
                return str(value)
        return str(value)
