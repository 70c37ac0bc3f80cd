"""Every write to tickets goes through these services; each records history and the event log."""

from ._common import locked_read
from .attachments import attachment_validate
from .inbound import ticket_closed_reopen, ticket_follow_up_create, ticket_mail_note_add
from .lifecycle import (
    ticket_confirm_solved,
    ticket_create,
    ticket_delete,
    ticket_note_add,
    ticket_open,
    ticket_purge,
    ticket_reopen,
    ticket_reply_add,
    ticket_restore,
    tickets_auto_close,
)
from .routing import (
    ticket_escalate,
    ticket_hand_to_supervisor,
    ticket_link,
    ticket_merge,
    ticket_tags_set,
    ticket_take,
    ticket_transfer,
    ticket_unlink,
    ticket_update,
    ticket_watch,
)

__all__ = [
    "attachment_validate",
    "locked_read",
    "ticket_closed_reopen",
    "ticket_confirm_solved",
    "ticket_create",
    "ticket_open",
    "ticket_delete",
    "ticket_escalate",
    "ticket_follow_up_create",
    "ticket_hand_to_supervisor",
    "ticket_link",
    "ticket_mail_note_add",
    "ticket_merge",
    "ticket_note_add",
    "ticket_purge",
    "ticket_reopen",
    "ticket_reply_add",
    "ticket_restore",
    "ticket_tags_set",
    "ticket_take",
    "ticket_transfer",
    "ticket_unlink",
    "ticket_update",
    "ticket_watch",
    "tickets_auto_close",
]
