"""The portal's one composite write: register an anonymous submitter and open their request."""

from collections.abc import Sequence

from django.db import transaction

from helpline.accounts.services import RequesterLookup, requester_lookup, requester_register
from helpline.tickets.models import Channel, Ticket, Topic
from helpline.tickets.services import ticket_create
from helpline.tickets.services.attachments import CheckedFile, attachments_checked


def portal_submission_prepare(
    *, user, email: str = "", files: Sequence[object] = ()
) -> tuple[RequesterLookup | None, list[CheckedFile]]:
    """The reads and checks of a portal submission, done before its write transaction so that
    SQLite's single write lock is held only for the inserts: the anonymous visitor's address
    looked up (the person who has it, or the organisation of its domain; a staff address is
    refused here) and the uploads checked against the file rules. Pass both to
    `portal_request_submit`."""
    lookup = None if user.is_authenticated else requester_lookup(email=email)
    return lookup, attachments_checked(files)


@transaction.atomic
def portal_request_submit(
    *,
    user,
    subject: str,
    description: str,
    ticket_class: str,
    topic: Topic | None = None,
    files: Sequence[CheckedFile] = (),
    name: str = "",
    email: str = "",
    lookup: RequesterLookup | None = None,
) -> Ticket:
    """Open a request from the portal as `user`, or, for an anonymous visitor (the caller has
    checked that the desk accepts them), as the requester registered from `email`.

    The visitor has proved nothing: a staff member's address is refused (StaffAddressRefused,
    "sign in first"), and a known requester's address files the request for that requester
    without giving the visitor anything of theirs (they are not signed in). Both steps commit
    together, so a refused request leaves no stray registration behind. `lookup` is
    `portal_submission_prepare`'s (read before the transaction); without it the address is looked
    up here.
    """
    requester = (
        user if user.is_authenticated else requester_register(email=email, name=name, lookup=lookup)
    )
    return ticket_create(
        actor=requester,
        requester=requester,
        subject=subject,
        body=description,
        channel=Channel.PORTAL,
        topic=topic,
        ticket_class=ticket_class,
        files=files,
    )
