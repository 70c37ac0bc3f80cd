"""Before/after snapshots of a model's fields, in the shape the event log stores them."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Iterable):
        return sorted(str(item) for item in value)
    return str(value)


def snapshot(obj: models.Model | None, fields: Iterable[str]) -> dict[str, Any]:
    """JSON-safe values of `fields`; related objects are kept as their text (readable later)."""
    if obj is None:
        return {}
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for every field whose value changed (a new object: all set)."""
    changed = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new and not (not before and new in (None, "", [])):
            changed[name] = [old, new]
    return changed
