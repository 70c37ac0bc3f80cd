"""Who is on a request's page now, and who is writing on it: heartbeats in the shared cache.

Each open ticket page asks every few seconds (`POLL_SECONDS`), saying whether its reply or note
box holds text. The beat is written into one cache entry per request (Django's cache: Redis when
configured, the database cache otherwise; never this process's memory, so any web process
answers): user id → (moment, writing). An entry older than `STALE_SECONDS` no longer counts, and
the whole key expires soon after the last beat. Two beats at the same instant may each write the
entry without the other's: the loser is back one poll later, which a presence list can afford
(docs/decisions, "presence storage").
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache

POLL_SECONDS = 4
# Three missed polls and a person is gone (a closed tab says nothing when it goes).
STALE_SECONDS = 3 * POLL_SECONDS + 2
KEY_SECONDS = 60


class Writing:
    NONE = ""
    REPLY = "reply"
    NOTE = "note"
    values = (NONE, REPLY, NOTE)


def _key(ticket_id: int) -> str:
    return f"helpline:presence:{ticket_id}"


@dataclass(frozen=True)
class Present:
    user_id: int
    writing: str


def presence_beat(ticket_id: int, user_id: int, writing: str) -> list[Present]:
    """Record that `user_id` has the page open (and is writing a reply or note); return the
    others there now, in id order. One cache read and one write."""
    now = time.time()
    beats: dict[int, tuple[float, str]] = cache.get(_key(ticket_id)) or {}
    fresh = {
        uid: beat
        for uid, beat in beats.items()
        if isinstance(beat, tuple) and now - beat[0] < STALE_SECONDS
    }
    fresh[user_id] = (now, writing if writing in Writing.values else Writing.NONE)
    cache.set(_key(ticket_id), fresh, KEY_SECONDS)
    return [Present(uid, fresh[uid][1]) for uid in sorted(fresh) if uid != user_id]


def presence_etag(others: list[Present], states: list[str]) -> str:
    """A digest of who is there, what they are doing and their away status."""
    shown = [(p.user_id, p.writing, state) for p, state in zip(others, states, strict=True)]
    return f'W/"{hashlib.sha256(repr(shown).encode()).hexdigest()[:24]}"'
