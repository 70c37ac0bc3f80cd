"""The portal's one composite write: register an anonymous submitter and open their request."""

from collections.abc import Sequence

from django.db import transaction

from helpline.accounts.services import requester_register
from helpline.tickets.models import Channel, Ticket, Topic
from helpline.tickets.services import ticket_create
from helpline.tickets.services.attachments import CheckedFile


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
) -> Ticket:
    """Open a request from the portal as `user`, or, for an anonymous visitor (the caller has
    checked that the desk accepts them), as the requester registered from `email`.

    The visitor has proved nothing: a staff member's address is refused (StaffAddressRefused,
    "sign in first"), and a known requester's address files the request for that requester
    without giving the visitor anything of theirs (they are not signed in). Both steps commit
    together, so a refused request leaves no stray registration behind.
    """
    requester = user if user.is_authenticated else requester_register(email=email, name=name)
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
