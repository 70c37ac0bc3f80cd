"""Sign-in throttling: too many failures for one address or one client pause sign-in for both."""

import hashlib

from django.core.cache import cache

from helpline.audit.services import event_record

FAILURE_LIMIT = 5
WINDOW_SECONDS = 15 * 60
LOCKOUT_SECONDS = 15 * 60


def _counter_keys(email: str, ip: str | None) -> list[str]:
    # Hashed so the cache never holds the address in clear text.
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()
    keys = [f"hl:login-fail:email:{digest}"]
    if ip:
        keys.append(f"hl:login-fail:ip:{ip}")
    return keys


def login_locked(email: str, ip: str | None) -> bool:
    """True while the address or the client is paused after too many failures."""
    locks = cache.get_many([f"{key}:lock" for key in _counter_keys(email, ip)])
    return any(locks.values())


def login_failure_note(email: str, ip: str | None) -> None:
    """Count one failed attempt; the fifth within the window starts the pause."""
    for key in _counter_keys(email, ip):
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:
            # The counter expired between add() and incr().
            cache.set(key, 1, WINDOW_SECONDS)
            count = 1
        if count >= FAILURE_LIMIT:
            cache.set(f"{key}:lock", 1, LOCKOUT_SECONDS)
            cache.delete(key)


def login_success_note(email: str) -> None:
    """A good password forgives the address's earlier typos (the client's count stays)."""
    cache.delete(_counter_keys(email, None)[0])


def login_refusal_record(email: str) -> None:
    """A paused attempt never reaches authenticate(), so it is logged here."""
    event_record(
        actor=None,
        action="auth.login_failed",
        changes={"email": (email or "")[:254], "reason": "throttled"},
        object_repr=(email or "")[:250],
    )
