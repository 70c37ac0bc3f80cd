"""The ticket page (page.py), its thread and side panel (edit.py), actions, dialog suggestions
(candidates.py) and downloads."""

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
from .candidates import link_candidates, merge_candidates
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
    "link_candidates",
    "merge",
    "merge_candidates",
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
