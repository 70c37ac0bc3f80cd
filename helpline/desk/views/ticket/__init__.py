"""The ticket page (page.py), its thread and side panel (edit.py), actions and downloads."""

from .actions import (
    delete,
    escalate,
    hand_to_supervisor,
    link,
    merge,
    purge,
    restore,
    take,
    transfer,
    unlink,
    watch,
)
from .download import attachment
from .edit import fields, note, reply, tags
from .page import detail

__all__ = [
    "attachment",
    "delete",
    "detail",
    "escalate",
    "fields",
    "hand_to_supervisor",
    "link",
    "merge",
    "note",
    "purge",
    "reply",
    "restore",
    "take",
    "tags",
    "transfer",
    "unlink",
    "watch",
]
