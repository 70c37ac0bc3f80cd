"""The live board: what changed on a board page since it was opened, cheap enough to poll.

A board page carries the moment it was rendered and the ids of its rows. Every few seconds it
asks which of those rows changed since (a primary-key lookup of at most a page of rows) and how
many requests of its view became active since (an index range over the last seconds of
activity, capped), and the sidebar's counts (cached). The answer's ETag is a digest of all
three: when nothing changed the poll ends in a body-less 304.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.urls import reverse
from django.utils.http import urlencode

from helpline.accounts.models import User

from .permissions import staff_tickets
from .saved import query_tickets, saved_sidebar
from .selectors import PAGE_SIZE, _capped_counts, view_counts

# How often a board asks; another agent's change shows within this (the issue asks for 10 s).
POLL_SECONDS = 5
ROWS_MAX = 2 * PAGE_SIZE


def opened_token(when: datetime) -> str:
    """A board page's moment of rendering, in the URL it polls (milliseconds since 1970)."""
    return str(int(when.timestamp() * 1000))


def opened_parse(token: str | None) -> datetime | None:
    if not token or not token.isdigit() or len(token) > 15:
        return None
    return datetime.fromtimestamp(int(token) / 1000, tz=UTC)


def rows_parse(raw: str | None) -> list[int]:
    parts = (raw or "").split(",")[:ROWS_MAX]
    return sorted({int(part) for part in parts if part.isdigit() and len(part) < 19})


@dataclass(frozen=True)
class BoardChanges:
    changed: tuple[tuple[int, int], ...] = ()  # (id, version) of the page's rows changed since
    arrived: int = 0  # requests of the view active since that are not on the page (capped)
    counts: tuple = field(default=())  # the sidebar's counts, as shown

    @property
    def changed_ids(self) -> list[int]:
        return [pk for pk, _version in self.changed]

    @property
    def etag(self) -> str:
        digest = hashlib.sha256(repr((self.changed, self.arrived, self.counts)).encode())
        return f'W/"{digest.hexdigest()[:24]}"'


def counts_shown(user: User) -> tuple:
    """The sidebar's counts (built-in and saved views): cached, no query on a warm page."""
    builtin = tuple(sorted(view_counts(user).items()))
    saved = tuple((v.pk, v.count) for v in saved_sidebar(user).views)
    return (builtin, saved)


def counts_known(user: User) -> tuple | None:
    """`counts_shown` if this request already read them (a full page did, for its sidebar);
    None for a list fragment, which should not pay for counts it does not show."""
    if getattr(user, "_helpline_view_counts", None) is None:
        return None
    if getattr(user, "_helpline_saved_sidebar", None) is None:
        return None
    return counts_shown(user)


def board_changes(
    user: User, query: Mapping[str, str], opened: datetime, rows: list[int]
) -> BoardChanges:
    """What changed for a board page showing `query` with `rows`, opened at `opened`.

    Two queries whatever the desk's size: the page's rows by primary key, and the view's
    requests active since (the activity indexes read from their newest end, capped).
    """
    changed = tuple(
        staff_tickets(user)
        .filter(pk__in=rows, last_activity_at__gt=opened)
        .order_by("pk")
        .values_list("pk", "version")
    )
    arrivals = query_tickets(user, query).filter(last_activity_at__gt=opened)
    if rows:
        arrivals = arrivals.exclude(pk__in=rows)
    arrived = _capped_counts({"arrived": arrivals})["arrived"]
    return BoardChanges(changed=changed, arrived=arrived, counts=counts_shown(user))


def live_url(query: Mapping[str, str], opened: datetime, rows: list[int]) -> str:
    params = {**query, "opened": opened_token(opened), "rows": ",".join(map(str, rows))}
    return f"{reverse('desk:board_live')}?{urlencode(params)}"
