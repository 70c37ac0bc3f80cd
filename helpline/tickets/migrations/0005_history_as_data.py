"""History as data: convert the text history (old_value/new_value) into `Entry.data`, and add the
timestamps reports need (first resolution, reopen count, last public activity), filled from it.
The text columns go in the next migration (PostgreSQL refuses schema changes in the transaction
that has just updated rows with deferred constraint checks).

Values that cannot be matched any more (a status renamed since, a department name two
departments share) are kept as `{"text": ...}`, so nothing is lost. Choice labels were stored in
the writer's language; they are matched in every language the desk speaks.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import translation

BATCH = 2000

# The choices' English labels as they were when this migration was written (frozen here: later
# changes to the models must not change how old rows convert).
LABELS: dict[str, dict[Any, str]] = {
    "ticket_class": {
        "incident": "Incident",
        "service_request": "Service request",
        "information_request": "Information request",
        "documentation_request": "Documentation request",
        "change_request": "Change request",
    },
    "priority": {1: "Low", 2: "Normal", 3: "High", 4: "Critical"},
    "impact": {1: "Low", 2: "Medium", 3: "High"},
    "urgency": {1: "Low", 2: "Medium", 3: "High"},
    "line": {1: "1st line (dispatcher)", 2: "2nd line (specialist)", 3: "3rd line (expert)"},
}
DONE = {"resolved", "closed"}
OPEN = {"new", "open", "pending", "on_hold"}
STAGE = {
    "new": "open",
    "open": "open",
    "pending": "pending",
    "on_hold": "progress",
    "resolved": "resolved",
    "closed": "closed",
}
EMPTY = {"", "—"}


def label_maps(languages: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """{field: {label in any of `languages` (and English), casefolded: value}}."""
    maps: dict[str, dict[str, Any]] = {}
    for field_name, labels in LABELS.items():
        found: dict[str, Any] = {}
        for value, english in labels.items():
            found[english.casefold()] = value
            for language in languages:
                with translation.override(language):
                    found.setdefault(translation.gettext(english).casefold(), value)
        maps[field_name] = found
    return maps


@dataclass
class Lookups:
    statuses: dict[str, tuple[int, str]] = field(default_factory=dict)  # name: (id, category)
    departments: dict[str, int] = field(default_factory=dict)  # unique names only
    people: dict[str, int] = field(default_factory=dict)  # unique display names only
    labels: dict[str, dict[str, Any]] = field(default_factory=lambda: label_maps())


def _unique(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    seen: dict[str, int | None] = {}
    for name, pk in pairs:
        seen[name] = None if name in seen else pk
    return {name: pk for name, pk in seen.items() if pk is not None}


def _value(field_name: str, text: str, lookups: Lookups) -> Any:
    text = (text or "").strip()
    if field_name == "tags":
        return sorted(name.strip() for name in text.split(",") if name.strip())
    if text in EMPTY:
        return None
    if field_name == "status":
        if text in lookups.statuses:
            pk, category = lookups.statuses[text]
            return {"id": pk, "category": category}
    elif field_name == "department":
        if text in lookups.departments:
            return {"id": lookups.departments[text]}
    elif field_name == "assignee":
        if text in lookups.people:
            return {"id": lookups.people[text]}
    elif field_name in {"link", "merged"}:
        if text.startswith("#") and text[1:].isdigit():
            return {"id": int(text[1:])}
    elif field_name in lookups.labels:
        value = lookups.labels[field_name].get(text.casefold())
        if value is not None:
            return value
    return {"text": text}


def convert(field_name: str, old: str, new: str, author_id: int | None, lookups: Lookups) -> dict:
    """The `data` of one old-style history entry."""
    if field_name == "deleted":
        # "Moved to trash" had no old value; a restore had one ("In trash"), in any language.
        in_trash = not (old or "").strip()
        data: dict[str, Any] = {"old": not in_trash, "new": in_trash}
    else:
        data = {"old": _value(field_name, old, lookups), "new": _value(field_name, new, lookups)}
    if author_id is None:
        data["system"] = True
    return data


def _category(value: Any) -> str | None:
    return value.get("category") if isinstance(value, dict) else None


@dataclass
class Timeline:
    """What a ticket's status history says about its timestamps."""

    first_done: Any = None
    reopens: int = 0
    last_visible: Any = None

    def add(self, data: dict, when) -> None:
        old, new = _category(data.get("old")), _category(data.get("new"))
        if new in DONE and (self.first_done is None or when < self.first_done):
            self.first_done = when
        if old in DONE and new in OPEN:
            self.reopens += 1
        if new is not None and STAGE.get(old or "") != STAGE[new]:
            self.last_visible = max(self.last_visible or when, when)


def lookups_from(apps, db: str) -> Lookups:
    Status = apps.get_model("tickets", "Status")
    Department = apps.get_model("accounts", "Department")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    people = []
    for pk, first, last, email in User.objects.using(db).values_list(
        "pk", "first_name", "last_name", "email"
    ):
        people.append((f"{first} {last}".strip() or email, pk))
    return Lookups(
        statuses={
            name: (pk, cat)
            for pk, name, cat in Status.objects.using(db).values_list("pk", "name", "category")
        },
        departments=_unique(Department.objects.using(db).values_list("name", "pk")),
        people=_unique(people),
        labels=label_maps(code for code, _name in settings.LANGUAGES),
    )


def forward(apps, schema_editor) -> None:
    Entry = apps.get_model("tickets", "Entry")
    Ticket = apps.get_model("tickets", "Ticket")
    db = schema_editor.connection.alias
    lookups = lookups_from(apps, db)
    timelines: dict[int, Timeline] = {}
    last = 0
    while True:
        batch = list(
            Entry.objects.using(db)
            .filter(kind="event", pk__gt=last)
            .only("pk", "ticket_id", "author_id", "field", "old_value", "new_value", "created_at")
            .order_by("pk")[:BATCH]
        )
        if not batch:
            break
        for entry in batch:
            entry.data = convert(
                entry.field, entry.old_value, entry.new_value, entry.author_id, lookups
            )
            if entry.field == "status":
                timelines.setdefault(entry.ticket_id, Timeline()).add(entry.data, entry.created_at)
        Entry.objects.using(db).bulk_update(batch, ["data"])
        last = batch[-1].pk

    latest_reply = (
        Entry.objects.filter(ticket=OuterRef("pk"), kind="reply")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    Ticket.objects.using(db).update(
        last_public_activity_at=Coalesce(Subquery(latest_reply), F("created_at")),
        first_resolved_at=F("resolved_at"),
    )
    ids = sorted(timelines)
    for start in range(0, len(ids), BATCH):
        tickets = list(
            Ticket.objects.using(db).filter(pk__in=ids[start : start + BATCH]).only(
                "pk", "first_resolved_at", "last_public_activity_at", "reopen_count"
            )
        )
        for ticket in tickets:
            line = timelines[ticket.pk]
            firsts = [t for t in (ticket.first_resolved_at, line.first_done) if t is not None]
            ticket.first_resolved_at = min(firsts) if firsts else None
            ticket.reopen_count = line.reopens
            if line.last_visible is not None:
                ticket.last_public_activity_at = max(
                    ticket.last_public_activity_at, line.last_visible
                )
        Ticket.objects.using(db).bulk_update(
            tickets, ["first_resolved_at", "reopen_count", "last_public_activity_at"]
        )


def _text(field_name: str, value: Any, names: dict[str, dict]) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        if "text" in value:
            return str(value["text"])
        pk = value.get("id")
        if field_name in {"link", "merged"}:
            return f"#{pk}"
        return names.get(field_name, {}).get(pk, "—")
    if isinstance(value, list):
        return ", ".join(value)
    if field_name in LABELS:
        return LABELS[field_name].get(value, str(value))
    return str(value)


def backward(apps, schema_editor) -> None:
    """Write the text back (names as they are now), for a downgrade."""
    Entry = apps.get_model("tickets", "Entry")
    Status = apps.get_model("tickets", "Status")
    Department = apps.get_model("accounts", "Department")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    db = schema_editor.connection.alias
    names = {
        "status": dict(Status.objects.using(db).values_list("pk", "name")),
        "department": dict(Department.objects.using(db).values_list("pk", "name")),
        "assignee": {
            pk: f"{first} {last}".strip() or email
            for pk, first, last, email in User.objects.using(db).values_list(
                "pk", "first_name", "last_name", "email"
            )
        },
    }
    last = 0
    while True:
        batch = list(
            Entry.objects.using(db).filter(kind="event", pk__gt=last).order_by("pk")[:BATCH]
        )
        if not batch:
            break
        for entry in batch:
            data = entry.data or {}
            if entry.field == "deleted":
                entry.old_value = "In trash" if data.get("old") else ""
                entry.new_value = "Moved to trash" if data.get("new") else "Restored"
            else:
                entry.old_value = _text(entry.field, data.get("old"), names)[:250]
                entry.new_value = _text(entry.field, data.get("new"), names)[:250]
        Entry.objects.using(db).bulk_update(batch, ["old_value", "new_value"])
        last = batch[-1].pk
    if schema_editor.connection.vendor == "postgresql":
        # The fields of this migration are dropped next, in the same transaction: run the
        # deferred constraint checks of the updates first, or PostgreSQL refuses the ALTER.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_verbose_names"),
        ("tickets", "0004_verbose_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="ticket",
            name="first_resolved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first resolved"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="last_public_activity_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="last update"
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="reopen_count",
            field=models.PositiveIntegerField(default=0, verbose_name="times reopened"),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
