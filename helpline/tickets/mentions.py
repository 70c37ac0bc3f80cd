"""@mentions in internal notes: `@address` names a colleague, who is told if they may see the
request; anyone else named is refused (and told to the writer, never to the person)."""

import re
from dataclasses import dataclass, field

from helpline.accounts.models import Role, User

from .access import Action, can
from .models import Ticket

# `@` then an address, not glued to a word before it (so "dana@acme.test" alone is no mention).
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
MAX_MENTIONS = 20


@dataclass(frozen=True)
class Mentions:
    accepted: list[User] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # as written, without the "@"


def mentioned_addresses(body: str) -> list[str]:
    """The addresses mentioned in `body`, each once, in order (at most MAX_MENTIONS)."""
    seen: dict[str, str] = {}
    for match in MENTION.finditer(body or ""):
        address = match.group(1).rstrip(".")
        seen.setdefault(address.lower(), address)
    return list(seen.values())[:MAX_MENTIONS]


def mentions_parse(body: str, ticket: Ticket, *, author: User) -> Mentions:
    """Who `body` mentions on `ticket`: active staff who may see it are accepted; unknown
    addresses, requesters and staff who may not see the request are refused. The author naming
    themself is neither."""
    addresses = mentioned_addresses(body)
    if not addresses:
        return Mentions()
    people = {
        user.email.lower(): user
        for user in User.objects.filter(
            email__in=[a.lower() for a in addresses], is_active=True, role__in=Role.STAFF
        )
    }
    accepted: list[User] = []
    refused: list[str] = []
    for address in addresses:
        user = people.get(address.lower())
        if user is not None and user.pk == author.pk:
            continue
        if user is not None and can(user, Action.VIEW, ticket):
            accepted.append(user)
        else:
            refused.append(address)
    return Mentions(accepted, refused)
